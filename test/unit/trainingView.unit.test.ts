import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
    nextTrainWorkerMappingContext, trainWorkerMessageToViewEvents, type TrainWorkerMappingContext
} from "../../extension/train/trainWorkerMessageToViewEvents";
import type {TrainWorkerMessage} from "../../server/train/trainer/trainWorker";
import type {TrainingViewEvent} from "../../webview/protocol/trainProtocol";
import {isExtensionToTrainingViewMessage, isTrainingViewToExtensionMessage} from "../../webview/protocol/trainProtocol";
import {applyTrainingViewEvent, createTrainingViewState, maxTrainingViewNotes, totalTrainingSteps} from "../../webview/protocol/trainingViewState";
import {trainingViewStrings} from "../../webview/train/trainingViewStrings";
import {repoRoot} from "../support/startEngineProcess";

const notes: TrainWorkerMappingContext["notes"] = {
    dataset: (windows, contextTokens, validationWindows) => `${windows}×${contextTokens}+${validationWindows}`,
    converted: (from) => `converted ${from}`
};

/** Runs worker lines through the mapper and the reducer, as the extension does. */
function replay(messages: unknown[], epochs: number | null = 2) {
    let context: TrainWorkerMappingContext = {epochs, stepsPerEpoch: null, contextTokens: null, notes};
    const state = createTrainingViewState("job");
    const events: TrainingViewEvent[] = [];
    for (const message of messages as TrainWorkerMessage[]) {
        const mapped = trainWorkerMessageToViewEvents(message, context);
        context = nextTrainWorkerMappingContext(context, message);
        events.push(...mapped);
        for (const event of mapped) applyTrainingViewEvent(state, event);
    }
    return {state, events};
}

const dataset = {type: "dataset", windows: 4, validationWindows: 1, contextTokens: 256, tokens: 1000, trainedLabelShare: 0.4};
const batch = (epoch: number, batchNumber: number, loss: number) =>
    ({type: "batch", epoch, batch: batchNumber, batches: 4, loss, accuracy: 0.1 * batchNumber, elapsedSeconds: batchNumber * 0.5});
const epochReport = (epoch: number, loss: number, validationLoss: number | null) => ({
    type: "epoch", epoch, loss, lossUncertainty: 0.01, accuracy: 0.4, learningRate: 1e-4, trainedTokens: 1024, seconds: 2,
    tokensPerSecond: 512, validationLoss, validationAccuracy: validationLoss == null ? null : 0.3
});

describe("training view state", () => {
    it("plots each batch at its step across epochs, with a fractional epoch and tokens per second", () => {
        const {state} = replay([dataset, batch(0, 1, 3), batch(0, 2, 2.8), batch(0, 3, 2.7), batch(0, 4, 2.6), batch(1, 1, 2.4)]);
        assert.equal(state.status, "running");
        assert.equal(state.stepsPerEpoch, 4);
        assert.equal(state.epochs, 2);
        assert.equal(totalTrainingSteps(state), 8);
        assert.deepEqual(state.train.map((point) => point.step), [1, 2, 3, 4, 5]);
        assert.deepEqual(state.train.map((point) => point.epoch), [0.25, 0.5, 0.75, 1, 1.25]);
        assert.equal(state.step, 5);
        assert.equal(state.epoch, 1.25);
        assert.equal(state.tokensPerSecond, 256 / 0.5);
        assert.deepEqual(state.notes, ["4×256+1"]);
        assert.equal(state.validation, true);
    });

    it("restates the epoch's last step with its learning rate and tokens/s, and adds the validation point there", () => {
        const {state} = replay([dataset, batch(0, 1, 3), batch(0, 4, 2.6), epochReport(0, 2.6, 2.9)]);
        assert.deepEqual(state.train.map((point) => point.step), [1, 4], "the epoch's point replaces the last batch's");
        assert.equal(state.learningRate, 1e-4);
        assert.equal(state.tokensPerSecond, 512);
        assert.deepEqual(state.validationPoints, [{step: 4, epoch: 1, loss: 2.9, accuracy: 0.3}]);
    });

    it("reads a worker without batch losses or validation fields: one point per epoch, nulls for the missing", () => {
        const {state} = replay([
            {type: "dataset", windows: 4, contextTokens: 256, tokens: 1000, trainedLabelShare: 1},
            {type: "batch", epoch: 0, batch: 1, batches: 4},
            {type: "epoch", epoch: 0, loss: 2, lossUncertainty: 0, accuracy: 0.5, learningRate: 1e-3, trainedTokens: 1, seconds: 1, tokensPerSecond: 9}
        ]);
        assert.deepEqual(state.train, [{step: 4, epoch: 1, loss: 2, accuracy: 0.5}]);
        assert.deepEqual(state.validationPoints, []);
        assert.equal(state.validation, false);
    });

    it("ends saved with the output path, and nothing after the end changes the status or the curves", () => {
        const {state} = replay([dataset, batch(0, 1, 3), {type: "converted", from: "F16", fileType: "F32"}, {type: "saved", outputPath: "/m/tuned.gguf"}]);
        assert.equal(state.status, "saved");
        assert.equal(state.outputPath, "/m/tuned.gguf");
        applyTrainingViewEvent(state, {kind: "status", status: "failed", message: "late", outputPath: null});
        applyTrainingViewEvent(state, {kind: "train", point: {step: 9, epoch: 2, loss: 1, accuracy: null}, learningRate: null, tokensPerSecond: null});
        assert.equal(state.status, "saved");
        assert.equal(state.train.length, 1);
        assert.deepEqual(state.notes, ["4×256+1", "converted F16"]);
    });

    it("fails with the worker's error name and message", () => {
        const {state} = replay([{type: "error", name: "FineTuneError", message: "llama.cpp could not load x.gguf"}]);
        assert.equal(state.status, "failed");
        assert.equal(state.statusMessage, "FineTuneError: llama.cpp could not load x.gguf");
    });

    it("keeps the newest notes only, and takes 10,000 steps in well under a second", () => {
        const state = createTrainingViewState("long", "external");
        const started = performance.now();
        for (let step = 1; step <= 10_000; step++)
            applyTrainingViewEvent(state, {kind: "train", point: {step, epoch: step / 1000, loss: 1 / step, accuracy: null}, learningRate: 1e-4, tokensPerSecond: null});
        for (let note = 0; note < maxTrainingViewNotes + 5; note++) applyTrainingViewEvent(state, {kind: "note", text: `n${note}`});
        assert.ok(performance.now() - started < 1_000);
        assert.equal(state.train.length, 10_000);
        assert.equal(state.notes.length, maxTrainingViewNotes);
        assert.equal(state.notes[0], "n5");
    });

    it("guards the protocol's messages", () => {
        assert.ok(isTrainingViewToExtensionMessage({kind: "command", method: "ready", params: {}}));
        assert.ok(isTrainingViewToExtensionMessage({kind: "command", method: "train/action", params: {action: "cancel"}}));
        assert.ok(!isTrainingViewToExtensionMessage({kind: "command", method: "train/action", params: {action: "rm -rf"}}));
        assert.ok(!isTrainingViewToExtensionMessage({kind: "command", method: "ready"}), "ready without params");
        assert.ok(!isTrainingViewToExtensionMessage({method: "ready", params: {}}), "no kind");
        assert.ok(isExtensionToTrainingViewMessage({kind: "notification", method: "train/events", params: {events: [], elapsedMs: 5}}));
        assert.ok(isExtensionToTrainingViewMessage({kind: "notification", method: "train/state",
            params: {state: createTrainingViewState("x"), strings: {}, actions: ["cancel"]}}));
        assert.ok(!isExtensionToTrainingViewMessage({kind: "notification", method: "train/state",
            params: {state: createTrainingViewState("x"), strings: {}, actions: ["format"]}}));
    });

    it("has a Chinese translation of every string of the view, with the same placeholders", () => {
        const bundle = JSON.parse(fs.readFileSync(path.join(repoRoot, "l10n", "bundle.l10n.zh-cn.json"), "utf8")) as Record<string, string>;
        const placeholders = (text: string) => [...text.matchAll(/\{\d+\}/g)].map((match) => match[0]).sort();
        for (const english of Object.values(trainingViewStrings)) {
            assert.equal(typeof bundle[english], "string", `no zh-cn for "${english}"`);
            assert.deepEqual(placeholders(bundle[english]!), placeholders(english), english);
        }
    });
});
