import * as vscode from "vscode";
import type {EngineStatus} from "../../webview/protocol/chatProtocol";
import {commandIds} from "../commandIds";

const stateIcons: Record<EngineStatus["state"], string> = {
    stopped: "$(circle-slash)",
    starting: "$(loading~spin)",
    ready: "$(check)",
    busy: "$(sync~spin)",
    error: "$(error)"
};

/** Model · state · backend · last tokens/s; a click offers the engine actions. */
export class EngineStatusBar implements vscode.Disposable {
    private readonly _item = vscode.window.createStatusBarItem("belle.engine", vscode.StatusBarAlignment.Right, 100);

    public constructor() {
        this._item.name = vscode.l10n.t("BELLE Engine");
        this._item.command = commandIds.showEngineActions;
    }

    public update(status: EngineStatus): void {
        const state = describeState(status.state);
        const parts = [status.model ?? vscode.l10n.t("no model"), state];
        if (status.backend != null) parts.push(status.backend);
        if (status.lastTokensPerSecond != null && status.lastTokensPerSecond > 0)
            parts.push(vscode.l10n.t("{0} tok/s", status.lastTokensPerSecond.toFixed(1)));
        this._item.text = `${stateIcons[status.state]} BELLE: ${parts.join(" · ")}`;
        this._item.tooltip = status.error ?? vscode.l10n.t("BELLE engine: click for actions");
        this._item.backgroundColor = status.state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
        this._item.show();
    }

    public dispose(): void {
        this._item.dispose();
    }
}

export function describeState(state: EngineStatus["state"]): string {
    switch (state) {
        case "stopped": return vscode.l10n.t("stopped");
        case "starting": return vscode.l10n.t("starting");
        case "ready": return vscode.l10n.t("ready");
        case "busy": return vscode.l10n.t("busy");
        case "error": return vscode.l10n.t("error");
    }
}
