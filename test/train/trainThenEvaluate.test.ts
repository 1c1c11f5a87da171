import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {runEvalJob} from "../../server/eval/runEvalJob";
import type {TrainingTurn} from "../../server/train/data/TrainingExample";
import {runTrainWorker} from "../../server/train/trainer/runTrainWorker";
import type {TrainWorkerMessage} from "../../server/train/trainer/trainWorker";
import {repoRoot, startEngineProcess} from "../support/startEngineProcess";

const workerCommand = [process.execPath, "--import", "tsx", path.join(repoRoot, "server/train/trainer/trainWorker.ts")] as const;
const questionsAndAnswers: [string, string][] = [
    ["中国的首都是哪里？", "北京。"],
    ["一年有几个季节？", "四个季节。"],
    ["熊猫爱吃什么？", "竹子。"],
    ["太阳从哪边升起？", "东边。"]
];
// Measured on this model: 60 epochs of 4 windows at 1e-3 decaying to 2e-4 (about 25 s on 2 cores): mean 0.50, two
// answers word for word. A constant 1e-3, 80 to 120 epochs or a decay to 5e-4 or 1e-4 scored 0.44 to 0.60; 2e-3
// (the rate before the prompts' gradient was masked, see AssistantLossMask) and 1.5e-3 oscillate and ramble, and
// 5e-4 scored 0.25. Which answer a question gets is still partly luck: the examples repeat in one order, and with the
// order shuffled the loss stalls near 0.4 with one answer for every question, so the model learns each answer from
// the answers before it in the window more than from its question (llama.cpp never trains attn_k nor attn_v either:
// no gradient reaches them through the KV cache)
const epochs = 60;
const learningRate = 1e-3;
const minLearningRate = 2e-4;
const copies = 8;

/** Evaluates a model as a user would offline: the engine on it, each question at temperature 0, the reference judge. */
async function evaluate(modelPath: string, evalSetPath: string, runFilePath: string): Promise<EvalRunRecord[]> {
    const engine = await startEngineProcess(["--model", modelPath, "--parallel", "2", "--ctx-size", "512"]);
    try {
        const endpoint = {baseUrl: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, model: engine.ready.model};
        const {records} = await runEvalJob({
            evalSetPath, runFilePath, candidate: endpoint, judge: null, judgeMode: "reference",
            sampling: {temperature: 0, topP: 1, maxTokens: 16}, concurrency: 2
        });
        return [...records].sort((a, b) => a.index - b.index);
    } finally {
        await engine.stop();
    }
}

const meanScore = (records: EvalRunRecord[]) => records.reduce((sum, record) => sum + (record.score ?? 0), 0) / records.length;
const describeRun = (records: EvalRunRecord[]) => records.map((record) => `${record.question} → ${JSON.stringify(record.answer)} (${record.score?.toFixed(2)})`).join("; ");

describe("train, then evaluate: a before/after evaluation on a few memorised Chinese Q&A items improves (generated tiny F32 model)", function () {
    // About a minute on 2 idle cores (two engine starts, 25 s of training); room for a loaded CI machine
    this.timeout(480_000);
    let directory: string;
    before(() => { directory = fs.mkdtempSync(path.join(os.tmpdir(), "belle-train-eval-")); });
    after(() => fs.rmSync(directory, {recursive: true, force: true}));

    it("scores the trained model's answers against the standard answers clearly above the base model's", async () => {
        const baseModelPath = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const evalSetPath = path.join(directory, "eval_set.json");
        fs.writeFileSync(evalSetPath, questionsAndAnswers.map(([question, answer]) => JSON.stringify({question, std_answer: answer, class: "open qa"})).join("\n") + "\n");

        const before = await evaluate(baseModelPath, evalSetPath, path.join(directory, "before.jsonl"));

        // The eval items themselves, repeated to fill the training windows: memorising them is the point here
        const examples: TrainingTurn[][] = questionsAndAnswers.map(([question, answer]) => [{role: "user", text: question}, {role: "assistant", text: answer}]);
        const outputPath = path.join(directory, "tuned.gguf");
        const startedAt = performance.now();
        const messages: TrainWorkerMessage[] = await runTrainWorker({
            modelPath: baseModelPath, outputPath, examples: Array.from({length: copies}, () => examples).flat(),
            contextTokens: 256, epochs, learningRate, minLearningRate, threads: 2
        }, {command: workerCommand});
        const trainingSeconds = (performance.now() - startedAt) / 1000;
        // The examples were laid out with the model's chat template, as the engine sends a chat to this model
        const dataset = messages.find((message) => message.type === "dataset");
        assert.equal(dataset?.promptFormat, "ChatML");

        const after = await evaluate(outputPath, evalSetPath, path.join(directory, "after.jsonl"));
        const losses = messages.flatMap((message) => message.type === "epoch" ? [message.loss.toFixed(3)] : []);
        const summary = `before ${meanScore(before).toFixed(3)}: ${describeRun(before)}\nafter ${meanScore(after).toFixed(3)}: ${describeRun(after)}\n` +
            `${dataset?.windows} windows, ${epochs} epochs at ${learningRate} → ${minLearningRate} in ${trainingSeconds.toFixed(1)} s, losses ${losses.join(" → ")}`;
        if (process.env.BELLE_TEST_VERBOSE != null) process.stderr.write(`${summary}\n`);
        assert.ok(after.every((record) => record.score != null && record.judge === "reference"), summary);
        // The base model rambles to max_tokens; trained in the chat template's format, the model answers briefly and
        // stops (EOS), as in the training examples
        assert.ok(before.every((record) => [...record.answer ?? ""].length >= 12), summary);
        assert.ok(after.every((record) => [...record.answer ?? ""].length <= 8), summary);
        assert.ok(meanScore(after) >= meanScore(before) + 0.25, summary);
        assert.ok(after.some((record) => record.answer?.trim() === record.stdAnswer), `no answer is its standard answer word for word\n${summary}`);
    });
});
