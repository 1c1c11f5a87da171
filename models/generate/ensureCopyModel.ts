import fs from "node:fs";
import path from "node:path";
import type {TrainingTurn} from "../../server/train/data/TrainingExample";
import {readTrainingFile} from "../../server/train/data/readTrainingFile";
import {runTrainWorker} from "../../server/train/trainer/runTrainWorker";
import {SeededRandom} from "./SeededRandom";
import {ensureGeneratedModel, getBelleCacheDir} from "./ensureGeneratedModel";

/** Bump when the examples or the training settings change, so the cached model is trained again. */
const copyModelVersion = 2;

/** BELLE's single-turn training record. */
export type CopyTrainingRecord = {instruction: string, input: string, output: string};

export type CopyModelOptions = {
    /** How to start the built-in trainer's worker: [executable, ...args before the job path] (see runTrainWorker). */
    trainWorkerCommand: readonly [string, ...string[]],
    seed?: number,
    examples?: number,
    epochs?: number,
    learningRate?: number,
    threads?: number,
    onProgress?: (line: string) => void,
    signal?: AbortSignal
};

/**
 * The tiny generated model fine-tuned by the built-in trainer on answers that copy their prompt (rewrite, extract,
 * summarize, code edit), meant to give prompt-lookup decoding something to find. Cached as the other generated
 * models are, with its training file beside it; trained again when missing (~8 minutes on one thread). Deterministic:
 * the same seed gives the same examples, and training on one thread gave the same losses twice.
 */
export async function ensureCopyModel({
    trainWorkerCommand, seed = 1, examples = 2000, epochs = 5, learningRate = 1e-3, threads = 1, onProgress = () => undefined, signal
}: CopyModelOptions): Promise<string> {
    const stem = `belle-tiny-copy-s${seed}-n${examples}-e${epochs}-c${copyModelVersion}`;
    const directory = path.join(getBelleCacheDir(), "models");
    const modelPath = path.join(directory, `${stem}.gguf`);
    if (fs.existsSync(modelPath)) return modelPath;

    const basePath = await ensureGeneratedModel({shape: "tiny", type: "F32"}, {signal});
    const trainingPath = path.join(directory, `${stem}.train.jsonl`);
    fs.writeFileSync(trainingPath, copyTrainingRecords(seed, examples).map((record) => JSON.stringify(record)).join("\n") + "\n");
    // Read back as `belle train run` reads a training file, so the model learns the records as written
    const turns: TrainingTurn[][] = [];
    for await (const entry of readTrainingFile(trainingPath, {signal}))
        if (entry.kind === "example") turns.push(entry.example.turns);

    const partialPath = `${modelPath}.${process.pid}.tmp`;
    try {
        await runTrainWorker({
            modelPath: basePath, outputPath: partialPath, examples: turns, contextTokens: 256, epochs, learningRate,
            minLearningRate: learningRate / 2, threads, lossOn: "assistant"
        }, {
            command: trainWorkerCommand, signal,
            onMessage: (message) => {
                if (message.type === "batch" && message.batch % 250 === 0 && message.accuracy != null)
                    onProgress(`epoch ${message.epoch + 1}/${epochs}, window ${message.batch}/${message.batches}: loss ${message.loss?.toFixed(3)}, accuracy ${message.accuracy.toFixed(3)}`);
                else if (message.type === "epoch")
                    onProgress(`epoch ${message.epoch + 1}/${epochs}: loss ${message.loss.toFixed(3)}, accuracy ${message.accuracy.toFixed(3)}, ${message.seconds.toFixed(0)} s`);
            }
        });
        fs.renameSync(partialPath, modelPath);
    } finally {
        fs.rmSync(partialPath, {force: true});
    }
    return modelPath;
}

/**
 * Characters the copied spans are drawn from at random, so an answer can only be right by copying. Few of them: the
 * trainer does not train token embeddings, so the output layer must learn each character's row to write back what the
 * model read, and a small alphabet gives each row more updates (1,500 characters did no better). Even so, the tiny
 * model does not learn to copy within the budget (README, Prompt lookup).
 */
const spanCharacters = [..."天地人山水火木金土日月星云雨风雪花草树林江河湖海东西南北春夏秋冬红黄蓝白黑"];

/**
 * Seeded copy-style records in BELLE's single-turn format: each answer repeats spans of its input, as BELLE's
 * rewrite, extract and summarization classes and code edits do.
 */
export function copyTrainingRecords(seed: number, count: number): CopyTrainingRecord[] {
    const random = new SeededRandom(seed);
    const integer = (min: number, max: number) => min + (random.nextUint32() % (max - min + 1));
    const pick = <T>(items: readonly T[]): T => items[random.nextUint32() % items.length]!;
    const phrase = (min: number, max: number) => Array.from({length: integer(min, max)}, () => pick(spanCharacters)).join("");
    const sentence = () => `${phrase(4, 10)}，${phrase(4, 12)}。`;
    const identifier = () => Array.from({length: integer(1, 6)}, () => String.fromCharCode(integer(0x61, 0x7a))).join("");

    const tasks: (() => CopyTrainingRecord)[] = [
        () => {
            const text = sentence() + sentence();
            return {instruction: "改写下面的句子：", input: text, output: text};
        },
        () => {
            const quoted = phrase(6, 20);
            return {instruction: "从下面的文字中提取引号里的内容：", input: `${phrase(2, 10)}“${quoted}”${phrase(2, 10)}。`, output: quoted};
        },
        () => {
            const sentences = Array.from({length: integer(2, 4)}, sentence);
            return {instruction: "用一句话总结下面的文字：", input: sentences.join(""), output: sentences[0]!};
        },
        () => {
            const lines = Array.from({length: integer(2, 4)}, () => `let ${identifier()} = ${identifier()} + ${identifier()}`);
            return {instruction: "在下面每行代码的末尾加上分号：", input: lines.join("\n"), output: lines.map((line) => `${line};`).join("\n")};
        }
    ];
    return Array.from({length: count}, (_, index) => tasks[index % tasks.length]!());
}
