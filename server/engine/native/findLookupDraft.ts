/** The n-gram sizes a draft is looked up by, longest first: a longer match is the likelier continuation. */
const ngramSizes = [3, 2] as const;

/**
 * Prompt lookup: the tokens that followed, earlier in `history` (the prompt and the answer so far), the latest earlier
 * occurrence of its last 3 tokens (else 2), at most `maxTokens` of them; empty when there is none. A draft is only a
 * guess: the model verifies it, so a wrong one costs compute, never a different answer.
 */
export function findLookupDraft(history: readonly number[], maxTokens: number): number[] {
    if (maxTokens <= 0) return [];
    const end = history.length;
    for (const size of ngramSizes) {
        if (end <= size) continue;
        // the latest start i < end - size whose n-gram equals the last one, with at least one token after it
        for (let start = end - size - 1; start >= 0; start--) {
            let match = true;
            for (let offset = 0; offset < size; offset++) {
                if (history[start + offset] !== history[end - size + offset]) {
                    match = false;
                    break;
                }
            }
            if (match) return history.slice(start + size, Math.min(start + size + maxTokens, end));
        }
    }
    return [];
}
