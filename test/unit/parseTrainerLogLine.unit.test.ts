import assert from "node:assert/strict";
import {parseTrainerLogLine} from "../../server/train/external/parseTrainerLogLine";

describe("parseTrainerLogLine", () => {
    it("reads a Trainer training dict with grad_norm and a small learning rate", () => {
        assert.deepEqual(parseTrainerLogLine("{'loss': 1.8613, 'grad_norm': 0.5234375, 'learning_rate': 1.9e-05, 'epoch': 0.05}"),
            {kind: "train", epoch: 0.05, loss: 1.8613, learningRate: 1.9e-5, gradNorm: 0.5234375});
    });

    it("takes the step from a tqdm bar on the same line, after carriage-return updates", () => {
        const line = "  5%|▌         | 9/200 [00:27<09:33,  3.00s/it]\r  5%|▌         | 10/200 [00:30<09:30,  3.00s/it]" +
            "{'loss': 2.0143, 'grad_norm': 1.25, 'learning_rate': 2e-05, 'epoch': 0.15}\r  5%|▌         | 10/200 [00:30<09:30,  3.00s/it]";
        assert.deepEqual(parseTrainerLogLine(line),
            {kind: "train", step: 10, totalSteps: 200, epoch: 0.15, loss: 2.0143, learningRate: 2e-5, gradNorm: 1.25});
    });

    it("keeps a nan loss and an inf grad norm as numbers", () => {
        const result = parseTrainerLogLine("{'loss': nan, 'grad_norm': inf, 'learning_rate': 0.0003, 'epoch': 1.2}");
        assert.ok(result?.kind === "train");
        assert.ok(Number.isNaN(result.loss));
        assert.equal(result.gradNorm, Infinity);
        assert.equal(parseTrainerLogLine("{'loss': 0.5, 'grad_norm': -inf, 'epoch': 1}")?.kind, "train");
    });

    it("skips a tensor repr value instead of failing the line", () => {
        assert.deepEqual(parseTrainerLogLine("{'loss': 1.2, 'grad_norm': tensor(0.5, device='cuda:0'), 'learning_rate': 1e-4, 'epoch': 0.3}"),
            {kind: "train", epoch: 0.3, loss: 1.2, learningRate: 1e-4});
    });

    it("reads a line behind a timestamp and an [INFO|trainer.py] prefix with a Chinese path", () => {
        const line = "[INFO|trainer.py:2312] 2026-11-24 16:40:01,123 >> /home/张三/训练 输出/run.log {'loss': 0.9876, 'learning_rate': 2.5e-4, 'epoch': 2.0}";
        assert.deepEqual(parseTrainerLogLine(line), {kind: "train", epoch: 2, loss: 0.9876, learningRate: 2.5e-4});
    });

    it("reads LLaMA-Factory's own log dict with throughput", () => {
        assert.deepEqual(
            parseTrainerLogLine("{'loss': 1.3042, 'learning_rate': 9.8e-05, 'epoch': 0.41, 'throughput': 1523.67}"),
            {kind: "train", epoch: 0.41, loss: 1.3042, learningRate: 9.8e-5, throughput: 1523.67});
    });

    it("reads a LLaMA-Factory trainer_log.jsonl line with its step counters", () => {
        const line = '{"current_steps": 10, "total_steps": 200, "loss": 1.7, "lr": 2.9e-05, "epoch": 0.05, "percentage": 5.0, "elapsed_time": "0:00:30", "remaining_time": "0:09:30"}';
        assert.deepEqual(parseTrainerLogLine(line),
            {kind: "train", step: 10, totalSteps: 200, epoch: 0.05, loss: 1.7, learningRate: 2.9e-5});
    });

    it("reads an eval line and keeps every eval metric", () => {
        assert.deepEqual(
            parseTrainerLogLine("{'eval_loss': 1.2, 'eval_runtime': 12.3, 'eval_samples_per_second': 8.1, 'eval_steps_per_second': 1.02, 'epoch': 1.0}"),
            {kind: "eval", epoch: 1, evalLoss: 1.2, evalRuntimeSeconds: 12.3, evalSamplesPerSecond: 8.1, evalStepsPerSecond: 1.02,
                metrics: {loss: 1.2, runtime: 12.3, samples_per_second: 8.1, steps_per_second: 1.02}});
    });

    it("reads the training summary", () => {
        assert.deepEqual(
            parseTrainerLogLine("{'train_runtime': 123.4, 'train_samples_per_second': 5.2, 'train_steps_per_second': 0.3, 'total_flos': 1.2345e+16, 'train_loss': 1.5, 'epoch': 3.0}"),
            {kind: "summary", trainRuntimeSeconds: 123.4, trainLoss: 1.5, trainSamplesPerSecond: 5.2, trainStepsPerSecond: 0.3,
                totalFlos: 1.2345e16, epoch: 3});
    });

    it("reads a bare tqdm bar as progress, taking the last of several carriage-return updates", () => {
        assert.deepEqual(parseTrainerLogLine("  5%|▌         | 10/200 [00:30<09:30,  3.00s/it]"), {kind: "progress", current: 10, total: 200});
        assert.deepEqual(
            parseTrainerLogLine("\r  0%|          | 0/200 [00:00<?, ?it/s]\r  1%|          | 1/200 [00:03<10:00,  3.01s/it]\r  1%|          | 2/200 [00:06<09:57,  3.00s/it]"),
            {kind: "progress", current: 2, total: 200});
    });

    it("returns null for lines that are not log events, and never throws", () => {
        for (const line of ["", "Loading checkpoint shards: done", "{'eval_loss': 1.0}", "{not a dict", "{'a': 'b'}",
            "[WARNING] {'loss': }", "{{{{((((", "Epoch 3/10", "\u0000\uffff", "{'loss': 1.0, 'epoch': 0.1"])
            assert.equal(parseTrainerLogLine(line), null, JSON.stringify(line));
    });
});
