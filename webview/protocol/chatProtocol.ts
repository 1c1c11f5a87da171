import {isRecord} from "./isRecord";
import {
    commandType, isMessageToExtension, isMessageToWebview, isNoParams, notificationType, requestType, type CommandType,
    type Guard, type IncomingToExtension, type IncomingToWebview, type NotificationOf, type NotificationType, type RequestType, defineWebviewProtocol} from "./webviewMessages";

// The one contract between the chat webview and the extension host. Both sides import this file; it holds types,
// the message descriptors and their field guards only (no DOM, no Node, no vscode), so it compiles under every
// tsconfig. The envelope is webviewMessages.ts's, shared with the report and the training view.
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

// ---- field guards: each checks every field the other side reads ----

const isString = (value: unknown): value is string => typeof value === "string";
const isStringOrNull = (value: unknown): value is string | null => value === null || typeof value === "string";
const isNumber = (value: unknown): value is number => typeof value === "number";
const isNumberOrNull = (value: unknown): value is number | null => value === null || typeof value === "number";
const isOptional = <T>(value: unknown, guard: Guard<T>): value is T | undefined => value === undefined || guard(value);

export function isConversationSettings(value: unknown): value is ConversationSettings {
    return isRecord(value) && isString(value.systemPrompt) && isNumber(value.temperature) && isNumber(value.topP) && isNumber(value.maxTokens);
}

export function isTurnStats(value: unknown): value is TurnStats {
    return isRecord(value) && isNumber(value.promptTokens) && isNumber(value.completionTokens) && isNumber(value.tokensPerSecond) &&
        isNumber(value.contextTokens) && isNumber(value.contextSize);
}

export function isChatTurn(value: unknown): value is ChatTurn {
    const isBoolean = (field: unknown): field is boolean => typeof field === "boolean";
    return isRecord(value) && (value.role === "user" || value.role === "assistant") && isString(value.content) &&
        isOptional(value.stopped, isBoolean) && isOptional(value.truncated, isBoolean) && isOptional(value.error, isString) &&
        isOptional(value.stats, isTurnStats);
}

export function isConversation(value: unknown): value is Conversation {
    return isRecord(value) && isString(value.id) && isString(value.title) && isNumber(value.createdAt) && isNumber(value.updatedAt) &&
        Array.isArray(value.turns) && value.turns.every(isChatTurn) && isConversationSettings(value.settings);
}

const isConversationOrNull = (value: unknown): value is Conversation | null => value === null || isConversation(value);

export function isConversationSummary(value: unknown): value is ConversationSummary {
    return isRecord(value) && isString(value.id) && isString(value.title) && isNumber(value.updatedAt) && isNumber(value.turnCount);
}

const engineStates: readonly string[] = ["stopped", "starting", "ready", "busy", "error"] satisfies EngineState[];

export function isEngineStatus(value: unknown): value is EngineStatus {
    return isRecord(value) && engineStates.includes(value.state as string) && isStringOrNull(value.model) && isStringOrNull(value.backend) &&
        typeof value.remote === "boolean" && isNumberOrNull(value.lastTokensPerSecond) && isStringOrNull(value.error);
}

/** UI strings by key: every value a string. */
export function isStringTable(value: unknown): value is Record<string, string> {
    return isRecord(value) && Object.values(value).every(isString);
}

const isTurnIndex = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** A guard from a predicate on the params' fields: the params must be an object, and `check` sees its fields. */
function params<T>(check: (fields: Record<string, unknown>) => boolean): Guard<T> {
    return (value: unknown): value is T => isRecord(value) && check(value);
}

// ---- the descriptors (keyed by method; `satisfies` keeps them in step with the maps above) ----

export const chatCommands = {
    "ready": commandType("ready", params<CommandMap["ready"]>((p) => isStringOrNull(p.conversationId))),
    "chat/send": commandType("chat/send", params<CommandMap["chat/send"]>((p) =>
        isStringOrNull(p.conversationId) && isString(p.text) && isOptional(p.settings, isConversationSettings))),
    "chat/stop": commandType("chat/stop", params<CommandMap["chat/stop"]>((p) => isString(p.streamId))),
    "chat/regenerate": commandType("chat/regenerate", params<CommandMap["chat/regenerate"]>((p) => isString(p.conversationId))),
    "chat/editAndResend": commandType("chat/editAndResend", params<CommandMap["chat/editAndResend"]>((p) =>
        isString(p.conversationId) && isTurnIndex(p.turnIndex) && isString(p.text))),
    "conversation/new": commandType("conversation/new", isNoParams),
    "conversation/open": commandType("conversation/open", params<CommandMap["conversation/open"]>((p) => isString(p.conversationId))),
    "conversation/delete": commandType("conversation/delete", params<CommandMap["conversation/delete"]>((p) => isString(p.conversationId))),
    "conversation/updateSettings": commandType("conversation/updateSettings", params<CommandMap["conversation/updateSettings"]>((p) =>
        isString(p.conversationId) && isConversationSettings(p.settings))),
    "code/copy": commandType("code/copy", params<CommandMap["code/copy"]>((p) => isString(p.code))),
    "code/insert": commandType("code/insert", params<CommandMap["code/insert"]>((p) => isString(p.code))),
    "engine/retry": commandType("engine/retry", isNoParams),
    "model/select": commandType("model/select", isNoParams)
} satisfies {[K in keyof CommandMap]: CommandType<K, CommandMap[K]>};

export const chatRequests = {
    "history/list": requestType("history/list",
        params<RequestMap["history/list"]["params"]>((p) => isString(p.query)),
        params<RequestMap["history/list"]["result"]>((r) => Array.isArray(r.conversations) && r.conversations.every(isConversationSummary)))
} satisfies {[K in keyof RequestMap]: RequestType<K, RequestMap[K]["params"], RequestMap[K]["result"]>};

export const chatNotifications = {
    "init": notificationType("init", params<NotificationMap["init"]>((p) =>
        isString(p.locale) && isStringTable(p.strings) && isConversationSettings(p.defaultSettings) && isEngineStatus(p.engine) &&
        isConversationOrNull(p.conversation) && typeof p.needsModel === "boolean")),
    "conversation/show": notificationType("conversation/show", params<NotificationMap["conversation/show"]>((p) => isConversationOrNull(p.conversation))),
    // The state that `init` carries covers a status sent before `ready`
    "engine/status": notificationType("engine/status", params<NotificationMap["engine/status"]>((p) => isEngineStatus(p.engine)), {beforeReady: "drop"}),
    "chat/started": notificationType("chat/started", params<NotificationMap["chat/started"]>((p) =>
        isString(p.streamId) && isString(p.conversationId) && isTurnIndex(p.turnIndex))),
    // The turn that `chat/done` carries covers a chunk sent before `ready`
    "chat/chunk": notificationType("chat/chunk", params<NotificationMap["chat/chunk"]>((p) => isString(p.streamId) && isString(p.content)),
        {beforeReady: "drop"}),
    "chat/done": notificationType("chat/done", params<NotificationMap["chat/done"]>((p) => isString(p.streamId) && isChatTurn(p.turn))),
    "chat/error": notificationType("chat/error", params<NotificationMap["chat/error"]>((p) =>
        isString(p.streamId) && isString(p.message) && typeof p.retryable === "boolean" && isChatTurn(p.turn))),
    "input/fill": notificationType("input/fill", params<NotificationMap["input/fill"]>((p) => isString(p.text) && typeof p.send === "boolean"))
} satisfies {[K in keyof NotificationMap]: NotificationType<K, NotificationMap[K]>};

export const chatProtocol = defineWebviewProtocol(chatCommands, chatRequests, chatNotifications);

export type WebviewToExtensionMessage = IncomingToExtension<typeof chatProtocol>;
export type ExtensionToWebviewMessage = IncomingToWebview<typeof chatProtocol>;
export type ChatNotificationMessage = NotificationOf<typeof chatProtocol>;

/** Shape check of a message arriving from the webview (untrusted: the webview renders model output). */
export function isWebviewToExtensionMessage(value: unknown): value is WebviewToExtensionMessage {
    return isMessageToExtension(chatProtocol, value);
}

export function isExtensionToWebviewMessage(value: unknown): value is ExtensionToWebviewMessage {
    return isMessageToWebview(chatProtocol, value);
}

export {isMethod} from "./webviewMessages";
