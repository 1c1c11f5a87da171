// The one envelope of every message between a webview (chat, report, training view) and the extension host, and
// the typed descriptors each view's protocol is declared with (GitLens `ipc.ts` style). Types and plain guards only
// (no DOM, no Node, no vscode), so it compiles under every tsconfig.
//
// Directions: commands go webview → extension (fire and forget; `ready` is the first), requests go webview →
// extension and get exactly one response carrying the same `requestId`, notifications go extension → webview.
// Every descriptor's `.is()` checks the envelope *and* every field of the params a handler reads, so a handler
// never trusts a field nobody checked.
import {isRecord} from "./isRecord";

/** A type guard for a message's params (or a response's result). */
export type Guard<T> = (value: unknown) => value is T;

export interface CommandMessage<M extends string = string, P = unknown> {kind: "command", method: M, params: P}
export interface RequestMessage<M extends string = string, P = unknown> {kind: "request", method: M, requestId: string, params: P}
export type ResponseMessage<M extends string = string, R = unknown> =
    | {kind: "response", method: M, requestId: string, ok: true, result: R}
    | {kind: "response", method: M, requestId: string, ok: false, error: string};
export interface NotificationMessage<M extends string = string, P = unknown> {kind: "notification", method: M, params: P}

/** What a notification the host sends before the webview's `ready` becomes: sent after it, or dropped (later state covers it). */
export type BeforeReady = "queue" | "drop";

export interface CommandType<M extends string = string, P = unknown> {
    readonly kind: "command",
    readonly method: M,
    readonly isParams: Guard<P>,
    is(message: unknown): message is CommandMessage<M, P>
}

export interface RequestType<M extends string = string, P = unknown, R = unknown> {
    readonly kind: "request",
    readonly method: M,
    readonly isParams: Guard<P>,
    readonly isResult: Guard<R>,
    is(message: unknown): message is RequestMessage<M, P>,
    isResponse(message: unknown): message is ResponseMessage<M, R>
}

export interface NotificationType<M extends string = string, P = unknown> {
    readonly kind: "notification",
    readonly method: M,
    readonly isParams: Guard<P>,
    readonly beforeReady: BeforeReady,
    is(message: unknown): message is NotificationMessage<M, P>
}

function hasEnvelope(message: unknown, kind: string, method: string): message is Record<string, unknown> {
    return isRecord(message) && message.kind === kind && message.method === method;
}

export function commandType<M extends string, P>(method: M, isParams: Guard<P>): CommandType<M, P> {
    return {
        kind: "command", method, isParams,
        is: (message): message is CommandMessage<M, P> => hasEnvelope(message, "command", method) && isParams(message.params)
    };
}

export function requestType<M extends string, P, R>(method: M, isParams: Guard<P>, isResult: Guard<R>): RequestType<M, P, R> {
    return {
        kind: "request", method, isParams, isResult,
        is: (message): message is RequestMessage<M, P> =>
            hasEnvelope(message, "request", method) && isRequestId(message.requestId) && isParams(message.params),
        isResponse: (message): message is ResponseMessage<M, R> =>
            hasEnvelope(message, "response", method) && isRequestId(message.requestId) &&
            (message.ok === true ? isResult(message.result) : message.ok === false && typeof message.error === "string")
    };
}

export function notificationType<M extends string, P>(
    method: M, isParams: Guard<P>, {beforeReady = "queue"}: {beforeReady?: BeforeReady} = {}
): NotificationType<M, P> {
    return {
        kind: "notification", method, isParams, beforeReady,
        is: (message): message is NotificationMessage<M, P> => hasEnvelope(message, "notification", method) && isParams(message.params)
    };
}

function isRequestId(value: unknown): value is string {
    return typeof value === "string" && value !== "";
}

/** Params of a command with none: an empty object (anything else in it is ignored, never read). */
export const isNoParams = (value: unknown): value is Record<string, never> => isRecord(value);

/** Everything one view's webview and host say to each other. `ready` is also in `commands`. */
export interface WebviewProtocol {
    readonly ready: CommandType<"ready", unknown>,
    readonly commands: readonly CommandType[],
    readonly requests: readonly RequestType[],
    readonly notifications: readonly NotificationType[]
}

export type ParamsOf<T> = T extends CommandType<string, infer P> | RequestType<string, infer P, unknown> | NotificationType<string, infer P> ? P : never;
export type ResultOf<T> = T extends RequestType<string, unknown, infer R> ? R : never;
export type MessageOf<T> =
    T extends CommandType<infer M, infer P> ? CommandMessage<M, P>
    : T extends RequestType<infer M, infer P, unknown> ? RequestMessage<M, P>
    : T extends NotificationType<infer M, infer P> ? NotificationMessage<M, P>
    : never;
export type ResponseOf<T> = T extends RequestType<infer M, unknown, infer R> ? ResponseMessage<M, R> : never;

export type CommandOf<P extends WebviewProtocol> = MessageOf<P["commands"][number]>;
export type RequestOf<P extends WebviewProtocol> = MessageOf<P["requests"][number]>;
export type NotificationOf<P extends WebviewProtocol> = MessageOf<P["notifications"][number]>;
export type IncomingToExtension<P extends WebviewProtocol> = CommandOf<P> | RequestOf<P>;
export type IncomingToWebview<P extends WebviewProtocol> = NotificationOf<P> | ResponseOf<P["requests"][number]>;

/** A view's protocol from its descriptors, keyed by method as the view declares them (`ready` among the commands). */
export function defineWebviewProtocol<C extends {ready: CommandType<"ready", unknown>} & Record<string, CommandType>,
    R extends Record<string, RequestType>, N extends Record<string, NotificationType>>(commands: C, requests: R, notifications: N) {
    return {
        ready: commands.ready as C["ready"],
        commands: Object.values(commands) as Array<C[keyof C]>,
        requests: Object.values(requests) as Array<R[keyof R]>,
        notifications: Object.values(notifications) as Array<N[keyof N]>
    } satisfies WebviewProtocol;
}

/** A message the webview may send under `protocol`, every field checked (the webview renders untrusted text). */
export function isMessageToExtension<P extends WebviewProtocol>(protocol: P, message: unknown): message is IncomingToExtension<P> {
    if (!isRecord(message)) return false;
    const types = message.kind === "command" ? protocol.commands : message.kind === "request" ? protocol.requests : [];
    return types.some((type) => type.method === message.method && type.is(message));
}

/** A message the extension may send under `protocol`, every field checked. */
export function isMessageToWebview<P extends WebviewProtocol>(protocol: P, message: unknown): message is IncomingToWebview<P> {
    if (!isRecord(message)) return false;
    if (message.kind === "notification") return protocol.notifications.some((type) => type.method === message.method && type.is(message));
    if (message.kind === "response") return protocol.requests.some((type) => type.method === message.method && type.isResponse(message));
    return false;
}

/** Narrows a message of a union to one method: `if (isMethod(message, "chat/send")) message.params.text`. */
export function isMethod<M extends {method: string}, K extends M["method"]>(message: M, method: K): message is Extract<M, {method: K}> {
    return message.method === method;
}
