import assert from "node:assert/strict";
import type {LlamaTrainingLibrary, NativePointer} from "../../server/train/llama/LlamaTrainingLibrary";
import {AssistantLossMask} from "../../server/train/trainer/AssistantLossMask";

const vocabularySize = 4;
const contextTokens = 8;
const rowBytes = vocabularySize * Float32Array.BYTES_PER_ELEMENT;
const optContext = 1n;
const labels = 2n;
const gradient = 3n;
const otherNode = 4n;

/** The few ggml calls the mask makes, on a fake graph: records each write as [tensor, first row, rows]. */
function fakeLibrary(writes: [NativePointer, number, number][]) {
    return {
        ggml_opt_labels: () => labels,
        ggml_nbytes: () => rowBytes * contextTokens,
        ggml_op_desc: (tensor: NativePointer) => tensor === gradient ? "CROSS_ENTROPY_LOSS_BACK" : "MUL_MAT",
        ggml_backend_tensor_set_f32: (tensor: NativePointer, data: Float32Array, offsetBytes: number, sizeBytes: number) => {
            assert.ok(data.byteLength >= sizeBytes && data.every((value) => value === 0));
            writes.push([tensor, offsetBytes / rowBytes, sizeBytes / rowBytes]);
        }
    } as unknown as LlamaTrainingLibrary;
}

/** One compute of a window as ggml_backend_sched_compute_splits calls cb_eval: each node asked, the observed ones told. */
function computeWindow(mask: AssistantLossMask, nodes: NativePointer[]) {
    for (const node of nodes) {
        if (mask.onEvalCallback(node, true))
            assert.equal(mask.onEvalCallback(node, false), true, "the scheduler stops computing the graph when told false");
    }
}

describe("train: AssistantLossMask's bookkeeping (unit, fake ggml)", () => {
    // Window 0 trains positions 3 and 6; window 1 (evaluated only) trains position 0
    const trainable = Uint8Array.from([0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);

    it("zeroes the labels and, in a training window, the loss gradient of the masked rows, a run of rows per write", () => {
        const writes: [NativePointer, number, number][] = [];
        const mask = new AssistantLossMask(fakeLibrary(writes), trainable, contextTokens, 2, 1, vocabularySize);
        mask.onEvaluated(optContext, false, 1);
        mask.expectWindow(0);
        computeWindow(mask, [otherNode, otherNode, gradient, otherNode]);
        mask.onEvaluated(optContext, true, 1);
        // The evaluation window has no backward node, and needs none
        computeWindow(mask, [otherNode, otherNode]);
        mask.onEvaluated(optContext, false, 1);
        assert.deepEqual(writes, [[labels, 0, 3], [labels, 4, 2], [labels, 7, 1], [gradient, 0, 3], [gradient, 4, 2], [gradient, 7, 1],
            [labels, 1, 7]]);
        assert.deepEqual({windows: mask.maskedWindows, gradients: mask.maskedGradients, failure: mask.failure}, {windows: 2, gradients: 1, failure: null});
    });

    it("observes no node before a window's labels are masked, nor after its gradient is", () => {
        const mask = new AssistantLossMask(fakeLibrary([]), trainable, contextTokens, 2, 1, vocabularySize);
        assert.equal(mask.onEvalCallback(gradient, true), false, "the probe pass, before the optimizer context is known");
        mask.onEvaluated(optContext, false, 1);
        mask.expectWindow(0);
        assert.equal(mask.onEvalCallback(gradient, true), true);
        mask.onEvalCallback(gradient, false);
        assert.equal(mask.onEvalCallback(gradient, true), false);
    });

    it("fails when a training window's backward node never reached cb_eval", () => {
        const mask = new AssistantLossMask(fakeLibrary([]), trainable, contextTokens, 2, 1, vocabularySize);
        mask.onEvaluated(optContext, false, 1);
        mask.expectWindow(0);
        computeWindow(mask, [otherNode, otherNode]);
        mask.onEvaluated(optContext, true, 1);
        assert.match(mask.failure ?? "", /loss gradient of training window 0 was never masked/);
        assert.equal(mask.maskedGradients, 0);
    });
});
