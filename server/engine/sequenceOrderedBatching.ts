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
 * `queuedDecodes` reads the context's queue (node-llama-cpp keeps it internal, see `readQueuedDecodes`). When it
 * cannot tell an item's sequence, the items keep their order and `onOrderUnknown` is told, once.
 */
export function createSequenceOrderedStrategy(
    queuedDecodes: () => readonly QueuedDecodeView[] | null,
    onOrderUnknown: (reason: string) => void = () => undefined
): CustomBatchingPrioritizationStrategy {
    let reported = false;
    return ({items, size}) => {
        const queue = queuedDecodes();
        const sequenceOf = new Map<readonly Token[], number>();
        for (const queued of queue ?? []) sequenceOf.set(queued.tokens, queued.sequenceId);
        if (items.every((item) => sequenceOf.has(item.tokens)))
            return shareBatchSlots([...items].sort((a, b) => sequenceOf.get(a.tokens)! - sequenceOf.get(b.tokens)!), size);

        if (!reported) {
            reported = true;
            onOrderUnknown(queue == null
                ? "node-llama-cpp's decode queue (LlamaContext._queuedDecodes) is gone or changed shape"
                : "node-llama-cpp's decode queue no longer holds the token arrays it hands to the batching strategy");
        }
        return shareBatchSlots(items, size);
    };
}

/**
 * The decode queue of a node-llama-cpp context: the private `_queuedDecodes` of node-llama-cpp 3.21 (pinned), each
 * entry with its `sequenceId` and the `tokens` array its batch item shares. Null when the context has no such
 * field or its entries lack those, as a later node-llama-cpp may; test/unit/nodeLlamaCppInternals fails then.
 */
export function readQueuedDecodes(context: object | undefined): readonly QueuedDecodeView[] | null {
    const queue = (context as {_queuedDecodes?: unknown} | undefined)?._queuedDecodes;
    if (!Array.isArray(queue)) return null;
    for (const entry of queue as unknown[]) {
        const {sequenceId, tokens} = (entry ?? {}) as {sequenceId?: unknown, tokens?: unknown};
        if (typeof sequenceId !== "number" || !Array.isArray(tokens)) return null;
    }
    return queue as QueuedDecodeView[];
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
