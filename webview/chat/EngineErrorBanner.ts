import type {VscodeButton} from "@vscode-elements/elements/dist/vscode-button/vscode-button.js";
import {element} from "../dom/element";
import type {UiText} from "../l10n/UiText";

/** Shown while the engine is down: why, and Retry. The conversation underneath stays as it was. */
export class EngineErrorBanner {
    public readonly element: HTMLElement;
    private readonly _title: HTMLElement;
    private readonly _reason: HTMLElement;
    private readonly _retry: VscodeButton;
    private _placeholder: Comment | undefined;

    public constructor(private readonly _ui: UiText, retry: () => void) {
        this._title = element("p", {className: "banner-title"});
        this._reason = element("p", {className: "banner-reason"});
        this._retry = element("vscode-button", {attrs: {icon: "debug-restart"}, on: {click: () => {
            if (this._retry.disabled) return;
            // One retry at a time: the button comes back with the next engine status.
            this._retry.disabled = true;
            retry();
        }}});
        this.element = element("div", {className: "engine-error-banner", attrs: {role: "alert"}}, [
            element("span", {className: "codicon codicon-error", attrs: {"aria-hidden": "true"}}),
            element("div", {className: "banner-text"}, [this._title, this._reason]),
            this._retry
        ]);
        this.element.hidden = true;
        this.relabel();
    }

    public relabel(): void {
        this._title.textContent = this._ui.t("engineErrorTitle");
        this._retry.textContent = this._ui.t("retry");
    }

    /** Where the banner goes while shown; out of the DOM while hidden (a stale role="alert" left there was read out). */
    public mount(placeholder: Comment): void {
        this._placeholder = placeholder;
    }

    public show(reason: string): void {
        this._reason.textContent = reason;
        this._retry.disabled = false;
        this.element.hidden = false;
        if (!this.element.isConnected) this._placeholder?.after(this.element);
    }

    public hide(): void {
        this.element.hidden = true;
        this._retry.disabled = false;
        this.element.remove();
    }

    /** A new status arrived while still in error: the engine tried and failed again, so Retry is offered again. */
    public rearm(): void {
        this._retry.disabled = false;
    }
}
