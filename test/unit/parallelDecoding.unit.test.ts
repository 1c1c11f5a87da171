import assert from "node:assert/strict";
import type {BatchItem, Token} from "node-llama-cpp";
import {DecodeStepBarrier} from "../../server/engine/DecodeStepBarrier";
import {createSequenceOrderedStrategy, readQueuedDecodes} from "../../server/engine/sequenceOrderedBatching";

describe("DecodeStepBarrier", () => {
    it("lets a lone stream go on at once", async () => {
        const barrier = new DecodeStepBarrier(10_000);
        const member = barrier.join();
        await member.arrive();
        member.leave();
        assert.equal(barrier.size, 0);
    });

    it("holds arrived streams until the last member arrives, then lets all go together", async () => {
        const barrier = new DecodeStepBarrier(10_000);
        const [a, b, c] = [barrier.join(), barrier.join(), barrier.join()];
        const released: string[] = [];
        const waits: Array<Promise<unknown>> = [a.arrive().then(() => released.push("a")), b.arrive().then(() => released.push("b"))];
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(released.length, 0);
        waits.push(c.arrive().then(() => released.push("c")));
        await Promise.all(waits);
        assert.deepEqual(released.sort(), ["a", "b", "c"]);
    });

    it("lets the waiting streams go when the missing member leaves", async () => {
        const barrier = new DecodeStepBarrier(10_000);
        const [a, b] = [barrier.join(), barrier.join()];
        let released = false;
        const wait = a.arrive().then(() => { released = true; });
        await new Promise((resolve) => setTimeout(resolve, 10));
        assert.equal(released, false);
        b.leave();
        await wait;
        assert.equal(released, true);
    });

    it("stops waiting for a slow member after the time limit", async () => {
        const barrier = new DecodeStepBarrier(30);
        const [a] = [barrier.join(), barrier.join()];
        const started = performance.now();
        await a.arrive();
        assert.ok(performance.now() - started >= 25);
    });
});

describe("sequence-ordered batching", () => {
    const item = (tokens: number[]): BatchItem => ({tokens: tokens as Token[], logits: tokens.map(() => true), evaluationPriority: 5});

    it("puts the batch's tokens in sequence-id order, whatever order they were queued in", () => {
        const items = [item([7]), item([8]), item([9]), item([10])];
        const queue = [{sequenceId: 2, tokens: items[0]!.tokens}, {sequenceId: 1, tokens: items[1]!.tokens},
            {sequenceId: 3, tokens: items[2]!.tokens}, {sequenceId: 0, tokens: items[3]!.tokens}];
        const strategy = createSequenceOrderedStrategy(() => queue);
        const batch = strategy({items, size: 512});
        assert.deepEqual(batch.map((entry) => entry.item.tokens[0]), [10, 8, 7, 9]);
        assert.deepEqual(batch.map((entry) => entry.processAmount), [1, 1, 1, 1]);
    });

    it("shares the batch fairly and gives the slots short items leave to the longer ones", () => {
        const prompt = item(Array.from({length: 1000}, (_, index) => index));
        const next = item([5]);
        const strategy = createSequenceOrderedStrategy(() => null);
        const batch = strategy({items: [next, prompt], size: 512});
        assert.deepEqual(batch.map((entry) => entry.processAmount), [1, 511]);
        assert.deepEqual(strategy({items: [prompt, next], size: 512}).map((entry) => entry.processAmount), [511, 1]);
        const twoPrompts = strategy({items: [prompt, item(Array.from({length: 300}, () => 1)), next], size: 512});
        assert.deepEqual(twoPrompts.map((entry) => entry.processAmount), [256, 255, 1]);
        const full = strategy({items: [next, next, next].map((entry) => item([...entry.tokens])), size: 2});
        assert.equal(full.reduce((sum, entry) => sum + entry.processAmount, 0), 2);
    });

    it("keeps the arrival order and says so once when it cannot read node-llama-cpp's queue", () => {
        const reasons: string[] = [];
        const items = [item([7]), item([8])];
        const unreadable = createSequenceOrderedStrategy(() => null, (reason) => reasons.push(reason));
        assert.deepEqual(unreadable({items, size: 512}).map((entry) => entry.item.tokens[0]), [7, 8]);
        unreadable({items, size: 512});
        assert.equal(reasons.length, 1);
        assert.match(reasons[0]!, /_queuedDecodes/);

        const copies = createSequenceOrderedStrategy(() => [{sequenceId: 1, tokens: [7] as Token[]}, {sequenceId: 0, tokens: [8] as Token[]}],
            (reason) => reasons.push(reason));
        assert.deepEqual(copies({items, size: 512}).map((entry) => entry.item.tokens[0]), [7, 8], "a queue whose arrays are not the items' own");
        assert.equal(reasons.length, 2);
    });

    it("reads the queue only when its entries have the fields it relies on", () => {
        assert.equal(readQueuedDecodes(undefined), null);
        assert.equal(readQueuedDecodes({}), null);
        assert.equal(readQueuedDecodes({_queuedDecodes: [{sequence: 0, tokens: []}]}), null);
        const queue = [{sequenceId: 0, tokens: [1]}];
        assert.equal(readQueuedDecodes({_queuedDecodes: queue}), queue);
    });
});
