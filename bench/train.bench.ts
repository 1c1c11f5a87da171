// npm run bench:train — the built-in trainer (llama.cpp's training API through koffi, node-llama-cpp's prebuilt
// CPU libraries) vs llama.cpp's own llama-finetune built from the same source, same F32 model, same text, same
// context and threads, loss on every token for both. Prints training tok/s (forward + backward + AdamW) and the ratio.
// Options: --shape tiny|0.5b (default tiny; 0.5b in F32 needs ~10 GB of RAM), --epochs N (default 3), --copies N.
import {execFileSync, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {ensureGeneratedModel} from "../models/generate/ensureGeneratedModel";
import type {ModelShapeName} from "../models/generate/generateLlamaModel";
import {resolveThreadCount} from "../server/engine/resolveThreadCount";
import type {TrainingTurn} from "../server/train/data/TrainingExample";
import {renderTrainingText} from "../server/train/data/renderTrainingText";
import {runTrainWorker} from "../server/train/trainer/runTrainWorker";
import {repoRoot} from "../test/support/startEngineProcess";

const {values} = parseArgs({options: {
    shape: {type: "string", default: "tiny"}, epochs: {type: "string", default: "3"}, copies: {type: "string", default: "16"}
}});
const epochs = Number(values.epochs);
const contextTokens = 256;
const threads = resolveThreadCount("auto");

console.error("[bench] building llama.cpp peers from node-llama-cpp's bundled source (cached)…");
const peerBin = execFileSync("bash", [path.join(repoRoot, "scripts/build-llama-peers.sh")], {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"]}).trim().split("\n").at(-1)!;
console.error(`[bench] generating the ${values.shape} F32 model (cached)…`);
const modelPath = await ensureGeneratedModel({shape: values.shape as ModelShapeName, type: "F32"});

const pairs: [string, string][] = [
    ["你好，请介绍一下你自己。", "我是一个中文助手，可以回答你的问题。"],
    ["北京是哪个国家的首都？", "北京是中国的首都。"],
    ["一年有几个季节？", "一年有春、夏、秋、冬四个季节。"],
    ["水的化学式是什么？", "水的化学式是H2O。"]
];
const examples: TrainingTurn[][] = Array.from({length: Number(values.copies)}, () => pairs.map(([question, answer]): TrainingTurn[] => [
    {role: "user", text: question}, {role: "assistant", text: answer}
])).flat();

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "belle-train-bench-"));
try {
    const ours = await runTrainWorker({
        modelPath, outputPath: path.join(directory, "ours.gguf"), examples, contextTokens, epochs, learningRate: 1e-4, threads, lossOn: "all"
    }, {command: [process.execPath, "--import", "tsx", path.join(repoRoot, "server/train/trainer/trainWorker.ts")]});
    const ourEpochs = ours.flatMap((message) => message.type === "epoch" ? [message] : []);
    const ourTokensPerSecond = median(ourEpochs.slice(1).map((epoch) => epoch.tokensPerSecond));

    // llama-finetune prints no throughput: time 1 epoch and 1 + epochs epochs, and divide the difference
    const corpusPath = path.join(directory, "corpus.txt");
    fs.writeFileSync(corpusPath, examples.map((turns) => renderTrainingText(turns)).join(""));
    const runFinetune = (epochCount: number) => {
        const startMs = performance.now();
        const run = spawnSync(path.join(peerBin, "llama-finetune"), [
            "-m", modelPath, "-f", corpusPath, "-c", String(contextTokens), "-b", String(contextTokens), "-ub", String(contextTokens),
            "-t", String(threads), "-epochs", String(epochCount), "-lr", "1e-4", "-val-split", "0", "-o", path.join(directory, "peer.gguf")
        ], {encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20});
        if (run.status !== 0)
            throw new Error(`llama-finetune exited with ${run.status ?? run.signal}:\n${run.stderr.slice(-4000)}`);
        // Its progress bar goes to stderr
        return {ms: performance.now() - startMs, log: run.stderr};
    };
    const one = runFinetune(1);
    const many = runFinetune(1 + epochs);
    const windows = Number(/data=(\d+)\/\1/.exec(many.log)?.[1] ?? NaN);
    const peerTokensPerSecond = epochs * windows * contextTokens / ((many.ms - one.ms) / 1000);

    console.log(`model ${path.basename(modelPath)}, context ${contextTokens}, threads ${threads}, ${epochs} epochs`);
    console.log(`belle trainer  : ${ourTokensPerSecond.toFixed(0)} tok/s (epochs: ${ourEpochs.map((epoch) => epoch.tokensPerSecond.toFixed(0)).join(", ")}; loss ${ourEpochs.map((epoch) => epoch.loss.toFixed(3)).join(" → ")})`);
    console.log(`llama-finetune : ${peerTokensPerSecond.toFixed(0)} tok/s (${windows} windows per epoch)`);
    console.log(`ratio          : ${(ourTokensPerSecond / peerTokensPerSecond).toFixed(2)}`);
} finally {
    fs.rmSync(directory, {recursive: true, force: true});
}

function median(values: number[]) {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
