import * as vscode from "vscode";
import {isReportPanelState} from "../../webview/protocol/reportProtocol";
import {EvalReportPanel, evalReportViewType} from "./EvalReportPanel";

/**
 * Brings report panels back after a window reload: the webview saved its run files with `setState`, and the panel
 * reads them again from disk (a file that is gone becomes a message in the panel, not a failed restore).
 */
export class EvalReportSerializer implements vscode.WebviewPanelSerializer<unknown> {
    private constructor(private readonly _extensionUri: vscode.Uri) {}

    /** Registered in `activate`, which `onWebviewPanel:belle.evalReport` triggers for a panel left open. */
    public static register(extensionUri: vscode.Uri): vscode.Disposable {
        return vscode.window.registerWebviewPanelSerializer(evalReportViewType, new EvalReportSerializer(extensionUri));
    }

    public async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
        EvalReportPanel.restore(panel, this._extensionUri, isReportPanelState(state) ? state : null);
    }
}
