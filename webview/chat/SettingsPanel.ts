import type {VscodeTextarea} from "@vscode-elements/elements/dist/vscode-textarea/vscode-textarea.js";
import type {VscodeTextfield} from "@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js";
import type {ConversationSettings} from "../protocol/chatProtocol";
import {element} from "../dom/element";
import type {UiText} from "../l10n/UiText";
import type {UiStringKey} from "../protocol/uiStrings";

export interface SettingsActions {
    apply(settings: ConversationSettings): void,
    closed(): void
}

interface NumberField {
    key: "temperature" | "topP" | "maxTokens",
    min: number,
    max: number,
    step: number,
    integer: boolean
}

const numberFields: readonly NumberField[] = [
    {key: "temperature", min: 0, max: 2, step: 0.1, integer: false},
    {key: "topP", min: 0, max: 1, step: 0.05, integer: false},
    {key: "maxTokens", min: 1, max: 1_000_000, step: 1, integer: true}
];

/** The shown conversation's system prompt and sampling settings. */
export class SettingsPanel {
    public readonly element: HTMLElement;
    private readonly _systemPrompt: VscodeTextarea;
    private readonly _numbers = new Map<NumberField["key"], VscodeTextfield>();
    private readonly _labels: Array<[HTMLElement, UiStringKey]> = [];
    private readonly _hint: HTMLElement;
    private readonly _message: HTMLElement;
    private _forNextChat = false;
    private _defaults: ConversationSettings = {systemPrompt: "", temperature: 0.7, topP: 0.9, maxTokens: 1024};

    public constructor(private readonly _ui: UiText, private readonly _actions: SettingsActions) {
        this._systemPrompt = element("vscode-textarea", {attrs: {id: "settings-system-prompt", rows: "4", resize: "vertical"}});
        const fields: HTMLElement[] = [this._field("settings-system-prompt", "systemPrompt", this._systemPrompt)];
        for (const field of numberFields) {
            const input = element("vscode-textfield", {attrs: {
                id: `settings-${field.key}`, type: "number", min: String(field.min), max: String(field.max), step: String(field.step)
            }});
            this._numbers.set(field.key, input);
            fields.push(this._field(`settings-${field.key}`, field.key, input));
        }
        this._hint = element("p", {className: "settings-hint"});
        this._message = element("p", {className: "settings-message", attrs: {role: "status"}});
        const apply = element("vscode-button", {on: {click: () => this._apply()}});
        const reset = element("vscode-button", {attrs: {secondary: ""}, on: {click: () => this._fill(this._defaults)}});
        this._labels.push([apply, "applySettings"], [reset, "resetSettings"]);
        const title = element("h2", {className: "panel-title"});
        this._labels.push([title, "settings"]);
        const close = element("vscode-toolbar-button", {className: "panel-close", attrs: {icon: "close"}, on: {click: () => this.close()}});
        this.element = element("section", {className: "panel settings-panel"}, [
            element("div", {className: "panel-header"}, [title, close]),
            this._hint,
            ...fields,
            element("div", {className: "panel-buttons"}, [apply, reset]),
            this._message
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
        for (const [node, key] of this._labels) node.textContent = this._ui.t(key);
        this.element.setAttribute("aria-label", this._ui.t("settings"));
        this.element.querySelector(".panel-close")?.setAttribute("label", this._ui.t("close"));
        this._hint.textContent = this._ui.t("settingsForNextChat");
    }

    public get isOpen(): boolean {
        return !this.element.hidden;
    }

    /** Shows `settings`; `forNextChat` when no conversation exists yet (they go with the first message). */
    public show(settings: ConversationSettings, defaults: ConversationSettings, forNextChat: boolean): void {
        this._defaults = defaults;
        this._forNextChat = forNextChat;
        this._hint.hidden = !forNextChat;
        this._message.textContent = "";
        this._fill(settings);
    }

    public open(): void {
        this.element.hidden = false;
        this._systemPrompt.focus();
    }

    public close(): void {
        if (this.element.hidden) return;
        this.element.hidden = true;
        this._actions.closed();
    }

    private _field(id: string, key: UiStringKey, input: HTMLElement): HTMLElement {
        const label = element("vscode-label", {attrs: {for: id}});
        this._labels.push([label, key]);
        return element("vscode-form-group", {attrs: {variant: "vertical"}}, [label, input]);
    }

    private _fill(settings: ConversationSettings): void {
        this._systemPrompt.value = settings.systemPrompt;
        for (const field of numberFields) this._numbers.get(field.key)!.value = String(settings[field.key]);
    }

    private _apply(): void {
        const settings: ConversationSettings = {systemPrompt: this._systemPrompt.value, temperature: 0, topP: 0, maxTokens: 0};
        for (const field of numberFields) {
            const input = this._numbers.get(field.key)!;
            const raw = input.value.trim();
            const value = Number(raw);
            const valid = raw !== "" && Number.isFinite(value) && value >= field.min && value <= field.max && (!field.integer || Number.isInteger(value));
            input.invalid = !valid;
            if (!valid) {
                this._message.textContent = this._ui.t("settingsInvalid");
                input.focus();
                return;
            }
            settings[field.key] = value;
        }
        this._message.textContent = this._forNextChat ? "" : this._ui.t("settingsApplied");
        this._actions.apply(settings);
    }
}
