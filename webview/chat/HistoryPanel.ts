import type {VscodeTextfield} from "@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js";
import type {ConversationSummary, RequestMap} from "../protocol/chatProtocol";
import {element} from "../dom/element";
import type {RequestOutcome} from "../host/WebviewMessenger";
import type {UiText} from "../l10n/UiText";

export interface HistoryActions {
    list(query: string): Promise<RequestOutcome<RequestMap["history/list"]["result"]>>,
    open(conversationId: string): void,
    delete(conversationId: string): void,
    closed(): void
}

const searchDebounceMs = 200;

/** Past conversations: search, open, delete (with an inline confirmation; webviews have no confirm()). */
export class HistoryPanel {
    public readonly element: HTMLElement;
    private readonly _search: VscodeTextfield;
    private readonly _status: HTMLElement;
    private readonly _list: HTMLElement;
    private _currentId: string | null = null;
    private _searchTimer: ReturnType<typeof setTimeout> | undefined;
    /** Only the newest request's answer is shown: an older, slower one must not overwrite it. */
    private _generation = 0;

    public constructor(private readonly _ui: UiText, private readonly _actions: HistoryActions) {
        this._search = element("vscode-textfield", {className: "history-search", attrs: {type: "search"}});
        this._search.addEventListener("input", () => {
            clearTimeout(this._searchTimer);
            this._searchTimer = setTimeout(() => void this.refresh(), searchDebounceMs);
        });
        this._status = element("p", {className: "history-status", attrs: {role: "status"}});
        this._list = element("ul", {className: "history-list"});
        this.element = element("section", {className: "panel history-panel"}, [
            element("div", {className: "panel-header"}, [element("h2", {className: "panel-title"}), this._closeButton()]),
            this._search, this._status, this._list
        ]);
        this.element.hidden = true;
        this.element.addEventListener("keydown", (event) => {
            if (event.key === "Escape") {
                event.preventDefault();
                this.close();
            }
        });
        this.relabel();
    }

    public relabel(): void {
        this.element.setAttribute("aria-label", this._ui.t("history"));
        this.element.querySelector(".panel-title")!.textContent = this._ui.t("history");
        this._search.placeholder = this._ui.t("historySearch");
        this._search.setAttribute("aria-label", this._ui.t("historySearch"));
        this.element.querySelector(".panel-close")?.setAttribute("label", this._ui.t("close"));
    }

    public get isOpen(): boolean {
        return !this.element.hidden;
    }

    public open(): void {
        this.element.hidden = false;
        void this.refresh();
        this._search.focus();
    }

    public close(): void {
        if (this.element.hidden) return;
        this.element.hidden = true;
        this._actions.closed();
    }

    public set currentConversationId(id: string | null) {
        this._currentId = id;
        for (const item of this._list.querySelectorAll<HTMLElement>(".history-open"))
            item.toggleAttribute("aria-current", item.dataset.conversationId === id);
    }

    public async refresh(): Promise<void> {
        if (!this.isOpen) return;
        const generation = ++this._generation;
        this._status.textContent = this._ui.t("historyLoading");
        const outcome = await this._actions.list(this._search.value);
        if (generation !== this._generation) return;
        if (!outcome.ok) {
            this._status.textContent = this._ui.t("historyFailed", outcome.timedOut ? this._ui.t("requestTimedOut") : outcome.error);
            return;
        }
        const {conversations} = outcome.result;
        this._status.textContent = conversations.length === 0 ? this._ui.t("historyEmpty") : "";
        this._list.replaceChildren(...conversations.map((conversation) => this._item(conversation)));
    }

    private _closeButton(): HTMLElement {
        return element("vscode-toolbar-button", {className: "panel-close", attrs: {icon: "close"}, on: {click: () => this.close()}});
    }

    private _item(conversation: ConversationSummary): HTMLElement {
        const title = conversation.title.trim() === "" ? this._ui.t("untitledConversation") : conversation.title;
        const open = element("button", {
            className: "history-open",
            attrs: {type: "button", "data-conversation-id": conversation.id},
            on: {click: () => this._actions.open(conversation.id)}
        }, [
            element("span", {className: "history-title", text: title}),
            element("span", {className: "history-meta", text: this._ui.t("historyMeta", this._ui.date(conversation.updatedAt), conversation.turnCount)})
        ]);
        open.toggleAttribute("aria-current", conversation.id === this._currentId);
        const item = element("li", {className: "history-item"});
        const remove = element("vscode-toolbar-button", {
            className: "history-delete",
            attrs: {icon: "trash", label: `${this._ui.t("deleteConversation")}: ${title}`, title: this._ui.t("deleteConversation")},
            on: {click: () => this._confirmDelete(item, conversation.id, open)}
        });
        item.append(open, remove);
        return item;
    }

    private _confirmDelete(item: HTMLElement, conversationId: string, open: HTMLElement): void {
        const restore = () => {
            item.replaceChildren(...children);
            open.focus();
        };
        const children = [...item.children];
        const yes = element("vscode-button", {text: this._ui.t("confirmDeleteYes"), on: {click: () => {
            item.remove();
            this._actions.delete(conversationId);
            void this.refresh();
            this._search.focus();
        }}});
        item.replaceChildren(element("div", {className: "history-confirm", attrs: {role: "group"}}, [
            element("span", {text: this._ui.t("confirmDelete")}),
            yes,
            element("vscode-button", {attrs: {secondary: ""}, text: this._ui.t("cancel"), on: {click: restore}})
        ]));
        yes.focus();
    }
}
