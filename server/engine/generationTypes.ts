/** What the engine generates from, after the HTTP layer has validated a request. */
export type ChatMessage = {role: "system" | "user" | "assistant", content: string};

export type SamplingSettings = {
    temperature: number,
    topP: number,
    topK: number,
    /** null: until the context is full. */
    maxTokens: number | null,
    stop: string[],
    seed: number | null
};

export type GenerationRequest =
    | {kind: "chat", messages: ChatMessage[], sampling: SamplingSettings}
    | {kind: "completion", prompt: string, sampling: SamplingSettings};

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
