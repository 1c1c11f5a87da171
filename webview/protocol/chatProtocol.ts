// The one contract between the chat webview and the extension host. Both sides import this file; it holds types
// and plain guards only (no DOM, no Node, no vscode), so it compiles under every tsconfig.
//
// Directions: commands go webview → extension (fire and forget), requests go webview → extension and get exactly
// one response carrying the same `requestId`, notifications go extension → webview. A streamed reply is a run of
// `chat/chunk` notifications ending with one `chat/done` (or `chat/error`), all carrying the `streamId` the
// extension chose when the turn started; `chat/stop` with that id aborts it.

export type Role = "user" | "assistant";

export interface TurnStats {
    promptTokens: number,
    completionTokens: number,
    tokensPerSecond: number,
    /** Tokens of the context window in use after this turn (prompt + completion). */
    contextTokens: number,
    contextSize: number
}

export interface ChatTurn {
    role: Role,
    content: string,
    /** Set on an assistant turn the user stopped: the partial text is kept. */
    stopped?: boolean,
    /** Set on an assistant turn the engine cut at the conversation's max tokens (finish_reason "length"). */
    truncated?: boolean,
    /** Set on an assistant turn that failed; `content` keeps whatever arrived before the failure. */
    error?: string,
    stats?: TurnStats
}

export interface ConversationSettings {
    systemPrompt: string,
    temperature: number,
    topP: number,
    maxTokens: number
}

export interface Conversation {
    id: string,
    title: string,
    createdAt: number,
    updatedAt: number,
    turns: ChatTurn[],
    settings: ConversationSettings
}

export interface ConversationSummary {
    id: string,
    title: string,
    updatedAt: number,
    turnCount: number
}

export type EngineState = "stopped" | "starting" | "ready" | "busy" | "error";

export interface EngineStatus {
    state: EngineState,
    /** Model shown to the user (file name or remote model id); null when none is configured. */
    model: string | null,
    backend: string | null,
    /** A remote OpenAI-compatible endpoint is used instead of the local engine. */
    remote: boolean,
    lastTokensPerSecond: number | null,
    /** Human-readable reason when state is "error". */
    error: string | null
}

/** Small UI state the webview keeps with `setState` (survives reloads; the rest comes from the extension). */
export interface WebviewUiState {
    conversationId: string | null,
    draft: string
}

// ---- webview → extension: commands ----

export interface CommandMap {
    /** Sent once the webview has installed its message listener; the extension posts nothing before it. */
    "ready": {conversationId: string | null},
    /** Append a user turn to the conversation (created when null) and stream the assistant's answer. */
    "chat/send": {
        conversationId: string | null,
        text: string,
        /** Settings chosen in the webview before the conversation existed; used only when this creates it. */
        settings?: ConversationSettings
    },
    "chat/stop": {streamId: string},
    /** Drop the last assistant turn and answer the last user turn again. */
    "chat/regenerate": {conversationId: string},
    /** Replace user turn `turnIndex` with `text`, drop every turn after it, and answer again. */
    "chat/editAndResend": {conversationId: string, turnIndex: number, text: string},
    "conversation/new": Record<string, never>,
    "conversation/open": {conversationId: string},
    "conversation/delete": {conversationId: string},
    "conversation/updateSettings": {conversationId: string, settings: ConversationSettings},
    "code/copy": {code: string},
    "code/insert": {code: string},
    /** Start (or restart) the engine after an error. */
    "engine/retry": Record<string, never>,
    /** Open the model picker (first run, or from the header). */
    "model/select": Record<string, never>
}

// ---- webview → extension: requests (one response each) ----

export interface RequestMap {
    "history/list": {params: {query: string}, result: {conversations: ConversationSummary[]}}
}

// ---- extension → webview: notifications ----

export interface NotificationMap {
    /** First message after `ready`: UI language and strings, defaults, the engine, the open conversation. */
    "init": {
        locale: string,
        /** Localised UI strings by key (see `uiStringKeys`). */
        strings: Record<string, string>,
        defaultSettings: ConversationSettings,
        engine: EngineStatus,
        conversation: Conversation | null,
        /** True when no model is configured and the embedded demo model is not in use: show the first-run guide. */
        needsModel: boolean
    },
    /** The conversation now shown (after new/open/delete, or a turn was added by the extension). */
    "conversation/show": {conversation: Conversation | null},
    "engine/status": {engine: EngineStatus},
    /** An assistant turn started streaming at `turnIndex` of `conversationId`. */
    "chat/started": {streamId: string, conversationId: string, turnIndex: number},
    "chat/chunk": {streamId: string, content: string},
    "chat/done": {streamId: string, turn: ChatTurn},
    /** The turn failed; `retryable` when the engine is down and Retry may help. The turn and its text are kept. */
    "chat/error": {streamId: string, message: string, retryable: boolean, turn: ChatTurn},
    /** The editor asked to put text into the input (e.g. "Send Selection to Chat"); `send` sends it at once. */
    "input/fill": {text: string, send: boolean}
}

export type CommandMessage = {[K in keyof CommandMap]: {kind: "command", method: K, params: CommandMap[K]}}[keyof CommandMap];
export type RequestMessage = {
    [K in keyof RequestMap]: {kind: "request", method: K, requestId: string, params: RequestMap[K]["params"]}
}[keyof RequestMap];
export type ResponseMessage = {
    [K in keyof RequestMap]:
        | {kind: "response", method: K, requestId: string, ok: true, result: RequestMap[K]["result"]}
        | {kind: "response", method: K, requestId: string, ok: false, error: string}
}[keyof RequestMap];
export type NotificationMessage = {
    [K in keyof NotificationMap]: {kind: "notification", method: K, params: NotificationMap[K]}
}[keyof NotificationMap];

export type WebviewToExtensionMessage = CommandMessage | RequestMessage;
export type ExtensionToWebviewMessage = NotificationMessage | ResponseMessage;

const commandMethods: ReadonlySet<string> = new Set<keyof CommandMap>([
    "ready", "chat/send", "chat/stop", "chat/regenerate", "chat/editAndResend", "conversation/new",
    "conversation/open", "conversation/delete", "conversation/updateSettings", "code/copy", "code/insert",
    "engine/retry", "model/select"
]);
const requestMethods: ReadonlySet<string> = new Set<keyof RequestMap>(["history/list"]);
const notificationMethods: ReadonlySet<string> = new Set<keyof NotificationMap>([
    "init", "conversation/show", "engine/status", "chat/started", "chat/chunk", "chat/done", "chat/error", "input/fill"
]);

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null;
}

/** Shape check of a message arriving from the webview (untrusted: the webview renders model output). */
export function isWebviewToExtensionMessage(value: unknown): value is WebviewToExtensionMessage {
    if (!isObject(value) || typeof value.method !== "string" || !isObject(value.params)) return false;
    if (value.kind === "command") return commandMethods.has(value.method);
    if (value.kind === "request") return requestMethods.has(value.method) && typeof value.requestId === "string";
    return false;
}

export function isExtensionToWebviewMessage(value: unknown): value is ExtensionToWebviewMessage {
    if (!isObject(value) || typeof value.method !== "string") return false;
    if (value.kind === "notification") return notificationMethods.has(value.method) && isObject(value.params);
    if (value.kind === "response") return requestMethods.has(value.method) && typeof value.requestId === "string";
    return false;
}

/** Narrows a message to one method: `if (isMethod(message, "chat/send")) message.params.text`. */
export function isMethod<M extends {method: string}, K extends M["method"]>(
    message: M, method: K
): message is Extract<M, {method: K}> {
    return message.method === method;
}
