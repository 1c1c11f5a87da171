import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {readGgufFileInfo} from "node-llama-cpp";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import type {TrainingTurn} from "../../server/train/data/TrainingExample";
import {fineTuneModel} from "../../server/train/trainer/fineTuneModel";

/** Each tensor's bytes by name; the generated model is small enough to hold whole. */
async function readTensors(modelPath: string): Promise<Map<string, Buffer>> {
    const info = await readGgufFileInfo(modelPath, {readTensorInfo: true});
    const file = fs.openSync(modelPath, "r");
    try {
        return new Map((info.fullTensorInfo ?? []).map((tensor) => {
            // Every tensor of an F32 model is F32
            const bytes = Buffer.alloc(tensor.dimensions.reduce<number>((product, size) => product * Number(size), 1) * Float32Array.BYTES_PER_ELEMENT);
            fs.readSync(file, bytes, 0, bytes.length, Number(tensor.fileOffset));
            return [tensor.name, bytes];
        }));
    } finally {
        fs.closeSync(file);
    }
}

describe("train: the assistant loss mask stops the prompts' gradient, not only their loss (generated tiny F32 model)", function () {
    this.timeout(180_000);
    let directory: string;
    before(() => { directory = fs.mkdtempSync(path.join(os.tmpdir(), "belle-loss-mask-")); });
    after(() => fs.rmSync(directory, {recursive: true, force: true}));

    it("leaves every weight byte-identical after an epoch of AdamW without weight decay when no label is an assistant's", async () => {
        const modelPath = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const outputPath = path.join(directory, "tuned.gguf");
        // No assistant turn: every label is masked. ggml's cross-entropy backward gives softmax − labels per row,
        // so a masked label row alone would still train the model away from what it predicts at the prompts
        const prompt: TrainingTurn[] = [{role: "user", text: "中国的首都是哪里？请简单回答。"}];
        const reports = fineTuneModel({
            modelPath, outputPath, examples: Array.from({length: 48}, () => prompt), validationExamples: [prompt],
            contextTokens: 256, epochs: 1, learningRate: 1e-2, weightDecay: 0, threads: 2
        });
        const [report] = reports;
        assert.ok(report != null && report.trainedTokens >= 2 * 256, `${report?.trainedTokens} trained tokens: the test needs two windows or more`);
        if (process.env.BELLE_TEST_VERBOSE != null)
            process.stderr.write(`${report.trainedTokens / 256} windows in ${report.seconds.toFixed(2)} s: ${(report.seconds * 1000 / (report.trainedTokens / 256)).toFixed(0)} ms per window\n`);

        const [base, tuned] = await Promise.all([readTensors(modelPath), readTensors(outputPath)]);
        assert.deepEqual([...tuned.keys()].sort(), [...base.keys()].sort());
        const changed = [...base].filter(([name, bytes]) => !bytes.equals(tuned.get(name)!)).map(([name]) => name);
        assert.deepEqual(changed, [], "a zero gradient must leave AdamW's update at zero");
    });
});
