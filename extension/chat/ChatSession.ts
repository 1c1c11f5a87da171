import crypto from "node:crypto";
import * as vscode from "vscode";
import {
    isMethod, isWebviewToExtensionMessage, type ChatTurn, type CommandMap, type Conversation, type ConversationSettings,
    type ExtensionToWebviewMessage, type NotificationMap, type RequestMap, type WebviewToExtensionMessage
} from "../../webview/protocol/chatProtocol";
import type {ChatEndpoints} from "./ChatEndpoints";
import type {ConversationStore} from "./ConversationStore";
import {EndpointUnreachableError, streamChatCompletion, type ChatCompletionMessage} from "./streamChatCompletion";

export interface ChatSessionDependencies {
    store: ConversationStore,
    endpoints: ChatEndpoints,
    log: vscode.LogOutputChannel,
    defaultSettings: () => ConversationSettings,
    uiStrings: () => Record<string, string>,
    runCommand: (command: string) => Thenable<unknown>
}

/**
 * One chat webview (the editor panel or the sidebar view) and the conversation it shows. Messages from the webview
 * are checked against the protocol before anything is done with them; streams are aborted by id.
 */
export class ChatSession implements vscode.Disposable {
    private readonly _disposables: vscode.Disposable[] = [];
    private readonly _streams = new Map<string, AbortController>();
    private _conversation: Conversation | null = null;
    private _isReady = false;
    private readonly _pendingBeforeReady: ExtensionToWebviewMessage[] = [];

    public constructor(private readonly _webview: vscode.Webview, private readonly _deps: ChatSessionDependencies) {
        this._disposables.push(
            _webview.onDidReceiveMessage((message: unknown) => this._onMessage(message)),
            _deps.endpoints.onDidChangeStatus((engine) => this._post("engine/status", {engine}))
        );
    }

    public get conversationId(): string | null {
        return this._conversation?.id ?? null;
    }

    /** Puts text into the input (sent at once when `send`); queued until the webview is ready. */
    public fillInput(text: string, send: boolean): void {
        this._post("input/fill", {text, send});
    }

    public async showNewConversation(): Promise<void> {
        this._conversation = null;
        this._post("conversation/show", {conversation: null});
    }

    public dispose(): void {
        // Streams keep running to the end so the answer is saved with its conversation; only the webview is gone.
        for (const disposable of this._disposables) disposable.dispose();
    }

    private _post<K extends keyof NotificationMap>(method: K, params: NotificationMap[K]): void {
        const message = {kind: "notification", method, params} as ExtensionToWebviewMessage;
        if (!this._isReady && method !== "init") {
            if (method !== "engine/status" && method !== "chat/chunk") this._pendingBeforeReady.push(message);
            return;
        }
        void this._webview.postMessage(message).then(undefined, () => undefined); // a disposed webview drops it
    }

    private async _onMessage(message: unknown): Promise<void> {
        if (!isWebviewToExtensionMessage(message)) {
            this._deps.log.warn(`[chat] ignored a malformed message from the webview: ${JSON.stringify(message)?.slice(0, 200)}`);
            return;
        }
        try {
            if (message.kind === "request") await this._onRequest(message);
            else await this._onCommand(message);
        } catch (error) {
            this._deps.log.error(`[chat] ${message.method} failed: ${(error as Error).stack ?? String(error)}`);
            void vscode.window.showErrorMessage(vscode.l10n.t("BELLE chat: {0}", (error as Error).message));
        }
    }

    private async _onRequest(message: Extract<WebviewToExtensionMessage, {kind: "request"}>): Promise<void> {
        if (isMethod(message, "history/list")) {
            let response: ExtensionToWebviewMessage;
            try {
                const result: RequestMap["history/list"]["result"] = {conversations: await this._deps.store.list(message.params.query)};
                response = {kind: "response", method: message.method, requestId: message.requestId, ok: true, result};
            } catch (error) {
                response = {kind: "response", method: message.method, requestId: message.requestId, ok: false, error: (error as Error).message};
            }
            void this._webview.postMessage(response).then(undefined, () => undefined);
        }
    }

    private async _onCommand(message: Extract<WebviewToExtensionMessage, {kind: "command"}>): Promise<void> {
        if (isMethod(message, "ready")) return this._onReady(message.params);
        if (isMethod(message, "chat/send")) return this._onSend(message.params);
        if (isMethod(message, "chat/stop")) {
            this._streams.get(message.params.streamId)?.abort();
            return;
        }
        if (isMethod(message, "chat/regenerate")) return this._onRegenerate(message.params);
        if (isMethod(message, "chat/editAndResend")) return this._onEditAndResend(message.params);
        if (isMethod(message, "conversation/new")) return this.showNewConversation();
        if (isMethod(message, "conversation/open")) {
            const conversation = await this._deps.store.get(message.params.conversationId);
            if (conversation != null) this._conversation = conversation;
            this._post("conversation/show", {conversation: conversation ?? null});
            return;
        }
        if (isMethod(message, "conversation/delete")) {
            await this._deps.store.delete(message.params.conversationId);
            if (this._conversation?.id === message.params.conversationId) await this.showNewConversation();
            return;
        }
        if (isMethod(message, "conversation/updateSettings")) return this._onUpdateSettings(message.params);
        if (isMethod(message, "code/copy")) {
            await vscode.env.clipboard.writeText(message.params.code);
            return;
        }
        if (isMethod(message, "code/insert")) return insertAtCursor(message.params.code);
        if (isMethod(message, "engine/retry")) {
            await this._deps.endpoints.retry();
            return;
        }
        if (isMethod(message, "model/select")) {
            await this._deps.runCommand("belle.selectModel");
            return;
        }
    }

    private async _onReady({conversationId}: CommandMap["ready"]): Promise<void> {
        this._isReady = false; // a reloaded webview sends ready again: start over with init
        if (conversationId != null) this._conversation = await this._deps.store.get(conversationId) ?? this._conversation;
        this._post("init", {
            locale: vscode.env.language,
            strings: this._deps.uiStrings(),
            defaultSettings: this._deps.defaultSettings(),
            engine: this._deps.endpoints.status,
            conversation: this._conversation,
            needsModel: this._deps.endpoints.needsModel
        });
        this._isReady = true;
        for (const pending of this._pendingBeforeReady.splice(0))
            void this._webview.postMessage(pending).then(undefined, () => undefined);
    }

    private async _conversationFor(id: string | null, settings?: ConversationSettings): Promise<Conversation> {
        if (id != null) {
            const existing = this._conversation?.id === id ? this._conversation : await this._deps.store.get(id);
            if (existing != null) return existing;
        }
        const defaults = this._deps.defaultSettings();
        return this._deps.store.create(settings == null ? defaults : sanitizeSettings(settings, defaults));
    }

    private async _onSend({conversationId, text, settings}: CommandMap["chat/send"]): Promise<void> {
        if (text.trim() === "") return;
        const conversation = await this._conversationFor(conversationId, settings);
        conversation.turns.push({role: "user", content: text});
        await this._answer(conversation);
    }

    private async _onRegenerate({conversationId}: CommandMap["chat/regenerate"]): Promise<void> {
        const conversation = await this._conversationFor(conversationId);
        while (conversation.turns.at(-1)?.role === "assistant") conversation.turns.pop();
        if (conversation.turns.length === 0) return;
        await this._answer(conversation);
    }

    private async _onEditAndResend({conversationId, turnIndex, text}: CommandMap["chat/editAndResend"]): Promise<void> {
        const conversation = await this._conversationFor(conversationId);
        if (conversation.turns[turnIndex]?.role !== "user" || text.trim() === "") return;
        conversation.turns.splice(turnIndex, conversation.turns.length - turnIndex, {role: "user", content: text});
        await this._answer(conversation);
    }

    private async _onUpdateSettings({conversationId, settings}: CommandMap["conversation/updateSettings"]): Promise<void> {
        const conversation = await this._deps.store.get(conversationId);
        if (conversation == null) return;
        conversation.settings = sanitizeSettings(settings, conversation.settings);
        await this._deps.store.save(conversation);
    }

    /** Streams an assistant turn for the conversation's last user turn; the turn is saved however it ends. */
    private async _answer(conversation: Conversation): Promise<void> {
        this._conversation = conversation;
        await this._deps.store.save(conversation);
        this._post("conversation/show", {conversation});

        const streamId = crypto.randomUUID();
        const controller = new AbortController();
        this._streams.set(streamId, controller);
        const turnIndex = conversation.turns.length;
        this._post("chat/started", {streamId, conversationId: conversation.id, turnIndex});

        const {settings} = conversation;
        const messages: ChatCompletionMessage[] = [
            ...(settings.systemPrompt.trim() === "" ? [] : [{role: "system" as const, content: settings.systemPrompt}]),
            ...conversation.turns
                .filter((turn) => !(turn.role === "assistant" && turn.error != null && turn.content === ""))
                .map((turn) => ({role: turn.role, content: turn.content}))
        ];
        let partial = "";
        const endRequest = this._deps.endpoints.beginRequest();
        let tokensPerSecond: number | undefined;
        try {
            let endpoint = await this._deps.endpoints.resolve();
            const request = () => streamChatCompletion({
                baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey, model: endpoint.model, messages,
                temperature: settings.temperature, topP: settings.topP, maxTokens: settings.maxTokens,
                signal: controller.signal,
                onDelta: (content) => {
                    partial += content;
                    this._post("chat/chunk", {streamId, content});
                }
            });
            let result: Awaited<ReturnType<typeof request>>;
            try {
                result = await request();
            } catch (error) {
                // The engine died just before this request (its exit not yet seen): once it is back, ask again.
                if (!(error instanceof EndpointUnreachableError) || partial !== "" || controller.signal.aborted ||
                    !await this._deps.endpoints.recover())
                    throw error;
                this._deps.log.info("[chat] the engine was restarted; sending the request again");
                endpoint = await this._deps.endpoints.resolve();
                result = await request();
            }
            tokensPerSecond = result.tokensPerSecond;
            const turn: ChatTurn = {
                role: "assistant", content: result.text,
                ...(result.finishReason === "length" ? {truncated: true} : {}),
                stats: {
                    promptTokens: result.promptTokens, completionTokens: result.completionTokens,
                    tokensPerSecond: result.tokensPerSecond,
                    contextTokens: result.promptTokens + result.completionTokens,
                    contextSize: endpoint.contextSize ?? 0
                }
            };
            await this._finishTurn(conversation, turn);
            this._post("chat/done", {streamId, turn});
        } catch (error) {
            if (controller.signal.aborted) {
                const turn: ChatTurn = {role: "assistant", content: partial, stopped: true};
                await this._finishTurn(conversation, turn);
                this._post("chat/done", {streamId, turn});
            } else {
                this._deps.log.warn(`[chat] answer failed: ${(error as Error).message}`);
                let message = (error as Error).message;
                let retryable = this._deps.endpoints.status.state === "error";
                if (error instanceof EndpointUnreachableError && this._deps.endpoints.usesRemote) {
                    message = vscode.l10n.t("The remote endpoint is not reachable: {0}", message);
                    retryable = true;
                } else if (error instanceof EndpointUnreachableError) {
                    // The local engine went away mid-answer (a crash, a kill): say so in words, and whether it is
                    // back, rather than the socket error. Once it is back, Regenerate works; no banner is needed.
                    const back = await this._deps.endpoints.recover().catch(() => false);
                    message = back
                        ? vscode.l10n.t("The engine stopped while answering and has been restarted. Regenerate to ask again.")
                        : vscode.l10n.t("The engine stopped while answering and could not be restarted. Show the logs, or Retry.");
                    retryable = !back;
                }
                const turn: ChatTurn = {role: "assistant", content: partial, error: message};
                await this._finishTurn(conversation, turn);
                this._post("chat/error", {streamId, message, retryable, turn});
            }
        } finally {
            this._streams.delete(streamId);
            endRequest(tokensPerSecond);
        }
    }

    private async _finishTurn(conversation: Conversation, turn: ChatTurn): Promise<void> {
        conversation.turns.push(turn);
        await this._deps.store.save(conversation).catch((error: unknown) => {
            this._deps.log.error(`[chat] could not save conversation ${conversation.id}: ${(error as Error).message}`);
        });
    }
}

function sanitizeSettings(settings: ConversationSettings, fallback: ConversationSettings): ConversationSettings {
    const finite = (value: unknown, min: number, max: number, otherwise: number) =>
        typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : otherwise;
    return {
        systemPrompt: typeof settings.systemPrompt === "string" ? settings.systemPrompt : fallback.systemPrompt,
        temperature: finite(settings.temperature, 0, 2, fallback.temperature),
        topP: finite(settings.topP, 0, 1, fallback.topP),
        maxTokens: Math.round(finite(settings.maxTokens, 1, 1_000_000, fallback.maxTokens))
    };
}

async function insertAtCursor(code: string): Promise<void> {
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (editor == null) {
        const document = await vscode.workspace.openTextDocument({content: code});
        await vscode.window.showTextDocument(document);
        return;
    }
    await editor.edit((edit) => {
        for (const selection of editor.selections) edit.replace(selection, code);
    });
}
