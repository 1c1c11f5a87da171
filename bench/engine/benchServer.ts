import {spawn} from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import {startEngineProcess} from "../../test/support/startEngineProcess";

/** A server under test: ours or llama-server, both reached over the same OpenAI-compatible HTTP API. */
export type BenchServer = {
    name: "belle" | "llama-server",
    baseUrl: string,
    token: string,
    /** Process ids whose CPU time the bench may read (the server itself). */
    pid: number,
    stop(): Promise<void>
};

export type ServerSetup = {
    modelPath: string,
    /** Tokens per sequence; each side gets `parallel` sequences of this size. */
    contextTokens: number,
    parallel: number,
    threads: number | "auto",
    /** Ours only: `belle serve --token-loop`. */
    tokenLoop?: "auto" | "native" | "node-llama-cpp",
    /** More command-line arguments for the server (e.g. its speculative decoding). */
    extraArgs?: readonly string[]
};

export async function startBelle({modelPath, contextTokens, parallel, threads, tokenLoop = "auto", extraArgs = []}: ServerSetup): Promise<BenchServer> {
    const engine = await startEngineProcess([
        "--model", modelPath, "--parallel", String(parallel), "--ctx-size", String(contextTokens), "--threads", String(threads),
        "--backend", "cpu", "--token-loop", tokenLoop, ...extraArgs
    ], {timeoutMs: 300_000});
    return {name: "belle", baseUrl: engine.baseUrl, token: engine.ready.token, pid: engine.child.pid!, stop: engine.stop};
}

/**
 * llama.cpp's llama-server as a user would run it for the same job, with what differs from its defaults made equal
 * to ours: the same threads, `parallel` slots of `contextTokens` each, flash attention on, and its prompt cache in
 * RAM off (`--cache-ram 0`; we keep no such cache, only each sequence's own prefix, as llama-server's slots do).
 */
export async function startLlamaServer(peerBin: string, {modelPath, contextTokens, parallel, threads, extraArgs = []}: ServerSetup & {threads: number}): Promise<BenchServer> {
    const token = crypto.randomBytes(16).toString("hex");
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(path.join(peerBin, "llama-server"), [
        "-m", modelPath, "--host", "127.0.0.1", "--port", String(port), "-c", String(contextTokens * parallel), "-np", String(parallel),
        "-t", String(threads), "-tb", String(threads), "-fa", "on", "--cache-ram", "0", "--no-webui", "--api-key", token,
        ...extraArgs
    ], {stdio: ["ignore", "ignore", "pipe"]});
    let log = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { log = (log + chunk).slice(-20_000); });
    const baseUrl = `http://127.0.0.1:${port}`;
    const stop = () => new Promise<void>((resolve) => {
        if (child.exitCode != null || child.signalCode != null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
    });
    for (let attempt = 0; ; attempt++) {
        if (child.exitCode != null) throw new Error(`llama-server exited with ${child.exitCode}:\n${log.slice(-2000)}`);
        const response = await fetch(`${baseUrl}/health`).catch(() => null);
        if (response?.ok) break;
        if (attempt > 3000) {
            await stop();
            throw new Error(`llama-server not ready after 300 s:\n${log.slice(-2000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cpuBackend = /loaded CPU backend from (\S+)/.exec(log)?.[1];
    if (cpuBackend != null) console.error(`[bench] llama-server: CPU backend ${cpuBackend}`);
    return {name: "llama-server", baseUrl, token, pid: child.pid!, stop};
}
