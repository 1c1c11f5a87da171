import crypto from "node:crypto";
import http, {type IncomingMessage, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {ClientDisconnectedError, EngineError, EngineShuttingDownError, InvalidRequestError, RequestBodyTooLargeError} from "../engine/engineErrors";
import type {LlamaEngine} from "../engine/LlamaEngine";
import type {GenerationRequest, GenerationResult, ToolCall} from "../engine/generationTypes";
import type {TokenLogprob} from "../engine/TokenLogprobs";
import {allowedOriginOf, checkRequest} from "./requestGuard";
import {parseGenerationRequest, type RequestEnvelope} from "./parseGenerationRequest";

export type EngineHttpServerOptions = {
    host?: string,
    port?: number,
    token: string,
    allowedOrigins?: readonly string[],
    maxBodyBytes?: number,
    log?: (line: string) => void
};

const loopbackBindHosts = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * OpenAI-compatible HTTP API over a LlamaEngine: /v1/models, /v1/chat/completions, /v1/completions (SSE or
 * JSON) and /health. Any error becomes OpenAI's error shape with a status; nothing a client sends can take the
 * process down. A client that disconnects aborts its generation, which frees its sequence.
 */
export class EngineHttpServer {
    private readonly _server: http.Server;
    private readonly _created = Math.floor(Date.now() / 1000);
    /** Generations under way, each with a promise that settles when its response is done. */
    private readonly _generations = new Map<AbortController, Promise<void>>();
    private _closing = false;

    private constructor(private readonly _engine: LlamaEngine, private readonly _options: Required<EngineHttpServerOptions>) {
        this._server = http.createServer((request, response) => {
            this._handle(request, response).catch((error: unknown) => {
                if (!(error instanceof EngineError) && !(error instanceof ClientDisconnectedError))
                    this._options.log(`[http] ${request.method} ${request.url} failed: ${error instanceof Error ? error.stack : String(error)}`);
                sendError(response, error);
            });
        });
        this._server.keepAliveTimeout = 65_000;
    }

    public static async listen(engine: LlamaEngine, options: EngineHttpServerOptions): Promise<EngineHttpServer> {
        const server = new EngineHttpServer(engine, {
            host: "127.0.0.1", port: 0, allowedOrigins: [], maxBodyBytes: 16 << 20, log: () => undefined, ...options
        });
        await new Promise<void>((resolve, reject) => {
            server._server.once("error", reject);
            server._server.listen(server._options.port, server._options.host, () => resolve());
        });
        return server;
    }

    public get port(): number {
        return (this._server.address() as AddressInfo).port;
    }

    /**
     * Stops taking requests and ends the ones under way cleanly: a stream gets an error event saying the engine is
     * shutting down, a request not yet answered a 503; after at most `graceMs` every connection is closed.
     */
    public async close({graceMs = 2000}: {graceMs?: number} = {}): Promise<void> {
        this._closing = true;
        const closed = new Promise<void>((resolve) => this._server.close(() => resolve()));
        this._server.closeIdleConnections();
        const answered = [...this._generations.values()];
        for (const controller of this._generations.keys()) controller.abort(new EngineShuttingDownError());
        let graceTimer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(answered), new Promise((resolve) => { graceTimer = setTimeout(resolve, graceMs); })]);
        clearTimeout(graceTimer);
        this._server.closeAllConnections();
        await closed;
    }

    private async _handle(request: IncomingMessage, response: ServerResponse) {
        if (this._closing) {
            sendJson(response, 503, errorBody(new EngineShuttingDownError().message, "engine_shutting_down"), {Connection: "close"});
            request.resume();
            return;
        }
        // CORS for the origins given with --allow-origin: every answer names the origin, so the page may read it (errors
        // included), and the preflight a browser sends before a request with Authorization is answered without a token
        const corsOrigin = allowedOriginOf(request, this._options.allowedOrigins);
        if (corsOrigin != null) {
            response.setHeader("Access-Control-Allow-Origin", corsOrigin);
            response.setHeader("Access-Control-Expose-Headers", "Retry-After");
        }
        response.setHeader("Vary", "Origin");
        const preflight = request.method === "OPTIONS" && request.headers["access-control-request-method"] != null;
        const verdict = checkRequest(request, {
            token: this._options.token,
            allowedOrigins: this._options.allowedOrigins,
            allowAnyHost: !loopbackBindHosts.has(this._options.host),
            preflight
        });
        if (!verdict.ok) {
            sendJson(response, verdict.status, errorBody(verdict.message, verdict.status === 401 ? "invalid_api_key" : "forbidden"));
            request.resume();
            return;
        }

        if (preflight) {
            // The verdict passed, so the origin is an allowed one (a request without Origin is no preflight to answer)
            if (corsOrigin == null) {
                sendJson(response, 403, errorBody("A CORS preflight must come from an origin given with --allow-origin.", "forbidden"));
                return;
            }
            response.writeHead(204, {
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": request.headers["access-control-request-headers"] ?? "Authorization, Content-Type",
                "Access-Control-Max-Age": 600,
                ...(request.headers["access-control-request-private-network"] === "true" ? {"Access-Control-Allow-Private-Network": "true"} : {})
            });
            response.end();
            request.resume();
            return;
        }

        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        const route = `${request.method} ${url.pathname.replace(/\/+$/, "")}`;
        switch (route) {
            case "GET /health":
                sendJson(response, 200, {status: "ok", ...this._engine.info});
                return;
            case "GET /v1/models":
                sendJson(response, 200, {
                    object: "list",
                    data: [{id: this._engine.modelId, object: "model", created: this._created, owned_by: "belle", meta: this._engine.info}]
                });
                return;
            case "POST /v1/chat/completions":
            case "POST /v1/completions": {
                const kind = route.endsWith("/chat/completions") ? "chat" : "completion";
                const body = await readJsonBody(request, this._options.maxBodyBytes);
                const {request: generation, envelope} = parseGenerationRequest(kind, body);
                await this._serveGeneration(request, response, generation, envelope);
                return;
            }
            default:
                sendJson(response, 404, errorBody(`No route for ${request.method} ${url.pathname}. Routes: GET /health, GET /v1/models, POST /v1/chat/completions, POST /v1/completions.`, "not_found"));
        }
    }

    private async _serveGeneration(request: IncomingMessage, response: ServerResponse, generation: GenerationRequest, envelope: RequestEnvelope) {
        const abort = new AbortController();
        this._generations.set(abort, new Promise((resolve) => response.once("close", () => {
            this._generations.delete(abort);
            resolve();
        })));
        response.on("close", () => {
            if (!response.writableFinished) abort.abort(new Error("client disconnected"));
        });
        const shuttingDown = () => abort.signal.reason instanceof EngineShuttingDownError;

        const id = `${generation.kind === "chat" ? "chatcmpl" : "cmpl"}-${crypto.randomUUID()}`;
        const created = Math.floor(Date.now() / 1000);
        const model = envelope.model ?? this._engine.modelId;
        const object = generation.kind === "chat" ? "chat.completion" : "text_completion";

        if (!envelope.stream) {
            const result = await this._engine.generate(generation, {signal: abort.signal});
            if (shuttingDown()) throw abort.signal.reason;
            if (abort.signal.aborted) return;
            const finishReason = result.finishReason === "abort" ? "stop" : result.finishReason;
            sendJson(response, 200, {
                id, object, created, model,
                choices: [generation.kind === "chat"
                    ? {
                        index: 0,
                        message: {
                            role: "assistant", content: result.toolCalls != null && result.text === "" ? null : result.text,
                            ...(result.toolCalls == null ? {} : {tool_calls: toolCallsOf(result.toolCalls)})
                        },
                        finish_reason: finishReason, logprobs: logprobsOf(result.logprobs)
                    }
                    : {index: 0, text: result.text, finish_reason: finishReason, logprobs: null}],
                usage: usageOf(result),
                timings: timingsOf(result)
            });
            return;
        }

        // Headers go out only once generation starts, so queue-full and context errors still get a real status
        let started = false;
        const chunkObject = generation.kind === "chat" ? "chat.completion.chunk" : "text_completion";
        const writeEvent = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
        const start = () => {
            if (started) return;
            started = true;
            response.writeHead(200, {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive"});
            if (generation.kind === "chat")
                writeEvent({id, object: chunkObject, created, model, choices: [{index: 0, delta: {role: "assistant", content: ""}, finish_reason: null}]});
        };
        const piece = (text: string, finishReason: string | null, logprobs?: TokenLogprob[]) => generation.kind === "chat"
            ? {index: 0, delta: text === "" ? {} : {content: text}, ...(generation.logprobs == null ? {} : {logprobs: logprobsOf(logprobs ?? [])}), finish_reason: finishReason}
            : {index: 0, text, finish_reason: finishReason};

        let result: GenerationResult;
        try {
            result = await this._engine.generate(generation, {
                signal: abort.signal,
                onText: (text, logprobs) => {
                    start();
                    writeEvent({id, object: chunkObject, created, model, choices: [piece(text, null, logprobs)]});
                }
            });
        } catch (error) {
            if (!started) throw error;
            writeEvent(error instanceof EngineError ? errorBody(error.message, error.code, error.param)
                : errorBody(error instanceof Error ? error.message : String(error), "generation_failed"));
            response.end();
            return;
        }
        if (shuttingDown()) {
            if (!started) throw abort.signal.reason;
            // Not a finish_reason: the answer is incomplete, and a client should say so rather than show it as whole
            const reason = abort.signal.reason as EngineShuttingDownError;
            writeEvent(errorBody(reason.message, reason.code));
            response.end();
            return;
        }
        if (abort.signal.aborted) return;

        start();
        const finishReason = result.finishReason === "abort" ? "stop" : result.finishReason;
        if (result.toolCalls != null)
            writeEvent({id, object: chunkObject, created, model, choices: [{index: 0, delta: {tool_calls: toolCallsOf(result.toolCalls, {streamed: true})}, finish_reason: null}]});
        writeEvent({id, object: chunkObject, created, model, choices: [piece("", finishReason)], timings: timingsOf(result)});
        if (envelope.includeUsage)
            writeEvent({id, object: chunkObject, created, model, choices: [], usage: usageOf(result)});
        response.end("data: [DONE]\n\n");
    }
}

/** OpenAI's `tool_calls`: the arguments as JSON text, as OpenAI sends them. */
function toolCallsOf(calls: readonly ToolCall[], {streamed = false}: {streamed?: boolean} = {}) {
    return calls.map((call, index) => ({
        ...(streamed ? {index} : {}), id: call.id, type: "function", function: {name: call.name, arguments: JSON.stringify(call.arguments ?? {})}
    }));
}

/** OpenAI's chat `logprobs`: null unless asked for. */
function logprobsOf(entries: readonly TokenLogprob[] | undefined) {
    if (entries == null) return null;
    return {
        content: entries.map(({token, logprob, bytes, topLogprobs}) => ({token, logprob, bytes, top_logprobs: topLogprobs})),
        refusal: null
    };
}

function usageOf(result: GenerationResult) {
    return {
        prompt_tokens: result.promptTokens,
        completion_tokens: result.completionTokens,
        total_tokens: result.promptTokens + result.completionTokens,
        prompt_tokens_details: {cached_tokens: result.cachedPromptTokens},
        // OpenAI's Predicted Outputs fields, here for the drafts prompt lookup took from the prompt
        ...(result.predictions == null ? {} : {
            completion_tokens_details: {
                accepted_prediction_tokens: result.predictions.accepted,
                rejected_prediction_tokens: result.predictions.rejected
            }
        })
    };
}

/** llama-server's `timings` field, which chat UIs read for tokens/s. */
function timingsOf(result: GenerationResult) {
    const evaluated = result.promptTokens - result.cachedPromptTokens;
    return {
        prompt_n: evaluated,
        prompt_ms: result.promptMs,
        prompt_per_second: result.promptMs > 0 ? (evaluated / result.promptMs) * 1000 : 0,
        predicted_n: result.completionTokens,
        predicted_ms: result.generationMs,
        // the first token's time counts as prompt time, as llama-server counts it
        predicted_per_second: result.generationMs > 0 ? ((result.completionTokens - 1) / result.generationMs) * 1000 : 0,
        // as llama-server reports its speculative decoding: tokens drafted, and those of them accepted
        ...(result.predictions == null ? {} : {
            draft_n: result.predictions.accepted + result.predictions.rejected,
            draft_n_accepted: result.predictions.accepted
        })
    };
}

function errorBody(message: string, code: string, param: string | null = null) {
    const type = code === "invalid_api_key" ? "authentication_error" : code === "queue_full" ? "rate_limit_error"
        : code === "engine_shutting_down" || code === "internal_error" || code === "generation_failed" ? "server_error" : "invalid_request_error";
    return {error: {message, type, param, code}};
}

function sendJson(response: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}) {
    if (response.headersSent) {
        response.end();
        return;
    }
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = {"Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...extraHeaders};
    if (status === 429) headers["Retry-After"] = 1;
    response.writeHead(status, headers);
    response.end(text);
}

function sendError(response: ServerResponse, error: unknown) {
    if (error instanceof EngineError)
        sendJson(response, error.status, errorBody(error.message, error.code, error.param), error instanceof RequestBodyTooLargeError ? {Connection: "close"} : {});
    else if (error instanceof ClientDisconnectedError || (error instanceof Error && error.name === "AbortError") || (error instanceof Error && error.message === "client disconnected"))
        response.destroy();
    else
        sendJson(response, 500, errorBody("The engine failed to serve this request; see its log for details. It is still running.", "internal_error"));
}

/** How long the rest of an oversized body is read and dropped before the answer, so a client that sends it all gets it. */
const oversizedBodyDrainMs = 10_000;

async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
    // A client such as the Python SDK reads no answer before it has sent its whole body: past the limit the rest is read
    // and dropped, then the 400 goes out and the connection closes (it was left open until the keep-alive timer fired)
    const body = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let drainTimer: NodeJS.Timeout | undefined;
        const finish = (error: Error | null) => {
            clearTimeout(drainTimer);
            request.removeListener("data", onData);
            if (error != null) reject(error);
            else resolve(Buffer.concat(chunks));
        };
        const onData = (chunk: Buffer) => {
            size += chunk.length;
            if (size <= maxBytes) chunks.push(chunk);
            else if (drainTimer == null) {
                chunks.length = 0;
                drainTimer = setTimeout(() => finish(new RequestBodyTooLargeError(maxBytes)), oversizedBodyDrainMs);
            }
        };
        request.on("data", onData);
        request.once("end", () => finish(size > maxBytes ? new RequestBodyTooLargeError(maxBytes) : null));
        request.once("close", () => {
            if (!request.complete) finish(new ClientDisconnectedError());
        });
        request.once("error", () => finish(new ClientDisconnectedError()));
    });

    const text = body.toString("utf8");
    try {
        return JSON.parse(text) as unknown;
    } catch (error) {
        throw new InvalidRequestError(`The request body is not valid JSON: ${(error as Error).message}.`);
    }
}
