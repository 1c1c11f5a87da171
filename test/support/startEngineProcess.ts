import {spawn, type ChildProcess} from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import {fileURLToPath} from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const serverBundle = path.join(repoRoot, "dist", "server.cjs");

export type ReadyLine = {
    event: "ready", port: number, token: string, model: string, modelPath: string, backend: string, threads: number,
    parallel: number, contextSize: number, promptFormat: string, loraAdapters: Array<{path: string, name: string, scale: number}>
};

export type EngineProcess = {
    ready: ReadyLine,
    baseUrl: string,
    child: ChildProcess,
    stderr: () => string,
    stop: () => Promise<void>
};

/** Starts the real engine (the built dist/server.cjs) as a child process and waits for its ready line. */
export async function startEngineProcess(args: string[], {timeoutMs = 60_000, env = {}, spawnOptions = {}}: {
    timeoutMs?: number, env?: Record<string, string>,
    /** E.g. `uid`/`gid` to run the engine as another user. */
    spawnOptions?: {uid?: number, gid?: number}
} = {}): Promise<EngineProcess> {
    const child = spawn(process.execPath, [serverBundle, "serve", ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: {...process.env, ...env},
        ...spawnOptions
    });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });

    const stop = () => new Promise<void>((resolve) => {
        if (child.exitCode != null || child.signalCode != null) return resolve();
        const force = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
            clearTimeout(force);
            resolve();
        });
        child.kill("SIGTERM");
    });

    const ready = await new Promise<ReadyLine>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`engine not ready after ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
        const lines = readline.createInterface({input: child.stdout!});
        lines.on("line", (line) => {
            try {
                const parsed = JSON.parse(line) as ReadyLine;
                if (parsed.event === "ready") {
                    clearTimeout(timer);
                    resolve(parsed);
                }
            } catch {
                // the ready line is the only JSON on stdout; anything else is not ours to parse
            }
        });
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`engine exited with code ${code} before it was ready:\n${stderr}`));
        });
    }).catch(async (error: unknown) => {
        await stop();
        throw error;
    });

    return {ready, baseUrl: `http://127.0.0.1:${ready.port}`, child, stderr: () => stderr, stop};
}
