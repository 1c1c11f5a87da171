import type {ChatTurn} from "../protocol/chatProtocol";
import {element} from "../dom/element";
import type {UiText} from "../l10n/UiText";
import type {CodeAction} from "../markdown/decorateCodeBlocks";
import type {MarkdownRenderer} from "../markdown/MarkdownRenderer";
import {AssistantTurnView} from "./AssistantTurnView";
import {UserTurnView} from "./UserTurnView";

export interface MessageListActions {
    regenerate(): void,
    editAndResend(turnIndex: number, text: string): void,
    code(action: CodeAction, code: string): void
}

type TurnView = UserTurnView | AssistantTurnView;

/** How close to the bottom (px) still counts as "following the answer" while it streams. */
const followSlackPx = 48;

/**
 * The conversation's turns as a live log. Turns are rebuilt only when the extension shows a conversation; a
 * streaming answer is one AssistantTurnView whose DOM survives such a rebuild.
 */
export class MessageList {
    public readonly element: HTMLElement;
    private readonly _log: HTMLElement;
    private readonly _empty: HTMLElement;
    private _views: TurnView[] = [];
    private _following = true;
    private _busy = false;

    public constructor(private readonly _ui: UiText, private readonly _renderer: MarkdownRenderer, private readonly _actions: MessageListActions) {
        this._log = element("div", {className: "message-log", attrs: {role: "log", "aria-live": "polite", "aria-relevant": "additions text", tabindex: "0"}});
        this._empty = element("p", {className: "empty-conversation"});
        this.element = element("div", {className: "message-list"}, [this._empty, this._log]);
        this.element.addEventListener("scroll", () => {
            const {scrollTop, clientHeight, scrollHeight} = this.element;
            this._following = scrollTop + clientHeight >= scrollHeight - followSlackPx;
        }, {passive: true});
        this._log.addEventListener("click", (event) => this._onClick(event));
        this.relabel();
    }

    /** Re-applies the UI strings (after `init` changed the language). */
    public relabel(): void {
        this._log.setAttribute("aria-label", this._ui.t("conversationLabel"));
        this._empty.textContent = this._ui.t("emptyConversation");
    }

    public get turnCount(): number {
        return this._views.length;
    }

    /** Rebuilds the turns; `streaming` (an answer still arriving for this conversation) keeps its DOM and goes last. */
    public show(turns: readonly ChatTurn[], streaming?: AssistantTurnView): void {
        const count = streaming != null ? Math.min(turns.length, streaming.turnIndex) : turns.length;
        this._views = turns.slice(0, count).map((turn, index) => this._viewFor(turn, index));
        if (streaming != null) this._views.push(streaming);
        this._log.replaceChildren(...this._views.map((view) => view.element));
        this._following = true;
        this._refresh();
    }

    public appendUserTurn(text: string): void {
        this._add(new UserTurnView(this._views.length, text, this._ui, this._actions.editAndResend));
    }

    /** Drops turns from `turnIndex` on (regenerate and edit-and-resend replace the tail of the conversation). */
    public truncate(turnIndex: number): void {
        for (const view of this._views.splice(turnIndex)) view.element.remove();
        this._refresh();
    }

    public startStream(turnIndex: number): AssistantTurnView {
        this.truncate(turnIndex);
        const view = AssistantTurnView.streaming(this._views.length, this._ui, this._renderer, this._actions.regenerate);
        this._add(view);
        return view;
    }

    /** Whether `view` is on screen: a stream for a conversation not shown renders off-screen until it is. */
    public has(view: AssistantTurnView): boolean {
        return this._views.includes(view);
    }

    /** While an answer streams, turns cannot be edited or regenerated. */
    public set busy(busy: boolean) {
        this._busy = busy;
        this._refresh();
    }

    /** Keeps the newest text in view unless the reader scrolled up. */
    public followOutput(): void {
        if (this._following) this.element.scrollTop = this.element.scrollHeight;
    }

    private _viewFor(turn: ChatTurn, index: number): TurnView {
        return turn.role === "user"
            ? new UserTurnView(index, turn.content, this._ui, this._actions.editAndResend)
            : AssistantTurnView.finished(index, turn, this._ui, this._renderer, this._actions.regenerate);
    }

    private _add(view: TurnView): void {
        this._views.push(view);
        this._log.append(view.element);
        this._following = true;
        this._refresh();
    }

    private _refresh(): void {
        const last = this._views.at(-1);
        for (const view of this._views) {
            if (view instanceof UserTurnView) view.editable = !this._busy;
            else view.regenerable = !this._busy && view === last && !view.streaming;
        }
        this._empty.hidden = this._views.length > 0;
        this.followOutput();
    }

    private _onClick(event: MouseEvent): void {
        if (!(event.target instanceof Element)) return;
        const button = event.target.closest<HTMLElement>("[data-code-action]");
        const code = button?.closest(".code-block")?.querySelector("pre code, pre");
        if (button == null || code == null) return;
        const action = button.dataset.codeAction;
        if (action !== "copy" && action !== "insert") return;
        this._actions.code(action, code.textContent ?? "");
        if (action === "copy") flashCopied(button, this._ui.t("copied"));
    }
}

function flashCopied(button: HTMLElement, label: string): void {
    const previous = {icon: button.getAttribute("icon") ?? "copy", title: button.getAttribute("title") ?? ""};
    button.setAttribute("icon", "check");
    button.setAttribute("title", label);
    setTimeout(() => {
        button.setAttribute("icon", previous.icon);
        button.setAttribute("title", previous.title);
    }, 1500);
}
