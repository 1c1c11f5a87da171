/** An OpenAI-compatible chat endpoint: our engine, llama-server, or a hosted API. */
export interface ChatEndpoint {
    /** Including `/v1`, e.g. `http://127.0.0.1:8080/v1`. */
    baseUrl: string,
    apiKey?: string,
    model: string,
    /** How run files name this endpoint (default `<model>@<baseUrl>`); set it when the URL changes per start. */
    label?: string
}

export class ChatEndpointError extends Error {
    public constructor(message: string, public readonly status: number | null) {
        super(message);
        this.name = "ChatEndpointError";
    }
}

/** One non-streamed chat completion; the reply's text, or a ChatEndpointError carrying the endpoint's own message. */
export async function requestChatCompletion(
    endpoint: ChatEndpoint, body: Record<string, unknown>, signal?: AbortSignal
): Promise<{content: string, finishReason: string | null}> {
    let response: Response;
    try {
        response = await fetch(`${endpoint.baseUrl.replace(/\/+$/, "")}/chat/completions`, {
            method: "POST",
            headers: {
                "Content-Type": "application/json",
                ...(endpoint.apiKey == null || endpoint.apiKey === "" ? {} : {Authorization: `Bearer ${endpoint.apiKey}`})
            },
            body: JSON.stringify({model: endpoint.model, ...body, stream: false}),
            signal
        });
    } catch (error) {
        if (signal?.aborted) throw error;
        const cause = (error as {cause?: {code?: string}}).cause;
        throw new ChatEndpointError(`cannot reach ${endpoint.baseUrl}: ${cause?.code ?? (error as Error).message}`, null);
    }
    const text = await response.text();
    let parsed: {choices?: Array<{message?: {content?: string | null}, finish_reason?: string | null}>, error?: {message?: string}};
    try {
        parsed = JSON.parse(text) as typeof parsed;
    } catch {
        throw new ChatEndpointError(`${endpoint.baseUrl} answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, response.status);
    }
    if (!response.ok) throw new ChatEndpointError(parsed.error?.message ?? `HTTP ${response.status}`, response.status);
    const choice = parsed.choices?.[0];
    if (choice == null) throw new ChatEndpointError(`${endpoint.baseUrl} answered without a choice`, response.status);
    return {content: choice.message?.content ?? "", finishReason: choice.finish_reason ?? null};
}
