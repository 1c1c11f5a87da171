import assert from "node:assert/strict";
import type {SlurmSubmitLine} from "../../server/train/external/SlurmSubmitLine";
import {slurmSubmitLineToViewEvents, type SlurmMappingContext} from "../../extension/train/slurmSubmitLineToViewEvents";
import type {TrainingViewEvent} from "../../webview/protocol/trainProtocol";

const initialContext: SlurmMappingContext = {
    worker: {epochs: 2, stepsPerEpoch: null, contextTokens: null, notes: {dataset: (windows) => `${windows} windows`, converted: (from) => `from ${from}`}},
    trainerStep: 0, lastErrorLine: null, savedPath: null,
    notes: {
        submitted: (jobId) => `submitted ${jobId}`,
        state: (jobId, state) => `${jobId} ${state}`,
        ended: (jobId, state, exitCode) => `${jobId} ended ${state}${exitCode == null ? "" : ` ${exitCode}`}`
    }
};

function mapAll(lines: readonly SlurmSubmitLine[]): TrainingViewEvent[] {
    let context = initialContext;
    const events: TrainingViewEvent[] = [];
    for (const line of lines) {
        const mapped = slurmSubmitLineToViewEvents(line, context);
        events.push(...mapped.events);
        context = mapped.context;
    }
    return events;
}

describe("slurmSubmitLineToViewEvents (`belle train submit --slurm --json-lines` → training view)", () => {
    it("turns Slurm's states into notes and statuses, and our trainer's lines into its usual events, ending saved with the model", () => {
        const events = mapAll([
            {type: "submitted", jobId: "7", scriptPath: "/w/job.slurm.sh", logPath: "/w/job.slurm-7.log"},
            {type: "state", jobId: "7", state: "PENDING"},
            {type: "state", jobId: "7", state: "RUNNING"},
            {type: "output", event: {kind: "belle", message: {type: "dataset", windows: 4, validationWindows: 0, contextTokens: 256, tokens: 1024, trainedLabelShare: 0.3}}},
            {type: "output", event: {kind: "belle", message: {type: "epoch", epoch: 0, loss: 3.5, lossUncertainty: 0.1, accuracy: 0.25, learningRate: 1e-4,
                trainedTokens: 1024, seconds: 2, tokensPerSecond: 512, validationLoss: null, validationAccuracy: null}}},
            {type: "output", event: {kind: "belle", message: {type: "saved", outputPath: "/w/out.gguf"}}},
            {type: "state", jobId: "7", state: "COMPLETED"},
            {type: "finished", jobId: "7", state: "COMPLETED", exitCode: 0, cancelled: false}
        ]);
        assert.deepEqual(events.filter((event) => event.kind === "note").map((event) => event.kind === "note" && event.text),
            ["submitted 7", "7 PENDING", "7 RUNNING", "4 windows", "7 COMPLETED"]);
        assert.deepEqual(events.filter((event) => event.kind === "train").map((event) => event.kind === "train" && event.point),
            [{step: 4, epoch: 1, loss: 3.5, accuracy: 0.25}]);
        assert.deepEqual(events.at(-1), {kind: "status", status: "saved", message: null, outputPath: "/w/out.gguf"});
    });

    it("draws Trainer log records as train and validation points, counting steps where the line has none", () => {
        const events = mapAll([
            {type: "output", event: {kind: "trainer", record: {kind: "train", step: 10, totalSteps: 200, epoch: 0.15, loss: 2.0, learningRate: 2e-5}}},
            {type: "output", event: {kind: "trainer", record: {kind: "train", epoch: 0.3, loss: 1.8}}},
            {type: "output", event: {kind: "trainer", record: {kind: "eval", epoch: 0.3, evalLoss: 1.9, metrics: {loss: 1.9, accuracy: 0.6}}}},
            {type: "output", event: {kind: "trainer", record: {kind: "summary", trainRuntimeSeconds: 12, trainLoss: 1.9}}}
        ]);
        assert.deepEqual(events, [
            {kind: "train", point: {step: 10, epoch: 0.15, loss: 2.0, accuracy: null}, learningRate: 2e-5, tokensPerSecond: null},
            {kind: "train", point: {step: 11, epoch: 0.3, loss: 1.8, accuracy: null}, learningRate: null, tokensPerSecond: null},
            {kind: "validation", point: {step: 11, epoch: 0.3, loss: 1.9, accuracy: 0.6}}
        ]);
    });

    it("fails with the job's own error line, and a cancelled job ends cancelled", () => {
        const failed = mapAll([
            {type: "output", event: {kind: "text", line: "belle: /w/bad.jsonl: no valid training example."}},
            {type: "output", event: {kind: "text", line: "belle train validate <file> [--json]"}},
            {type: "finished", jobId: "8", state: "FAILED", exitCode: 2, cancelled: false}
        ]);
        assert.deepEqual(failed, [{kind: "status", status: "failed", message: "8 ended FAILED 2: belle: /w/bad.jsonl: no valid training example.", outputPath: null}]);
        assert.deepEqual(mapAll([{type: "finished", jobId: "9", state: "CANCELLED", exitCode: 0, cancelled: true}]),
            [{kind: "status", status: "cancelled", message: "9 ended CANCELLED 0", outputPath: null}]);
    });
});
