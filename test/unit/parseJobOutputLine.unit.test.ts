import assert from "node:assert/strict";
import {parseJobOutputLine} from "../../server/train/external/parseJobOutputLine";

describe("parseJobOutputLine", () => {
    it("reads our own trainer's JSON lines before the Trainer's dicts, although they hold loss and epoch too", () => {
        const epoch = {type: "epoch", epoch: 0, loss: 2.5, lossUncertainty: 0.1, accuracy: 0.2, learningRate: 1e-4, trainedTokens: 512,
            seconds: 1, tokensPerSecond: 512, validationLoss: null, validationAccuracy: null};
        assert.deepEqual(parseJobOutputLine(JSON.stringify(epoch)), {kind: "belle", message: epoch});
        assert.deepEqual(parseJobOutputLine('{"type":"saved","outputPath":"/out/模型.gguf"}'),
            {kind: "belle", message: {type: "saved", outputPath: "/out/模型.gguf"}});
    });

    it("reads Trainer and LLaMA-Factory lines as trainer records", () => {
        assert.deepEqual(parseJobOutputLine("{'loss': 1.8613, 'learning_rate': 1.9e-05, 'epoch': 0.05}"),
            {kind: "trainer", record: {kind: "train", epoch: 0.05, loss: 1.8613, learningRate: 1.9e-5}});
        assert.equal(parseJobOutputLine('{"current_steps": 10, "total_steps": 200, "loss": 1.7, "epoch": 0.05}').kind, "trainer");
    });

    it("keeps everything else as text, including JSON of an unknown type and an error message", () => {
        for (const line of ['{"type":"weather","loss":1}', "belle: /data/bad.jsonl: no valid training example.", "", '{"type":'])
            assert.deepEqual(parseJobOutputLine(line), {kind: "text", line});
    });
});
