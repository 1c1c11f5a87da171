import type {ChatTurn} from "../protocol/chatProtocol";
import {element} from "../dom/element";
import type {UiText} from "../l10n/UiText";
import {IncrementalMarkdownView} from "../markdown/IncrementalMarkdownView";
import type {MarkdownRenderer} from "../markdown/MarkdownRenderer";

/** An assistant turn: markdown that can stream in, then its notes (stopped, failed) and speed / context use. */
export class AssistantTurnView {
    public readonly element: HTMLElement;
    private readonly _markdown: IncrementalMarkdownView;
    private readonly _footer: HTMLElement;
    private readonly _regenerateButton: HTMLElement;
    private _streaming = false;

    public constructor(
        public readonly turnIndex: number,
        private readonly _ui: UiText,
        renderer: MarkdownRenderer,
        onRegenerate: () => void
    ) {
        this._markdown = new IncrementalMarkdownView(renderer);
        this._regenerateButton = element("vscode-toolbar-button", {
            className: "turn-action",
            attrs: {icon: "refresh", label: _ui.t("regenerate"), title: _ui.t("regenerate")},
            on: {click: onRegenerate}
        });
        this._regenerateButton.hidden = true;
        this._footer = element("div", {className: "turn-footer"});
        this.element = element("article", {className: "turn turn-assistant", attrs: {"aria-label": _ui.t("assistantRole")}}, [
            element("div", {className: "turn-header"}, [
                element("span", {className: "turn-role", text: _ui.t("assistantRole")}),
                element("span", {className: "turn-actions"}, [this._regenerateButton])
            ]),
            element("div", {className: "turn-body"}, [this._markdown.element]),
            this._footer
        ]);
    }

    public static finished(turnIndex: number, turn: ChatTurn, ui: UiText, renderer: MarkdownRenderer, onRegenerate: () => void): AssistantTurnView {
        const view = new AssistantTurnView(turnIndex, ui, renderer, onRegenerate);
        view._markdown.setText(turn.content);
        view._showOutcome(turn);
        return view;
    }

    public static streaming(turnIndex: number, ui: UiText, renderer: MarkdownRenderer, onRegenerate: () => void): AssistantTurnView {
        const view = new AssistantTurnView(turnIndex, ui, renderer, onRegenerate);
        view._streaming = true;
        // aria-busy keeps screen readers from reading every chunk; they read the turn once it is done.
        view.element.setAttribute("aria-busy", "true");
        view.element.classList.add("streaming");
        view._footer.replaceChildren(element("span", {className: "turn-progress", text: ui.t("generating")}));
        return view;
    }

    public get streaming(): boolean {
        return this._streaming;
    }

    public get text(): string {
        return this._markdown.text;
    }

    public set regenerable(regenerable: boolean) {
        this._regenerateButton.hidden = !regenerable;
    }

    public append(chunk: string): void {
        this._markdown.append(chunk);
    }

    public finish(turn: ChatTurn): void {
        this._streaming = false;
        this._markdown.finish(turn.content);
        this.element.removeAttribute("aria-busy");
        this.element.classList.remove("streaming");
        this._showOutcome(turn);
    }

    private _showOutcome(turn: ChatTurn): void {
        const ui = this._ui;
        const notes: HTMLElement[] = [];
        if (turn.stopped) notes.push(element("div", {className: "turn-note", text: ui.t("stoppedNote")}));
        if (turn.truncated === true && turn.stats != null)
            notes.push(element("div", {className: "turn-note turn-truncated", text: ui.t("truncatedNote", turn.stats.completionTokens)}));
        if (turn.error != null) notes.push(element("div", {className: "turn-note turn-error", attrs: {role: "alert"}, text: ui.t("turnError", turn.error)}));
        if (turn.stats != null) {
            const {tokensPerSecond, contextTokens, contextSize, promptTokens, completionTokens} = turn.stats;
            const parts = [ui.t("tokensPerSecond", tokensPerSecond)];
            if (contextSize > 0) parts.push(ui.t("contextUse", contextTokens, contextSize));
            const stats = element("div", {className: "turn-stats", text: parts.join(" · "), attrs: {title: ui.t("tokenCounts", promptTokens, completionTokens)}});
            if (contextSize > 0) {
                const meter = element("meter", {className: "context-meter", attrs: {
                    min: "0", max: String(contextSize), value: String(contextTokens), high: String(contextSize * 0.8),
                    "aria-label": ui.t("contextUse", contextTokens, contextSize)
                }});
                stats.append(meter);
            }
            notes.push(stats);
        }
        this._footer.replaceChildren(...notes);
    }
}
