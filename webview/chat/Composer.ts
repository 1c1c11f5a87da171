import type {VscodeButton} from "@vscode-elements/elements/dist/vscode-button/vscode-button.js";
import {element} from "../dom/element";
import type {UiText} from "../l10n/UiText";
import {ImeCompositionTracker} from "./ImeCompositionTracker";

export interface ComposerActions {
    send(text: string): void,
    stop(): void,
    draftChanged(draft: string): void
}

const maxInputHeightPx = 200;

/**
 * The input: Enter sends, Shift+Enter inserts a newline, and an Enter that confirms an IME candidate does neither
 * (it belongs to the input method). While an answer streams, Send becomes Stop.
 */
export class Composer {
    public readonly element: HTMLElement;
    private readonly _input: HTMLTextAreaElement;
    private readonly _sendButton: VscodeButton;
    private readonly _stopButton: VscodeButton;
    private _streaming = false;

    public constructor(private readonly _ui: UiText, private readonly _actions: ComposerActions) {
        this._input = element("textarea", {className: "composer-input", attrs: {rows: "1"}});
        const ime = new ImeCompositionTracker(this._input);
        this._input.addEventListener("keydown", (event) => {
            if (event.key !== "Enter" || ime.isComposing(event)) return;
            if (event.shiftKey) return; // the textarea's own newline
            event.preventDefault();
            this._send();
        });
        this._input.addEventListener("input", () => {
            this._fitHeight();
            this._actions.draftChanged(this._input.value);
        });
        this._sendButton = element("vscode-button", {className: "send-button", attrs: {icon: "send"}, on: {click: () => this._send()}});
        this._stopButton = element("vscode-button", {className: "stop-button", attrs: {icon: "debug-stop", secondary: ""}, on: {click: () => this._stop()}});
        this._stopButton.hidden = true;
        this.element = element("div", {className: "composer"}, [this._input, element("div", {className: "composer-buttons"}, [this._sendButton, this._stopButton])]);
        this.relabel();
    }

    public relabel(): void {
        this._input.setAttribute("aria-label", this._ui.t("inputLabel"));
        this._input.placeholder = this._ui.t("inputPlaceholder");
        this._sendButton.textContent = this._ui.t("send");
        this._stopButton.textContent = this._ui.t("stop");
    }

    public get value(): string {
        return this._input.value;
    }

    public set value(text: string) {
        this._input.value = text;
        this._fitHeight();
    }

    public set streaming(streaming: boolean) {
        this._streaming = streaming;
        this._sendButton.hidden = streaming;
        this._stopButton.hidden = !streaming;
        if (!streaming && document.activeElement === this._stopButton) this._input.focus();
    }

    /** Puts text from the editor into the input (after the draft, on its own line) and optionally sends it. */
    public fill(text: string, send: boolean): void {
        const draft = this._input.value;
        this.value = draft.trim() === "" ? text : `${draft.replace(/\s+$/, "")}\n${text}`;
        this._actions.draftChanged(this._input.value);
        if (send) this._send();
        else this.focus();
    }

    public focus(): void {
        this._input.focus();
    }

    private _send(): void {
        const text = this._input.value;
        if (this._streaming || text.trim() === "") return;
        this.value = "";
        this._actions.draftChanged("");
        this._actions.send(text);
    }

    private _stop(): void {
        if (this._streaming) this._actions.stop();
    }

    private _fitHeight(): void {
        // CSSOM, not a style attribute: the CSP allows no inline styles.
        this._input.style.height = "auto";
        this._input.style.height = `${Math.min(this._input.scrollHeight, maxInputHeightPx)}px`;
    }
}
