import path from "node:path";
import * as vscode from "vscode";
import {EvalReportPanel} from "../report/EvalReportPanel";
import {loadEvalReportInput} from "../report/loadEvalReportInput";

const extensionId = "belle-group.belle-vscode";

/**
 * Opens the report of one run (or the comparison of several, the first the baseline) in the report webview. The
 * webview's export buttons write Markdown, CSV or JSON beside the first run file.
 */
export async function openEvalReport(runFilePaths: string[]): Promise<void> {
    const input = await loadEvalReportInput(runFilePaths);
    // The bundle is dist/extension.cjs, so its folder's parent is the extension's root when the API has no entry
    const extensionUri = vscode.extensions.getExtension(extensionId)?.extensionUri ?? vscode.Uri.file(path.join(__dirname, ".."));
    EvalReportPanel.open(extensionUri, input);
}

/** "BELLE: Open Evaluation Report": pick one run file for its report, or several to compare them. */
export async function pickAndOpenEvalReport(): Promise<void> {
    const uris = await vscode.window.showOpenDialog({
        canSelectMany: true,
        filters: {[vscode.l10n.t("Eval run")]: ["jsonl"]},
        defaultUri: vscode.workspace.workspaceFolders?.[0] == null ? undefined : vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, ".belle", "runs"),
        title: vscode.l10n.t("Select one run, or several to compare (the first is the baseline)")
    });
    if (uris == null || uris.length === 0) return;
    try {
        await openEvalReport(uris.map((uri) => uri.fsPath));
    } catch (error) {
        void vscode.window.showErrorMessage(vscode.l10n.t("BELLE evaluation: {0}", (error as Error).message));
    }
}
