// npm run bench:engine — our engine vs llama.cpp's own llama-server, both over HTTP, same model, same machine,
// one after the other in one run. Prints decode tok/s (1 stream, 4 concurrent streams) and prefill tok/s, and
// our/llama-server ratios. Options: --type Q4_0|Q8_0|F16 (default Q4_0), --runs N (default 3).
import {execFileSync, spawn} from "node:child_process";
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {ensureGeneratedModel} from "../models/generate/ensureGeneratedModel";
import {resolveThreadCount} from "../server/engine/resolveThreadCount";
import {repoRoot, startEngineProcess} from "../test/support/startEngineProcess";

const {values} = parseArgs({options: {type: {type: "string", default: "Q4_0"}, runs: {type: "string", default: "3"}}});
const runs = Number(values.runs);
const type = values.type as "Q4_0" | "Q8_0" | "F16";
const decodeTokens = 128;
const parallel = 4;
const contextSize = 2048;

type Server = {name: string, baseUrl: string, token: string, stop: () => Promise<void>};
type StreamTiming = {completionTokens: number, firstChunkMs: number, lastChunkMs: number};

console.error("[bench] building llama.cpp peers from node-llama-cpp's bundled source (cached)…");
const peerBin = execFileSync("bash", [path.join(repoRoot, "scripts/build-llama-peers.sh")], {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"]}).trim().split("\n").at(-1)!;
console.error(`[bench] generating the 0.5B-shape ${type} model (cached)…`);
const modelPath = await ensureGeneratedModel({shape: "0.5b", type});
const threads = resolveThreadCount("auto");

async function startOurs(): Promise<Server> {
    const engine = await startEngineProcess(["--model", modelPath, "--parallel", String(parallel), "--ctx-size", String(contextSize), "--threads", "auto"]);
    return {name: "belle", baseUrl: engine.baseUrl, token: engine.ready.token, stop: engine.stop};
}

async function startLlamaServer(): Promise<Server> {
    const token = crypto.randomBytes(16).toString("hex");
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(path.join(peerBin, "llama-server"), [
        "-m", modelPath, "--host", "127.0.0.1", "--port", String(port), "-c", String(contextSize * parallel), "-np", String(parallel),
        "-t", String(threads), "--api-key", token
    ], {stdio: ["ignore", "ignore", "pipe"]});
    let log = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { log += chunk; });
    const baseUrl = `http://127.0.0.1:${port}`;
    for (let attempt = 0; ; attempt++) {
        if (child.exitCode != null) throw new Error(`llama-server exited with ${child.exitCode}:\n${log.slice(-2000)}`);
        const response = await fetch(`${baseUrl}/health`).catch(() => null);
        if (response?.ok) break;
        if (attempt > 600) throw new Error(`llama-server not ready:\n${log.slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
        name: "llama-server", baseUrl, token,
        stop: () => new Promise((resolve) => { child.once("exit", () => resolve()); child.kill("SIGTERM"); })
    };
}

/** One streamed chat completion, timed on the client as it arrives. */
async function timedStream(server: Server, content: string, maxTokens: number, startedAt: number): Promise<StreamTiming> {
    const response = await fetch(`${server.baseUrl}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json", Authorization: `Bearer ${server.token}`},
        body: JSON.stringify({
            messages: [{role: "user", content}], max_tokens: maxTokens, temperature: 0, stream: true,
            stream_options: {include_usage: true}
        })
    });
    if (!response.ok) throw new Error(`${server.name}: HTTP ${response.status} ${await response.text()}`);
    let firstChunkMs = -1;
    let lastChunkMs = -1;
    let completionTokens = 0;
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(bytes, {stream: true});
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, end).replace(/^data: /, "");
            buffer = buffer.slice(end + 2);
            if (event === "[DONE]" || event === "") continue;
            const chunk = JSON.parse(event) as {choices: Array<{delta?: {content?: string}}>, usage?: {completion_tokens: number}};
            if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
            if (chunk.choices[0]?.delta?.content) {
                const now = performance.now() - startedAt;
                if (firstChunkMs < 0) firstChunkMs = now;
                lastChunkMs = now;
            }
        }
    }
    return {completionTokens, firstChunkMs, lastChunkMs};
}

const unique = () => crypto.randomBytes(4).toString("hex");

async function measure(server: Server) {
    await timedStream(server, `预热 ${unique()}`, 16, performance.now());

    const single: number[] = [];
    const concurrent: number[] = [];
    const prefill: number[] = [];
    for (let run = 0; run < runs; run++) {
        // decode, one stream: tokens after the first over the time after the first
        const start = performance.now();
        const one = await timedStream(server, `请写一篇关于春天的文章 ${unique()}`, decodeTokens, start);
        single.push(((one.completionTokens - 1) / (one.lastChunkMs - one.firstChunkMs)) * 1000);

        // decode, 4 concurrent streams: all tokens after each stream's first, from the first stream's first token
        // to the last stream's last one
        const startMany = performance.now();
        const many = await Promise.all(Array.from({length: parallel}, (_, index) =>
            timedStream(server, `第${index}个问题：请介绍一下中国的历史 ${unique()}`, decodeTokens, startMany)));
        const span = Math.max(...many.map((timing) => timing.lastChunkMs)) - Math.min(...many.map((timing) => timing.firstChunkMs));
        concurrent.push((many.reduce((sum, timing) => sum + timing.completionTokens - 1, 0) / span) * 1000);

        // prefill: a ~1000-token prompt that shares no prefix with anything cached, timed to its first token
        const longPrompt = `${unique()} ${"春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。".repeat(40)}`;
        const startPrefill = performance.now();
        const timing = await timedStream(server, longPrompt, 2, startPrefill);
        const promptTokens = await countPromptTokens(server, longPrompt);
        prefill.push((promptTokens / timing.firstChunkMs) * 1000);
    }
    return {single: median(single), concurrent: median(concurrent), prefill: median(prefill)};
}

async function countPromptTokens(server: Server, content: string): Promise<number> {
    const response = await fetch(`${server.baseUrl}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json", Authorization: `Bearer ${server.token}`},
        body: JSON.stringify({messages: [{role: "user", content}], max_tokens: 1, temperature: 0})
    });
    return ((await response.json()) as {usage: {prompt_tokens: number}}).usage.prompt_tokens;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
}

const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
for (const start of [startLlamaServer, startOurs]) {
    const server = await start();
    try {
        console.error(`[bench] measuring ${server.name}…`);
        results[server.name] = await measure(server);
    } finally {
        await server.stop();
    }
}

const ours = results.belle!;
const peer = results["llama-server"]!;
const row = (label: string, a: number, b: number) => `| ${label} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}× |`;
console.log(`\nBELLE engine vs llama-server — generated 0.5B-shape llama model, ${type}, ${threads} threads, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), median of ${runs} runs\n`);
console.log("| metric | belle (tok/s) | llama-server (tok/s) | ratio |");
console.log("|---|---:|---:|---:|");
console.log(row("decode, 1 stream", ours.single, peer.single));
console.log(row(`decode, ${parallel} concurrent streams (total)`, ours.concurrent, peer.concurrent));
console.log(row("prefill (~1000-token prompt)", ours.prefill, peer.prefill));
