/** What the main thread and the native token loop's worker (nativeTokenLoopWorker.ts) send each other. */

export type LoopWorkerData = {
    modelPath: string,
    contextSize: number,
    sequences: number,
    batchSize: number,
    threads: number,
    flashAttention: boolean,
    /** An Int32Array's buffer: the main thread adds 1 and notifies after each message, waking an idle loop. */
    wake: SharedArrayBuffer
};

export type LoopSampling = {
    temperature: number,
    topK: number,
    topP: number,
    seed: number,
    repeatPenalty: number,
    frequencyPenalty: number,
    presencePenalty: number,
    penaltyLastN: number
};

export type LoopRequest =
    /** reusePrefix false: the whole prompt is decoded anew (a seeded sample must not depend on what was cached). */
    /** lookupDraftTokens: prompt-lookup draft tokens at most per step, greedy sampling only; 0: none. */
    | {type: "generate", requestId: number, sequence: number, prompt: number[], reusePrefix: boolean, maxTokens: number, sampling: LoopSampling, lookupDraftTokens: number}
    | {type: "threads", threads: number}
    | {type: "stop", requestId: number}
    | {type: "close"};

export type LoopEvent =
    | {type: "ready", vocabularySize: number}
    | {type: "started", requestId: number, cachedPromptTokens: number}
    /** Pairs of (requestId, token), one pair per sequence that sampled in the step. */
    | {type: "tokens", tokens: number[]}
    | {type: "done", requestId: number, reason: "stop" | "length" | "abort" | "error", message?: string, drafts?: {accepted: number, rejected: number}}
    | {type: "closed"};
