import assert from "node:assert/strict";
import {getLlama, type BatchItem, type Llama, type LlamaContext, type LlamaModel, type PrioritizedBatchItem} from "node-llama-cpp";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {createSequenceOrderedStrategy, readQueuedDecodes} from "../../server/engine/sequenceOrderedBatching";

// The engine leans on node-llama-cpp internals that its public API does not promise. These tests run the real
// node-llama-cpp and fail the day an update changes one of them, so the pin is moved knowingly.
describe("node-llama-cpp internals the engine relies on", function () {
    let llama: Llama;
    let model: LlamaModel;

    before(async () => {
        llama = await getLlama({gpu: false, build: "never", maxThreads: 1});
        model = await llama.loadModel({modelPath: await ensureEmbeddedModel()});
    });
    after(async () => {
        await model?.dispose();
        await llama?.dispose();
    });

    it("LlamaContext._queuedDecodes tells the sequence of every item the batching strategy gets", async () => {
        let context: LlamaContext | undefined;
        const batches: Array<Array<number | undefined>> = [];
        const reasons: string[] = [];
        const ordered = createSequenceOrderedStrategy(() => readQueuedDecodes(context), (reason) => reasons.push(reason));
        const recording = ({items, size}: {items: readonly BatchItem[], size: number}): PrioritizedBatchItem[] => {
            const queue = readQueuedDecodes(context);
            batches.push(items.map((item) => queue?.find((queued) => queued.tokens === item.tokens)?.sequenceId));
            return ordered({items, size});
        };
        context = await model.createContext({contextSize: 256, sequences: 3, threads: 1, batching: {itemPrioritizationStrategy: recording}});
        try {
            const sequences = [context.getSequence(), context.getSequence(), context.getSequence()];
            // queued in reverse, all in one turn of the event loop, so they share the first batch
            await Promise.all([...sequences].reverse().map((sequence, index) =>
                sequence.evaluateWithoutGeneratingNewTokens(model.tokenize(`你好，第${index}个`))));

            assert.deepEqual(reasons, [], "the strategy could read the queue");
            assert.ok(batches.length > 0);
            assert.ok(batches.every((batch) => batch.every((sequenceId) => sequenceId != null)), `every item's sequence known: ${JSON.stringify(batches)}`);
            assert.deepEqual([...batches[0]!].sort(), [0, 1, 2], "the three sequences decode in one batch");
        } finally {
            await context.dispose();
        }
    });
});
