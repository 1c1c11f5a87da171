import crypto from "node:crypto";
import * as vscode from "vscode";
import {
    chatCommands, chatNotifications, chatProtocol, chatRequests, type ChatTurn, type CommandMap, type Conversation, type ConversationSettings
} from "../../webview/protocol/chatProtocol";
import {WebviewMessageDispatcher, type PostNow} from "../webviews/WebviewMessageDispatcher";
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
    private readonly _messages: WebviewMessageDispatcher<typeof chatProtocol>;
    private _conversation: Conversation | null = null;

    public constructor(webview: vscode.Webview, private readonly _deps: ChatSessionDependencies) {
        const messages = this._messages = new WebviewMessageDispatcher(webview, chatProtocol, {
            onMalformed: (message) =>
                _deps.log.warn(`[chat] ignored a malformed message from the webview: ${JSON.stringify(message)?.slice(0, 200)}`),
            onHandlerError: (method, error) => {
                _deps.log.error(`[chat] ${method} failed: ${(error as Error).stack ?? String(error)}`);
                void vscode.window.showErrorMessage(vscode.l10n.t("BELLE chat: {0}", (error as Error).message));
            }
        });
        messages.onReady((params, post) => this._onReady(params, post));
        messages.onRequest(chatRequests["history/list"], async ({query}) => ({conversations: await this._deps.store.list(query)}));
        messages.onCommand(chatCommands["chat/send"], (params) => this._onSend(params));
        messages.onCommand(chatCommands["chat/stop"], ({streamId}) => this._streams.get(streamId)?.abort());
        messages.onCommand(chatCommands["chat/regenerate"], (params) => this._onRegenerate(params));
        messages.onCommand(chatCommands["chat/editAndResend"], (params) => this._onEditAndResend(params));
        messages.onCommand(chatCommands["conversation/new"], () => this.showNewConversation());
        messages.onCommand(chatCommands["conversation/open"], async ({conversationId}) => {
            const conversation = await this._deps.store.get(conversationId);
            if (conversation != null) this._conversation = conversation;
            this._messages.notify(chatNotifications["conversation/show"], {conversation: conversation ?? null});
        });
        messages.onCommand(chatCommands["conversation/delete"], async ({conversationId}) => {
            await this._deps.store.delete(conversationId);
            if (this._conversation?.id === conversationId) await this.showNewConversation();
        });
        messages.onCommand(chatCommands["conversation/updateSettings"], (params) => this._onUpdateSettings(params));
        messages.onCommand(chatCommands["code/copy"], ({code}) => vscode.env.clipboard.writeText(code));
        messages.onCommand(chatCommands["code/insert"], ({code}) => insertAtCursor(code));
        messages.onCommand(chatCommands["engine/retry"], () => this._deps.endpoints.retry());
        messages.onCommand(chatCommands["model/select"], () => this._deps.runCommand("belle.selectModel"));
        this._disposables.push(messages, _deps.endpoints.onDidChangeStatus((engine) => this._messages.notify(chatNotifications["engine/status"], {engine})));
    }

    public get conversationId(): string | null {
        return this._conversation?.id ?? null;
    }

    /** Puts text into the input (sent at once when `send`); queued until the webview is ready. */
    public fillInput(text: string, send: boolean): void {
        this._messages.notify(chatNotifications["input/fill"], {text, send});
    }

    public async showNewConversation(): Promise<void> {
        this._conversation = null;
        this._messages.notify(chatNotifications["conversation/show"], {conversation: null});
    }

    public dispose(): void {
        // Streams keep running to the end so the answer is saved with its conversation; only the webview is gone.
        for (const disposable of this._disposables) disposable.dispose();
    }

    private async _onReady({conversationId}: CommandMap["ready"], post: PostNow<typeof chatProtocol>): Promise<void> {
        // A reloaded webview sends ready again: start over with init (the dispatcher queues what comes meanwhile)
        if (conversationId != null) this._conversation = await this._deps.store.get(conversationId) ?? this._conversation;
        post(chatNotifications.init, {
            locale: vscode.env.language,
            strings: this._deps.uiStrings(),
            defaultSettings: this._deps.defaultSettings(),
            engine: this._deps.endpoints.status,
            conversation: this._conversation,
            needsModel: this._deps.endpoints.needsModel
        });
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
        this._messages.notify(chatNotifications["conversation/show"], {conversation});

        const streamId = crypto.randomUUID();
        const controller = new AbortController();
        this._streams.set(streamId, controller);
        const turnIndex = conversation.turns.length;
        this._messages.notify(chatNotifications["chat/started"], {streamId, conversationId: conversation.id, turnIndex});

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
                    this._messages.notify(chatNotifications["chat/chunk"], {streamId, content});
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
            this._messages.notify(chatNotifications["chat/done"], {streamId, turn});
        } catch (error) {
            if (controller.signal.aborted) {
                const turn: ChatTurn = {role: "assistant", content: partial, stopped: true};
                await this._finishTurn(conversation, turn);
                this._messages.notify(chatNotifications["chat/done"], {streamId, turn});
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
                this._messages.notify(chatNotifications["chat/error"], {streamId, message, retryable, turn});
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
