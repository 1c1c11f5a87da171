import type {GbnfJsonSchema} from "node-llama-cpp";
import type {TokenLogprob} from "./TokenLogprobs";

/** What the engine generates from, after the HTTP layer has validated a request. */
export type ChatMessage = {role: "system" | "user" | "assistant", content: string};

export type SamplingSettings = {
    temperature: number,
    topP: number,
    topK: number,
    /** null: until the context is full. */
    maxTokens: number | null,
    stop: string[],
    /** 0 to 2³²−2; null: a fresh random seed for this request. */
    seed: number | null,
    /** OpenAI's, -2 to 2, on the tokens generated so far: per occurrence, and once for any occurrence. */
    frequencyPenalty: number,
    presencePenalty: number,
    /** Token id → a logit to add, -100 to 100 (-100 bans the token). */
    logitBias: ReadonlyMap<number, number>
};

/** OpenAI's `logprobs`/`top_logprobs` (0 to 20 alternatives per token). */
export type LogprobsRequest = {topLogprobs: number};

/**
 * `json`: the reply is constrained by a grammar to one JSON value matching `schema`, a schema already checked by
 * toGrammarJsonSchema (OpenAI's `json_object` is `{type: "object"}`, any object). Absent from a request: text.
 */
export type ResponseFormat = {type: "text"} | {type: "json", schema: GbnfJsonSchema};

export type GenerationRequest =
    | {kind: "chat", messages: ChatMessage[], sampling: SamplingSettings, responseFormat?: ResponseFormat, logprobs?: LogprobsRequest}
    | {kind: "completion", prompt: string, sampling: SamplingSettings, responseFormat?: ResponseFormat, logprobs?: LogprobsRequest};

export type FinishReason = "stop" | "length" | "abort";

export type GenerationResult = {
    text: string,
    finishReason: FinishReason,
    promptTokens: number,
    /** Prompt tokens served from the sequence's cache (a shared prefix with its previous request). */
    cachedPromptTokens: number,
    completionTokens: number,
    promptMs: number,
    generationMs: number,
    /** When asked for: one entry per token of `text` (tokens of a stop string that cut the text are left out). */
    logprobs?: TokenLogprob[]
};
