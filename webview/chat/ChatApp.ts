import type {VscodeToolbarButton} from "@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js";
import {
    chatCommands, chatProtocol, chatRequests, isMethod, type ChatNotificationMessage, type ChatTurn, type Conversation,
    type ConversationSettings, type NotificationMap
} from "../protocol/chatProtocol";
import type {UiStringKey} from "../protocol/uiStrings";
import {element} from "../dom/element";
import {WebviewMessenger} from "../host/WebviewMessenger";
import type {VsCodeApi} from "../host/vsCodeApi";
import {WebviewStateStore} from "../host/WebviewStateStore";
import {UiText} from "../l10n/UiText";
import {decorateCodeBlocks} from "../markdown/decorateCodeBlocks";
import {MarkdownRenderer} from "../markdown/MarkdownRenderer";
import {AssistantTurnView} from "./AssistantTurnView";
import {Composer} from "./Composer";
import {EngineErrorBanner} from "./EngineErrorBanner";
import {EngineStatusLine} from "./EngineStatusLine";
import {FirstRunGuide} from "./FirstRunGuide";
import {HistoryPanel} from "./HistoryPanel";
import {MessageList} from "./MessageList";
import {SettingsPanel} from "./SettingsPanel";

interface ShownConversation {
    /** Null until the extension creates the conversation for its first message. */
    id: string | null,
    title: string,
    turns: ChatTurn[],
    settings: ConversationSettings
}

interface Stream {
    streamId: string,
    conversationId: string,
    turnIndex: number,
    /** Kept even while another conversation is shown, so coming back shows the answer as far as it got. */
    view: AssistantTurnView
}

const historyTimeoutMs = 10_000;

/** The chat webview: owns the components and plays the webview side of chatProtocol. */
export class ChatApp {
    private readonly _state: WebviewStateStore;
    private readonly _messenger: WebviewMessenger<typeof chatProtocol>;
    private readonly _ui: UiText;
    private readonly _renderer: MarkdownRenderer;
    private readonly _title: HTMLElement;
    private readonly _toolbar: {newChat: VscodeToolbarButton, history: VscodeToolbarButton, settings: VscodeToolbarButton};
    private readonly _banner: EngineErrorBanner;
    private readonly _guide: FirstRunGuide;
    private readonly _history: HistoryPanel;
    private readonly _settings: SettingsPanel;
    private readonly _messages: MessageList;
    private readonly _composer: Composer;
    private readonly _status: EngineStatusLine;
    private readonly _streams = new Map<string, Stream>();
    private _defaults: ConversationSettings = {systemPrompt: "", temperature: 0.7, topP: 0.9, maxTokens: 1024};
    private _shown: ShownConversation = {id: null, title: "", turns: [], settings: this._defaults};
    /** Settings chosen before the conversation exists; they travel with its first message. */
    private _nextChatSettings: ConversationSettings | null = null;
    /** Text sent with no conversation id: the conversation shown next holding just this turn is the one it created. */
    private _firstMessageOfNextChat: string | null = null;

    public constructor(root: HTMLElement, api: VsCodeApi) {
        this._state = new WebviewStateStore(api);
        this._messenger = new WebviewMessenger(api, chatProtocol, (message) => this._onNotification(message));
        this._ui = new UiText(document.documentElement.lang || "en");
        this._renderer = new MarkdownRenderer((fragment) => decorateCodeBlocks(fragment, this._ui));

        this._title = element("h1", {className: "chat-title"});
        this._toolbar = {
            newChat: element("vscode-toolbar-button", {attrs: {icon: "add"}, on: {click: () => this._newChat()}}),
            history: element("vscode-toolbar-button", {attrs: {icon: "history", toggleable: ""}, on: {click: () => this._togglePanel("history")}}),
            settings: element("vscode-toolbar-button", {attrs: {icon: "settings-gear", toggleable: ""}, on: {click: () => this._togglePanel("settings")}})
        };
        this._banner = new EngineErrorBanner(this._ui, () => this._messenger.command(chatCommands["engine/retry"], {}));
        this._guide = new FirstRunGuide(this._ui, () => this._messenger.command(chatCommands["model/select"], {}));
        this._history = new HistoryPanel(this._ui, {
            list: (query) => this._messenger.request(chatRequests["history/list"], {query}, historyTimeoutMs),
            open: (conversationId) => {
                this._history.close();
                this._messenger.command(chatCommands["conversation/open"], {conversationId});
            },
            delete: (conversationId) => this._messenger.command(chatCommands["conversation/delete"], {conversationId}),
            closed: () => this._panelClosed("history")
        });
        this._settings = new SettingsPanel(this._ui, {
            apply: (settings) => this._applySettings(settings),
            closed: () => this._panelClosed("settings")
        });
        this._messages = new MessageList(this._ui, this._renderer, {
            regenerate: () => this._regenerate(),
            editAndResend: (turnIndex, text) => this._editAndResend(turnIndex, text),
            code: (action, code) => this._messenger.command(chatCommands[action === "copy" ? "code/copy" : "code/insert"], {code})
        });
        this._composer = new Composer(this._ui, {
            send: (text) => this._send(text),
            stop: () => this._stop(),
            draftChanged: (draft) => this._state.update({draft})
        });
        this._status = new EngineStatusLine(this._ui, () => this._messenger.command(chatCommands["model/select"], {}));

        const bannerSlot = document.createComment("engine error banner");
        this._banner.mount(bannerSlot);
        root.replaceChildren(
            element("header", {className: "chat-header"}, [
                this._title,
                element("div", {className: "chat-toolbar", attrs: {role: "toolbar"}}, [this._toolbar.newChat, this._toolbar.history, this._toolbar.settings])
            ]),
            bannerSlot,
            this._history.element,
            this._settings.element,
            this._guide.element,
            this._messages.element,
            element("footer", {className: "chat-footer"}, [this._composer.element, this._status.element])
        );
        this._composer.value = this._state.state.draft;
        this._relabel();
        this._showTitle();
    }

    /** Installs the message listener, then says `ready` with the conversation this webview showed before a reload. */
    public start(): void {
        this._messenger.start({conversationId: this._state.state.conversationId});
        this._composer.focus();
    }

    private _onNotification(message: ChatNotificationMessage): void {
        if (isMethod(message, "init")) this._onInit(message.params);
        else if (isMethod(message, "conversation/show")) this._show(message.params.conversation);
        else if (isMethod(message, "engine/status")) this._onEngineStatus(message.params);
        else if (isMethod(message, "chat/started")) this._onStarted(message.params);
        else if (isMethod(message, "chat/chunk")) this._onChunk(message.params);
        else if (isMethod(message, "chat/done")) this._onFinished(message.params.streamId, message.params.turn);
        else if (isMethod(message, "chat/error")) this._onError(message.params);
        else if (isMethod(message, "input/fill")) this._composer.fill(message.params.text, message.params.send);
    }

    private _onInit({locale, strings, defaultSettings, engine, conversation, needsModel}: NotificationMap["init"]): void {
        this._ui.configure(locale, strings);
        document.documentElement.lang = locale;
        this._defaults = defaultSettings;
        this._relabel();
        this._guide.visible = needsModel;
        this._onEngineStatus({engine});
        this._show(conversation);
    }

    private _relabel(): void {
        const labels: Array<[VscodeToolbarButton, UiStringKey]> = [
            [this._toolbar.newChat, "newChat"], [this._toolbar.history, "history"], [this._toolbar.settings, "settings"]
        ];
        for (const [button, key] of labels) {
            button.setAttribute("label", this._ui.t(key));
            button.setAttribute("title", this._ui.t(key));
        }
        this._banner.relabel();
        this._guide.relabel();
        this._history.relabel();
        this._settings.relabel();
        this._messages.relabel();
        this._composer.relabel();
        this._status.relabel();
        this._showTitle();
    }

    private _show(conversation: Conversation | null): void {
        const created = conversation != null && this._firstMessageOfNextChat != null && conversation.turns.length === 1
            && conversation.turns[0]!.role === "user" && conversation.turns[0]!.content === this._firstMessageOfNextChat;
        this._firstMessageOfNextChat = null;
        if (created && this._nextChatSettings != null && !sameSettings(conversation.settings, this._nextChatSettings)) {
            // An extension that ignores chat/send's `settings` still gets them for every later turn.
            conversation.settings = this._nextChatSettings;
            this._messenger.command(chatCommands["conversation/updateSettings"], {conversationId: conversation.id, settings: conversation.settings});
        }
        if (created) this._nextChatSettings = null;
        this._shown = conversation == null
            ? {id: null, title: "", turns: [], settings: this._nextChatSettings ?? this._defaults}
            : {id: conversation.id, title: conversation.title, turns: [...conversation.turns], settings: conversation.settings};
        const stream = [...this._streams.values()].find((candidate) => candidate.conversationId === conversation?.id);
        this._messages.show(this._shown.turns, stream?.view);
        this._state.update({conversationId: this._shown.id});
        this._history.currentConversationId = this._shown.id;
        this._settings.show(this._shown.settings, this._defaults, this._shown.id == null);
        this._showTitle();
        this._syncStreaming();
    }

    private _showTitle(): void {
        this._title.textContent = this._shown.title.trim() === "" ? this._ui.t("untitledConversation") : this._shown.title;
    }

    private _onEngineStatus({engine}: NotificationMap["engine/status"]): void {
        this._status.show(engine);
        if (engine.state === "error") {
            if (!this._banner.element.isConnected) this._banner.show(engine.error ?? this._ui.t("engineError"));
            else this._banner.rearm();
        } else if (engine.state === "ready" || engine.state === "busy" || engine.state === "starting") {
            this._banner.hide();
        } else {
            this._banner.rearm();
        }
        if (engine.model != null) this._guide.visible = false;
    }

    private _onStarted({streamId, conversationId, turnIndex}: NotificationMap["chat/started"]): void {
        if (this._shown.id == null) {
            // The extension created the conversation without showing it first: this answer is its first turn.
            this._shown.id = conversationId;
            this._state.update({conversationId});
        }
        const view = this._shown.id === conversationId
            ? this._messages.startStream(turnIndex)
            : AssistantTurnView.streaming(turnIndex, this._ui, this._renderer, () => this._regenerate());
        if (this._shown.id === conversationId) this._shown.turns.length = Math.min(this._shown.turns.length, turnIndex);
        this._streams.set(streamId, {streamId, conversationId, turnIndex, view});
        this._syncStreaming();
    }

    private _onChunk({streamId, content}: NotificationMap["chat/chunk"]): void {
        const stream = this._streams.get(streamId);
        if (stream == null) return;
        stream.view.append(content);
        if (this._messages.has(stream.view)) this._messages.followOutput();
    }

    private _onFinished(streamId: string, turn: ChatTurn): void {
        const stream = this._streams.get(streamId);
        if (stream == null) return;
        this._streams.delete(streamId);
        stream.view.finish(turn);
        if (this._shown.id === stream.conversationId) {
            this._shown.turns.length = Math.min(this._shown.turns.length, stream.turnIndex);
            this._shown.turns.push(turn);
        }
        this._syncStreaming();
        if (this._messages.has(stream.view)) this._messages.followOutput();
    }

    private _onError({streamId, message, retryable, turn}: NotificationMap["chat/error"]): void {
        this._onFinished(streamId, turn);
        if (retryable) this._banner.show(message);
    }

    private _syncStreaming(): void {
        const streaming = this._streams.size > 0;
        this._composer.streaming = streaming;
        this._messages.busy = streaming;
    }

    private _send(text: string): void {
        const settings = this._shown.id == null ? this._nextChatSettings : null;
        this._messenger.command(chatCommands["chat/send"], {conversationId: this._shown.id, text, ...(settings != null ? {settings} : {})});
        if (this._shown.id == null) this._firstMessageOfNextChat = text;
        this._shown.turns.push({role: "user", content: text});
        this._messages.appendUserTurn(text);
    }

    private _stop(): void {
        // The newest stream is the one the Stop button stands for (one answer streams at a time from this view).
        const stream = [...this._streams.values()].at(-1);
        if (stream != null) this._messenger.command(chatCommands["chat/stop"], {streamId: stream.streamId});
    }

    private _regenerate(): void {
        if (this._shown.id == null || this._streams.size > 0) return;
        this._messenger.command(chatCommands["chat/regenerate"], {conversationId: this._shown.id});
    }

    private _editAndResend(turnIndex: number, text: string): void {
        if (this._shown.id == null || this._streams.size > 0) return;
        this._messenger.command(chatCommands["chat/editAndResend"], {conversationId: this._shown.id, turnIndex, text});
        this._shown.turns.splice(turnIndex, this._shown.turns.length - turnIndex, {role: "user", content: text});
        this._messages.truncate(turnIndex + 1);
    }

    private _newChat(): void {
        this._messenger.command(chatCommands["conversation/new"], {});
        this._show(null);
        this._composer.focus();
    }

    private _applySettings(settings: ConversationSettings): void {
        this._shown.settings = settings;
        if (this._shown.id == null) this._nextChatSettings = settings;
        else this._messenger.command(chatCommands["conversation/updateSettings"], {conversationId: this._shown.id, settings});
    }

    private _togglePanel(panel: "history" | "settings"): void {
        const [target, other] = panel === "history" ? [this._history, this._settings] : [this._settings, this._history];
        if (target.isOpen) {
            target.close();
            return;
        }
        other.close();
        target.open();
        this._toolbar[panel].checked = true;
    }

    private _panelClosed(panel: "history" | "settings"): void {
        this._toolbar[panel].checked = false;
        this._toolbar[panel].focus();
    }
}

function sameSettings(a: ConversationSettings, b: ConversationSettings): boolean {
    return a.systemPrompt === b.systemPrompt && a.temperature === b.temperature && a.topP === b.topP && a.maxTokens === b.maxTokens;
}
