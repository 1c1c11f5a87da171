import type {GbnfJsonSchema} from "node-llama-cpp";

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
    seed: number | null
};

/**
 * `json`: the reply is constrained by a grammar to one JSON value matching `schema`, a schema already checked by
 * toGrammarJsonSchema (OpenAI's `json_object` is `{type: "object"}`, any object). Absent from a request: text.
 */
export type ResponseFormat = {type: "text"} | {type: "json", schema: GbnfJsonSchema};

export type GenerationRequest =
    | {kind: "chat", messages: ChatMessage[], sampling: SamplingSettings, responseFormat?: ResponseFormat}
    | {kind: "completion", prompt: string, sampling: SamplingSettings, responseFormat?: ResponseFormat};

export type FinishReason = "stop" | "length" | "abort";

export type GenerationResult = {
    text: string,
    finishReason: FinishReason,
    promptTokens: number,
    /** Prompt tokens served from the sequence's cache (a shared prefix with its previous request). */
    cachedPromptTokens: number,
    completionTokens: number,
    promptMs: number,
    generationMs: number
};
