import {element} from "../dom/element";
import type {UiText} from "../l10n/UiText";

/** Shown when no model is configured: what BELLE needs and a button that opens the model picker. */
export class FirstRunGuide {
    public readonly element: HTMLElement;
    private readonly _title: HTMLElement;
    private readonly _body: HTMLElement;
    private readonly _action: HTMLElement;

    public constructor(private readonly _ui: UiText, selectModel: () => void) {
        this._title = element("h2", {className: "first-run-title"});
        this._body = element("p", {className: "first-run-body"});
        this._action = element("vscode-button", {attrs: {icon: "library"}, on: {click: selectModel}});
        this.element = element("section", {className: "first-run"}, [this._title, this._body, this._action]);
        this.element.hidden = true;
        this.relabel();
    }

    public relabel(): void {
        this._title.textContent = this._ui.t("firstRunTitle");
        this._body.textContent = this._ui.t("firstRunBody");
        this._action.textContent = this._ui.t("firstRunAction");
        this.element.setAttribute("aria-label", this._ui.t("firstRunTitle"));
    }

    public set visible(visible: boolean) {
        this.element.hidden = !visible;
    }
}
