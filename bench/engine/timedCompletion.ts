import type {BenchServer} from "./benchServer";

export type ChatMessage = {role: "system" | "user" | "assistant", content: string};

export type CompletionTiming = {
    promptTokens: number,
    completionTokens: number,
    /** From the request's start to the first chunk that carries text. */
    firstTextMs: number,
    /** From the request's start to the last chunk that carries text. */
    lastTextMs: number,
    /** From the request's start to the end of the response. */
    totalMs: number,
    text: string,
    finishReason: string | null,
    /** Speculative decoding's drafted and accepted tokens (llama-server's `timings.draft_n`, `draft_n_accepted`; ours the same), when the server drafted. */
    drafted?: number,
    accepted?: number
};

/**
 * One streamed raw completion (`/v1/completions`, no chat template) or chat (`/v1/chat/completions`), greedy on both servers: temperature 0 and
 * top_k 1, and for llama-server a sampler chain of top_k alone (its default chain would also run top_p, min_p,
 * penalties… before its final pick; ours runs greedy alone). Timed on the client as the chunks arrive.
 */
export async function timedCompletion(server: BenchServer, prompt: string | readonly ChatMessage[], maxTokens: number): Promise<CompletionTiming> {
    const startedAt = performance.now();
    // A list of messages goes to /v1/chat/completions, where each server applies the model's chat template
    const chat = typeof prompt !== "string";
    const response = await fetch(`${server.baseUrl}/v1/${chat ? "chat/completions" : "completions"}`, {
        method: "POST",
        headers: {"Content-Type": "application/json", Authorization: `Bearer ${server.token}`},
        body: JSON.stringify({
            ...(chat ? {messages: prompt} : {prompt}),
            max_tokens: maxTokens, temperature: 0, top_k: 1, stream: true, stream_options: {include_usage: true},
            ...(server.name === "llama-server" ? {samplers: ["top_k"]} : {})
        })
    });
    if (!response.ok || response.body == null) throw new Error(`${server.name}: HTTP ${response.status} ${await response.text()}`);
    let firstTextMs = -1;
    let lastTextMs = -1;
    let promptTokens = 0;
    let completionTokens = 0;
    let text = "";
    let finishReason: string | null = null;
    let timings: {draft_n?: number, draft_n_accepted?: number} | undefined;
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(bytes, {stream: true});
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
            // an event's data lines; lines starting with ":" are SSE comments (keep-alives)
            const event = buffer.slice(0, end).split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("\n");
            buffer = buffer.slice(end + 2);
            if (event === "[DONE]" || event === "") continue;
            const chunk = JSON.parse(event) as {
                choices: Array<{text?: string, delta?: {content?: string | null}, finish_reason?: string | null}>, usage?: {prompt_tokens: number, completion_tokens: number},
                timings?: {draft_n?: number, draft_n_accepted?: number}
            };
            timings = chunk.timings ?? timings;
            finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
            if (chunk.usage != null) {
                promptTokens = chunk.usage.prompt_tokens;
                completionTokens = chunk.usage.completion_tokens;
            }
            const piece = (chat ? chunk.choices[0]?.delta?.content : chunk.choices[0]?.text) ?? "";
            if (piece !== "") {
                const now = performance.now() - startedAt;
                if (firstTextMs < 0) firstTextMs = now;
                lastTextMs = now;
                text += piece;
            }
        }
    }
    return {
        promptTokens, completionTokens, firstTextMs, lastTextMs, totalMs: performance.now() - startedAt, text, finishReason,
        ...(timings?.draft_n == null ? {} : {drafted: timings.draft_n, accepted: timings.draft_n_accepted ?? 0})
    };
}
