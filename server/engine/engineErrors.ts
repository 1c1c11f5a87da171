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
    /** `atLeast`: the prompt was measured by its length, not tokenized, and is at least that many tokens. */
    public constructor(promptTokens: number, contextTokens: number, {atLeast = false, param = "messages"}: {atLeast?: boolean, param?: string} = {}) {
        super(
            `The prompt is ${atLeast ? "at least " : ""}${promptTokens} tokens but the context holds ${contextTokens}. ` +
            "Shorten the conversation, or restart the engine with a larger context size (--ctx-size / belle.contextSize).",
            400, "context_length_exceeded", param
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

/** A body past the size limit; answered, then the connection is closed, since the rest of the body is not read as a request. */
export class RequestBodyTooLargeError extends EngineError {
    public constructor(maxBytes: number) {
        super(`The request body is over ${maxBytes} bytes.`, 400, "request_too_large");
    }
}

/** The client went away before its request body was complete: nothing to answer. */
export class ClientDisconnectedError extends Error {
    public constructor() {
        super("client disconnected");
        this.name = "ClientDisconnectedError";
    }
}

/** The engine is stopping: requests under way end with this, and new ones get it at once. */
export class EngineShuttingDownError extends EngineError {
    public constructor() {
        super("The engine is shutting down; this answer was cut short. Retry once it is running again.", 503, "engine_shutting_down");
    }
}
