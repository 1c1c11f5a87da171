// npm run bench:engine — our engine vs llama.cpp's own llama-server, like for like: the same GGUF, the same CPU
// kernels (llama-server loads node-llama-cpp's prebuilt libggml-cpu, see scripts/build-llama-peers.sh), the same
// threads, 4 sequences of 4096 tokens each, flash attention on, greedy sampling on both, llama-server's RAM prompt
// cache off, raw completions over HTTP. Both servers stay loaded; each round measures one then the other, and the
// order alternates (llama-server first in even rounds, ours first in odd ones). Each row prints both medians and
// the min / median / max of the per-round ratio (ours ÷ llama-server for rates, llama-server ÷ ours for times:
// above 1 means we are faster).
//
// Options (flag, or environment variable):
//   --models tiny,q4_0,q4_k_m,q8_0   BELLE_BENCH_MODELS   which models (tiny = the generated test model)
//   --loads idle,busy                BELLE_BENCH_LOADS    busy: another process spins on one core meanwhile
//   --rows decode1,decode4,prefill,ttft  BELLE_BENCH_ROWS
//   --rounds 5                       BELLE_BENCH_ROUNDS
//   --tokens 128                     BELLE_BENCH_TOKENS   tokens per decode stream
//   --threads auto|N                 BELLE_BENCH_THREADS  our --threads; llama-server gets -t with what auto resolves to
//   --token-loop auto|native|node-llama-cpp  BELLE_BENCH_TOKEN_LOOP  our --token-loop
//   --speculative off|auto|lookup    BELLE_BENCH_SPECULATIVE  our --speculative; off by default, as llama-server runs
//                                    without speculation here (bench:engine:lookup measures prompt lookup)
//   --json <file>                    BELLE_BENCH_JSON     also write every round's figures there
import {execFileSync} from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {ensureEmbeddedModel, ensureGeneratedModel, getBelleCacheDir} from "../models/generate/ensureGeneratedModel";
import {resolveThreadCount} from "../server/engine/resolveThreadCount";
import {repoRoot} from "../test/support/startEngineProcess";
import {startBelle, startLlamaServer, type BenchServer, type ServerSetup} from "./engine/benchServer";
import {startCpuSpinner} from "./engine/cpuSpinner";
import {timedCompletion} from "./engine/timedCompletion";

const modelNames = ["tiny", "q4_0", "q4_k_m", "q8_0"] as const;
const loadNames = ["idle", "busy"] as const;
const rowNames = ["decode1", "decode4", "prefill", "ttft"] as const;
type ModelName = typeof modelNames[number];
type LoadName = typeof loadNames[number];
type RowName = typeof rowNames[number];

const {values} = parseArgs({options: {
    models: {type: "string", default: process.env.BELLE_BENCH_MODELS ?? modelNames.join(",")},
    loads: {type: "string", default: process.env.BELLE_BENCH_LOADS ?? loadNames.join(",")},
    rows: {type: "string", default: process.env.BELLE_BENCH_ROWS ?? rowNames.join(",")},
    rounds: {type: "string", default: process.env.BELLE_BENCH_ROUNDS ?? "5"},
    tokens: {type: "string", default: process.env.BELLE_BENCH_TOKENS ?? "128"},
    threads: {type: "string", default: process.env.BELLE_BENCH_THREADS ?? "auto"},
    "token-loop": {type: "string", default: process.env.BELLE_BENCH_TOKEN_LOOP ?? "auto"},
    speculative: {type: "string", default: process.env.BELLE_BENCH_SPECULATIVE ?? "off"},
    json: {type: "string", default: process.env.BELLE_BENCH_JSON}
}});
const pick = <T extends string>(list: string, allowed: readonly T[], what: string): T[] => list.split(",").map((name) => name.trim()).filter(Boolean).map((name) => {
    if (!(allowed as readonly string[]).includes(name)) throw new Error(`unknown ${what} "${name}"; one of ${allowed.join(", ")}`);
    return name as T;
});
const models = pick(values.models, modelNames, "model");
const loads = pick(values.loads, loadNames, "load");
const rows = pick(values.rows, rowNames, "row");
const rounds = Number(values.rounds);
const decodeTokens = Number(values.tokens);
const ourThreads = values.threads === "auto" ? "auto" : Number(values.threads);
const peerThreads = ourThreads === "auto" ? resolveThreadCount("auto") : ourThreads;
const parallel = 4;
const contextTokens = 4096;

console.error("[bench] building llama.cpp's llama-server from node-llama-cpp's bundled source (cached)…");
const peerBin = execFileSync("bash", [path.join(repoRoot, "scripts/build-llama-peers.sh")], {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"]}).trim().split("\n").at(-1)!;

async function modelPathOf(model: ModelName): Promise<string> {
    switch (model) {
        case "tiny": return ensureEmbeddedModel();
        case "q4_0": return ensureGeneratedModel({shape: "0.5b", type: "Q4_0"});
        case "q8_0": return ensureGeneratedModel({shape: "0.5b", type: "Q8_0"});
        case "q4_k_m": {
            // our GGUF writer quantizes to Q4_0 and Q8_0 only; K-quants come from llama.cpp's own llama-quantize
            const f16 = await ensureGeneratedModel({shape: "0.5b", type: "F16"});
            const quantized = path.join(getBelleCacheDir(), "models", path.basename(f16).replace("-f16-", "-q4_k_m-"));
            if (!fs.existsSync(quantized)) {
                execFileSync(path.join(peerBin, "llama-quantize"), [f16, `${quantized}.tmp`, "Q4_K_M"], {stdio: ["ignore", "ignore", "inherit"]});
                fs.renameSync(`${quantized}.tmp`, quantized);
            }
            return quantized;
        }
    }
}

const modelLabels: Record<ModelName, string> = {
    tiny: "tiny generated model (F16)", q4_0: "0.5B-shape Q4_0", q4_k_m: "0.5B-shape Q4_K_M", q8_0: "0.5B-shape Q8_0"
};
const rowLabels: Record<RowName, string> = {
    decode1: "decode, 1 stream (tok/s)",
    decode4: `decode, ${parallel} streams (total tok/s)`,
    prefill: "prefill, ~1k-token prompt (tok/s)",
    ttft: "time to first token, short prompt (ms)"
};
/** Rates: higher is better; times: lower is better. The ratio is always "how many times faster we are". */
const isTime = (row: RowName) => row === "ttft";

const unique = () => crypto.randomBytes(4).toString("hex");
const longText = "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。".repeat(40);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureRow(server: BenchServer, row: RowName, prompts: Record<RowName, string[]>): Promise<number> {
    switch (row) {
        case "decode1": {
            // tokens after the first over the time after the first: decode speed without the prompt
            const timing = await timedCompletion(server, prompts.decode1[0]!, decodeTokens);
            if (timing.completionTokens < decodeTokens / 2) console.error(`[bench] ${server.name}: only ${timing.completionTokens} tokens`);
            return ((timing.completionTokens - 1) / (timing.lastTextMs - timing.firstTextMs)) * 1000;
        }
        case "decode4": {
            // all tokens after each stream's first, from the first stream's first text to the last stream's last
            const startedAt = performance.now();
            const timings = await Promise.all(prompts.decode4.map(async (prompt) => {
                const offset = performance.now() - startedAt;
                const timing = await timedCompletion(server, prompt, decodeTokens);
                return {...timing, firstTextMs: timing.firstTextMs + offset, lastTextMs: timing.lastTextMs + offset};
            }));
            const span = Math.max(...timings.map((timing) => timing.lastTextMs)) - Math.min(...timings.map((timing) => timing.firstTextMs));
            return (timings.reduce((sum, timing) => sum + timing.completionTokens - 1, 0) / span) * 1000;
        }
        case "prefill": {
            // the whole request with one generated token, so no streaming detail can flatter either side
            const timing = await timedCompletion(server, prompts.prefill[0]!, 1);
            return (timing.promptTokens / timing.totalMs) * 1000;
        }
        case "ttft":
            return (await timedCompletion(server, prompts.ttft[0]!, 1)).totalMs;
    }
}

type RoundFigures = {round: number, first: BenchServer["name"], belle: Partial<Record<RowName, number>>, peer: Partial<Record<RowName, number>>};
type Case = {model: ModelName, load: LoadName, modelPath: string, rounds: RoundFigures[], loadAverage: number[]};

async function runCase(model: ModelName, load: LoadName): Promise<Case> {
    const modelPath = await modelPathOf(model);
    const setup: ServerSetup = {modelPath, contextTokens, parallel, threads: ourThreads, tokenLoop: pick(values["token-loop"], ["auto", "native", "node-llama-cpp"] as const, "token loop")[0]};
    console.error(`[bench] ${modelLabels[model]}, ${load} machine: loading both servers…`);
    const belle = await startBelle({...setup, extraArgs: ["--speculative", pick(values.speculative, ["off", "auto", "lookup"] as const, "speculative mode")[0]!]});
    const peer = await startLlamaServer(peerBin, {...setup, threads: peerThreads}).catch(async (error: unknown) => {
        await belle.stop();
        throw error;
    });
    const spinner = load === "busy" ? startCpuSpinner() : null;
    const figures: RoundFigures[] = [];
    const loadAverage: number[] = [];
    try {
        for (const server of [peer, belle]) {
            await timedCompletion(server, `预热 ${unique()}`, 8);
            await Promise.all([0, 1, 2, 3].map((index) => timedCompletion(server, `预热${index} ${unique()}`, 8)));
        }
        for (let round = 0; round < rounds; round++) {
            // the same prompts for both in a round; a fresh prefix each round, so neither reuses a cached prompt
            const tag = unique();
            const prompts: Record<RowName, string[]> = {
                decode1: [`${tag} 请写一篇关于春天的文章。`],
                decode4: [0, 1, 2, 3].map((index) => `${tag} 第${index}个问题：请介绍一下中国的历史。`),
                prefill: [`${tag} ${longText}`],
                ttft: [`${tag} 你好，请介绍一下你自己。`]
            };
            const order = round % 2 === 0 ? [peer, belle] : [belle, peer];
            const result: RoundFigures = {round, first: order[0]!.name, belle: {}, peer: {}};
            for (const server of order) {
                for (const row of rows)
                    (server === belle ? result.belle : result.peer)[row] = await measureRow(server, row, prompts);
                // llama-server's workers poll for new work for a while after each graph; let them go to sleep
                await pause(1000);
            }
            loadAverage.push(os.loadavg()[0]!);
            figures.push(result);
            console.error(`[bench]   round ${round + 1}/${rounds} (${result.first} first): ${rows.map((row) =>
                `${row} ${format(row, result.belle[row]!)} vs ${format(row, result.peer[row]!)}`).join(", ")}`);
        }
    } finally {
        await spinner?.stop();
        await peer.stop();
        await belle.stop();
    }
    return {model, load, modelPath, rounds: figures, loadAverage};
}

function format(row: RowName, value: number): string {
    return isTime(row) ? `${value.toFixed(1)} ms` : value.toFixed(1);
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const startedAt = new Date();
const cpu = `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? "?"})`;
console.log(`\nBELLE engine (token loop ${values["token-loop"]}, speculative ${values.speculative}) vs llama-server, ${startedAt.toISOString().slice(0, 16)}Z, ${cpu}, threads ${ourThreads === "auto" ? `auto (llama-server -t ${peerThreads})` : ourThreads}, `
    + `${rounds} rounds alternated, ${decodeTokens} tokens per stream; ratio = how many times faster we are, per round\n`);
console.log("| model | machine | row | belle (median) | llama-server (median) | ratio min / **median** / max |");
console.log("|---|---|---|---:|---:|---:|");
// each case's rows as soon as it is done, so a long run that is stopped keeps what it measured
const cases: Case[] = [];
for (const model of models) {
    for (const load of loads) {
        const entry = await runCase(model, load);
        cases.push(entry);
        printRows(entry);
        if (values.json != null)
            fs.writeFileSync(values.json, JSON.stringify({startedAt, cpu, threads: ourThreads, peerThreads, decodeTokens, cases}, null, 2));
    }
}
const loadAverages = cases.flatMap((entry) => entry.loadAverage);
console.log(`\n1-minute load average after each round: ${Math.min(...loadAverages).toFixed(2)}–${Math.max(...loadAverages).toFixed(2)} `
    + "(the bench's own servers and client count too; anything above that ran beside it)");

function printRows({model, load, rounds: figures}: Case) {
    for (const row of rows) {
        const ours = figures.map((figure) => figure.belle[row]!);
        const theirs = figures.map((figure) => figure.peer[row]!);
        const ratios = figures.map((figure) => isTime(row) ? figure.peer[row]! / figure.belle[row]! : figure.belle[row]! / figure.peer[row]!);
        const sorted = [...ratios].sort((a, b) => a - b);
        console.log(`| ${modelLabels[model]} | ${load} | ${rowLabels[row]} | ${format(row, median(ours))} | ${format(row, median(theirs))} | `
            + `${sorted[0]!.toFixed(2)} / **${median(ratios).toFixed(2)}×** / ${sorted.at(-1)!.toFixed(2)} |`);
    }
    if (model === "tiny" && rows.includes("decode1")) {
        const oursMs = 1000 / median(figures.map((figure) => figure.belle.decode1!));
        const theirsMs = 1000 / median(figures.map((figure) => figure.peer.decode1!));
        console.log(`| ${modelLabels[model]} | ${load} | cost per token, 1 stream (ms) | ${oursMs.toFixed(3)} | ${theirsMs.toFixed(3)} | added ${(oursMs - theirsMs).toFixed(3)} ms |`);
    }
}
