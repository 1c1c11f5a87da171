import type {EngineState, EngineStatus} from "../protocol/chatProtocol";
import {element} from "../dom/element";
import type {UiText} from "../l10n/UiText";
import type {UiStringKey} from "../protocol/uiStrings";

const stateLabels: Record<EngineState, UiStringKey> = {
    stopped: "engineStopped",
    starting: "engineStarting",
    ready: "engineReady",
    busy: "engineBusy",
    error: "engineError"
};

/** One line under the input: engine state, model (a button to pick another), backend and last speed. */
export class EngineStatusLine {
    public readonly element: HTMLElement;
    private readonly _state: HTMLElement;
    private readonly _model: HTMLButtonElement;
    private readonly _details: HTMLElement;
    private _engine: EngineStatus | null = null;

    public constructor(private readonly _ui: UiText, selectModel: () => void) {
        this._state = element("span", {className: "engine-state"});
        this._model = element("button", {className: "engine-model link-button", attrs: {type: "button"}, on: {click: selectModel}});
        this._details = element("span", {className: "engine-details"});
        this.element = element("div", {className: "engine-status", attrs: {role: "status"}}, [this._state, this._model, this._details]);
        this.relabel();
    }

    public relabel(): void {
        this.element.setAttribute("aria-label", this._ui.t("engineStatus"));
        this._model.title = this._ui.t("selectModel");
        if (this._engine != null) this.show(this._engine);
    }

    public show(engine: EngineStatus): void {
        this._engine = engine;
        this.element.dataset.state = engine.state;
        this._state.textContent = this._ui.t(stateLabels[engine.state]);
        this._model.textContent = engine.model ?? this._ui.t("noModel");
        this._model.setAttribute("aria-label", `${this._ui.t("selectModel")}: ${this._model.textContent}`);
        const details: string[] = [];
        if (engine.remote) details.push(this._ui.t("engineRemote"));
        else if (engine.backend != null) details.push(engine.backend);
        if (engine.lastTokensPerSecond != null) details.push(this._ui.t("tokensPerSecond", engine.lastTokensPerSecond));
        this._details.textContent = details.join(" · ");
    }
}
