import type {GbnfJsonSchema} from "node-llama-cpp";
import type {PredictionCounts} from "./PromptLookupPredictor";
import type {TokenLogprob} from "./TokenLogprobs";

/** A call of a tool the model made in an earlier turn, with the arguments it gave (parsed from OpenAI's JSON string). */
export type ToolCall = {id: string, name: string, arguments: unknown};

/** What the engine generates from, after the HTTP layer has validated a request. */
export type ChatMessage =
    | {role: "system" | "user", content: string}
    | {role: "assistant", content: string, toolCalls?: ToolCall[]}
    /** A tool's result, answering the call with `toolCallId`. */
    | {role: "tool", content: string, toolCallId: string};

/**
 * OpenAI's `tools` (functions only) with `tool_choice` "auto" or "none" ("none": `functions` is empty), for
 * node-llama-cpp's function calling in the model's own syntax where its chat template has one.
 */
export type ToolsRequest = {
    functions: Record<string, {description?: string, params?: GbnfJsonSchema}>,
    /** `parallel_tool_calls`: several calls in one answer. */
    parallel: boolean
};

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
    | {kind: "chat", messages: ChatMessage[], sampling: SamplingSettings, responseFormat?: ResponseFormat, logprobs?: LogprobsRequest, tools?: ToolsRequest}
    | {kind: "completion", prompt: string, sampling: SamplingSettings, responseFormat?: ResponseFormat, logprobs?: LogprobsRequest};

export type FinishReason = "stop" | "length" | "abort" | "tool_calls";

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
    logprobs?: TokenLogprob[],
    /** Prompt-lookup drafts, when the engine drafted for this generation (`--speculative lookup`). */
    predictions?: PredictionCounts,
    /** The tools the model called (finishReason "tool_calls"). */
    toolCalls?: ToolCall[]
};
