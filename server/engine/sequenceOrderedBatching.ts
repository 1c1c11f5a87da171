import type {BatchItem, CustomBatchingPrioritizationStrategy, PrioritizedBatchItem, Token} from "node-llama-cpp";

/** What the strategy needs to know of a queued decode: its sequence, and the token array its batch item shares. */
export type QueuedDecodeView = {readonly sequenceId: number, readonly tokens: readonly Token[]};

/**
 * node-llama-cpp's batch prioritization, with the batch's tokens sorted by sequence id.
 *
 * node-llama-cpp gives every sequence its own KV cache, and llama.cpp then splits a batch into separate
 * ubatches (separate passes over all the weights) wherever a token's sequence id is not the previous token's plus
 * one. Queued in the order they happened to arrive (2,1,0,3), 4 parallel streams decoded in 3 passes; sorted
 * (0,1,2,3) they decode in one. Every item gets an equal share of the batch, as in node-llama-cpp's
 * "maximumParallelism"; slots a short item does not need go to the longer ones.
 *
 * `queuedDecodes` reads the context's queue (node-llama-cpp keeps it internal; the version is pinned). When it is
 * unavailable the items keep their order.
 */
export function createSequenceOrderedStrategy(
    queuedDecodes: () => readonly QueuedDecodeView[] | undefined
): CustomBatchingPrioritizationStrategy {
    return ({items, size}) => {
        const sequenceOf = new Map<readonly Token[], number>();
        for (const queued of queuedDecodes() ?? []) sequenceOf.set(queued.tokens, queued.sequenceId);
        const ordered = sequenceOf.size === 0
            ? items
            : [...items].sort((a, b) => (sequenceOf.get(a.tokens) ?? Infinity) - (sequenceOf.get(b.tokens) ?? Infinity));
        return shareBatchSlots(ordered, size);
    };
}

function shareBatchSlots(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
    // Water-filling: the shortest items take what they need first, the rest split what is left evenly
    const amounts = new Map<BatchItem, number>();
    let slotsLeft = size;
    const byLength = [...items].sort((a, b) => a.tokens.length - b.tokens.length);
    byLength.forEach((item, index) => {
        const share = Math.max(Math.floor(slotsLeft / (byLength.length - index)), slotsLeft > 0 ? 1 : 0);
        const amount = Math.min(item.tokens.length, share);
        amounts.set(item, amount);
        slotsLeft -= amount;
    });
    return items
        .map((item) => ({item, processAmount: amounts.get(item) ?? 0}))
        .filter((entry) => entry.processAmount > 0);
}
