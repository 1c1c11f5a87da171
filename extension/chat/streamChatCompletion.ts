// Streams one chat completion from an OpenAI-compatible endpoint (our engine or a remote one) with plain fetch
// and an SSE reader: no SDK in the extension bundle, and split UTF-8 sequences are joined by a streaming decoder.

export interface ChatCompletionMessage {
    role: "system" | "user" | "assistant",
    content: string
}

export interface StreamChatCompletionOptions {
    /** Base URL including `/v1`, e.g. `http://127.0.0.1:1234/v1`. */
    baseUrl: string,
    apiKey: string | undefined,
    model: string,
    messages: ChatCompletionMessage[],
    temperature: number,
    topP: number,
    maxTokens: number,
    signal: AbortSignal,
    onDelta: (text: string) => void
}

export interface StreamChatCompletionResult {
    text: string,
    finishReason: string | null,
    promptTokens: number,
    completionTokens: number,
    /** Completion tokens per second between the first and the last streamed chunk, measured here. */
    tokensPerSecond: number
}

/** The endpoint could not be reached at all (engine down, wrong URL): retrying after a restart may help. */
export class EndpointUnreachableError extends Error {
    public constructor(message: string, options?: ErrorOptions) {
        super(message, options);
        this.name = "EndpointUnreachableError";
    }
}

/** The endpoint answered with an error status; `message` is its own explanation when it gave one. */
export class EndpointHttpError extends Error {
    public constructor(public readonly status: number, message: string) {
        super(message);
        this.name = "EndpointHttpError";
    }
}

interface CompletionChunk {
    choices?: Array<{delta?: {content?: string | null}, finish_reason?: string | null}>,
    usage?: {prompt_tokens?: number, completion_tokens?: number} | null,
    error?: {message?: string}
}

export async function streamChatCompletion({
    baseUrl, apiKey, model, messages, temperature, topP, maxTokens, signal, onDelta
}: StreamChatCompletionOptions): Promise<StreamChatCompletionResult> {
    let response: Response;
    try {
        response = await fetch(`${baseUrl.replace(/\/+$/, "")}/chat/completions`, {
            method: "POST",
            headers: {
                "Content-Type": "application/json",
                Accept: "text/event-stream",
                ...(apiKey == null || apiKey === "" ? {} : {Authorization: `Bearer ${apiKey}`})
            },
            body: JSON.stringify({
                model, messages, temperature, top_p: topP, max_tokens: maxTokens, stream: true,
                stream_options: {include_usage: true}
            }),
            signal
        });
    } catch (error) {
        if (signal.aborted) throw error;
        throw new EndpointUnreachableError(`Cannot reach ${baseUrl}: ${describeFetchError(error)}`, {cause: error});
    }
    if (!response.ok || response.body == null) {
        const body = await response.text().catch(() => "");
        throw new EndpointHttpError(response.status, extractErrorMessage(body) ?? `HTTP ${response.status} ${response.statusText}`);
    }

    let text = "";
    let finishReason: string | null = null;
    let promptTokens = 0;
    let completionTokens = 0;
    let chunkCount = 0;
    let firstChunkAt: number | null = null;
    let lastChunkAt: number | null = null;
    const decoder = new TextDecoder("utf-8");
    let buffer = "";

    const handleEvent = (data: string) => {
        if (data === "[DONE]" || data === "") return;
        const chunk = JSON.parse(data) as CompletionChunk;
        if (chunk.error?.message != null) throw new EndpointHttpError(500, chunk.error.message);
        for (const choice of chunk.choices ?? []) {
            const content = choice.delta?.content;
            if (content != null && content !== "") {
                const now = performance.now();
                firstChunkAt ??= now;
                lastChunkAt = now;
                chunkCount++;
                text += content;
                onDelta(content);
            }
            if (choice.finish_reason != null) finishReason = choice.finish_reason;
        }
        if (chunk.usage != null) {
            promptTokens = chunk.usage.prompt_tokens ?? promptTokens;
            completionTokens = chunk.usage.completion_tokens ?? completionTokens;
        }
    };

    try {
        for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
            buffer += decoder.decode(bytes, {stream: true});
            let end: number;
            while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
                const event = buffer.slice(0, end);
                buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
                const data = event.split(/\r?\n/)
                    .filter((line) => line.startsWith("data:"))
                    .map((line) => line.slice(5).replace(/^ /, ""))
                    .join("\n");
                handleEvent(data);
            }
        }
        buffer += decoder.decode();
    } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof EndpointHttpError) throw error;
        throw new EndpointUnreachableError(`The connection to ${baseUrl} broke: ${describeFetchError(error)}`, {cause: error});
    }

    if (completionTokens === 0) completionTokens = chunkCount;
    const seconds = firstChunkAt != null && lastChunkAt != null ? (lastChunkAt - firstChunkAt) / 1000 : 0;
    return {
        text, finishReason, promptTokens, completionTokens,
        tokensPerSecond: seconds > 0 ? Math.max(0, completionTokens - 1) / seconds : 0
    };
}

function extractErrorMessage(body: string): string | null {
    try {
        const parsed = JSON.parse(body) as {error?: {message?: string} | string, message?: string};
        if (typeof parsed.error === "string") return parsed.error;
        return parsed.error?.message ?? parsed.message ?? null;
    } catch {
        return body.trim() === "" ? null : body.trim().slice(0, 500);
    }
}

function describeFetchError(error: unknown): string {
    const cause = (error as {cause?: {code?: string, message?: string}}).cause;
    return cause?.code ?? cause?.message ?? (error as Error).message;
}
