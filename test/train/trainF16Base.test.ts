import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {readGgufFileInfo} from "node-llama-cpp";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import {runTrainWorker} from "../../server/train/trainer/runTrainWorker";
import type {TrainWorkerMessage} from "../../server/train/trainer/trainWorker";
import {repoRoot} from "../support/startEngineProcess";

const workerCommand = [process.execPath, "--import", "tsx", path.join(repoRoot, "server/train/trainer/trainWorker.ts")] as const;

describe("train: an F16 base model (converted to F32 first, since llama.cpp trains F32 tensors only)", function () {
    this.timeout(120_000);

    it("trains the converted weights — the loss falls as on an F32 base — and leaves only the F32 output", async () => {
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), "belle-train-f16-"));
        try {
            const outputPath = path.join(directory, "tuned.gguf");
            const turns = [{role: "user", text: "中国的首都是哪里？"}, {role: "assistant", text: "北京是中国的首都。"}] as const;
            const messages: TrainWorkerMessage[] = await runTrainWorker({
                modelPath: await ensureGeneratedModel({shape: "tiny", type: "F16"}), outputPath,
                examples: Array.from({length: 24}, () => [...turns]), contextTokens: 256, epochs: 4, learningRate: 3e-3, threads: 2
            }, {command: workerCommand});
            assert.ok(messages.some((message) => message.type === "converted"));
            assert.equal(messages.find((message) => message.type === "dataset")?.validationWindows, 0);
            // No validation examples, no validation loss
            assert.ok(messages.every((message) => message.type !== "epoch" || (message.validationLoss === null && message.validationAccuracy === null)));
            const losses = messages.flatMap((message) => message.type === "epoch" ? [message.loss] : []);
            // Without the conversion the F16 weights stay frozen and the loss barely moves (12.94 → 12.81 measured)
            assert.ok(losses.at(-1)! < losses[0]! * 0.9, `losses ${losses.map((loss) => loss.toFixed(3)).join(" → ")}`);
            assert.deepEqual(fs.readdirSync(directory), ["tuned.gguf"], "the temporary F32 base is gone");
            const info = await readGgufFileInfo(outputPath, {readTensorInfo: false});
            const metadata = info.metadata as unknown as {tokenizer: {chat_template?: string}, general: {file_type?: number}};
            assert.ok(metadata.tokenizer.chat_template != null);
            assert.equal(metadata.general.file_type, 0, "the trained model is all F32, whatever the base was");
        } finally {
            fs.rmSync(directory, {recursive: true, force: true});
        }
    });
});
