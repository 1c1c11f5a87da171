/** Errors the engine reports to clients; each kind maps once to an HTTP status at the boundary. */
export class EngineError extends Error {
    public constructor(
        message: string,
        public readonly status: number,
        public readonly code: string,
        public readonly param: string | null = null
    ) {
        super(message);
        this.name = new.target.name;
    }
}

export class InvalidRequestError extends EngineError {
    public constructor(message: string, param: string | null = null) {
        super(message, 400, "invalid_request", param);
    }
}

export class ContextLengthExceededError extends EngineError {
    public constructor(promptTokens: number, contextTokens: number) {
        super(
            `The prompt is ${promptTokens} tokens but the context holds ${contextTokens}. ` +
            "Shorten the conversation, or restart the engine with a larger context size (--ctx-size / belle.contextSize).",
            400, "context_length_exceeded", "messages"
        );
    }
}

export class QueueFullError extends EngineError {
    public constructor(queued: number) {
        super(
            `All sequences are busy and ${queued} requests are already waiting. Retry shortly, or start the engine with more parallel sequences (--parallel).`,
            429, "queue_full"
        );
    }
}
