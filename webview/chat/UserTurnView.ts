import {element} from "../dom/element";
import type {UiText} from "../l10n/UiText";
import {ImeCompositionTracker} from "./ImeCompositionTracker";

/** A user turn: its text (never parsed as markdown or HTML) and an inline editor for "edit and resend". */
export class UserTurnView {
    public readonly element: HTMLElement;
    private readonly _body: HTMLElement;
    private readonly _editButton: HTMLElement;
    private _editable = true;

    public constructor(
        public readonly turnIndex: number,
        private _text: string,
        private readonly _ui: UiText,
        private readonly _onResend: (turnIndex: number, text: string) => void
    ) {
        this._editButton = element("vscode-toolbar-button", {
            className: "turn-action",
            attrs: {icon: "edit", label: _ui.t("edit"), title: _ui.t("edit")},
            on: {click: () => this._startEditing()}
        });
        this._body = element("div", {className: "turn-body user-text", text: _text});
        this.element = element("article", {className: "turn turn-user", attrs: {"aria-label": _ui.t("userRole")}}, [
            element("div", {className: "turn-header"}, [
                element("span", {className: "turn-role", text: _ui.t("userRole")}),
                element("span", {className: "turn-actions"}, [this._editButton])
            ]),
            this._body
        ]);
    }

    public get text(): string {
        return this._text;
    }

    /** Editing is offered only while no answer streams: resending mid-stream would race the running turn. */
    public set editable(editable: boolean) {
        this._editable = editable;
        this._editButton.hidden = !editable;
    }

    private _startEditing(): void {
        if (!this._editable || this.element.classList.contains("editing")) return;
        const input = element("textarea", {className: "edit-input", attrs: {"aria-label": this._ui.t("edit"), rows: "3"}});
        input.value = this._text;
        const ime = new ImeCompositionTracker(input);
        const save = () => {
            const text = input.value;
            if (text.trim() === "") return;
            this._text = text;
            this._stopEditing();
            this._onResend(this.turnIndex, text);
        };
        const cancel = () => this._stopEditing();
        input.addEventListener("keydown", (event) => {
            if (ime.isComposing(event)) return;
            if (event.key === "Escape") {
                event.preventDefault();
                cancel();
            } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                save();
            }
        });
        const editor = element("div", {className: "turn-editor"}, [
            input,
            element("div", {className: "editor-buttons"}, [
                element("vscode-button", {text: this._ui.t("saveAndResend"), on: {click: save}}),
                element("vscode-button", {attrs: {secondary: ""}, text: this._ui.t("cancel"), on: {click: cancel}})
            ])
        ]);
        this.element.classList.add("editing");
        this._body.replaceChildren(editor);
        input.focus();
        input.setSelectionRange(input.value.length, input.value.length);
    }

    private _stopEditing(): void {
        this.element.classList.remove("editing");
        this._body.replaceChildren(this._text);
        this._editButton.focus();
    }
}
