import path from "node:path";
import * as vscode from "vscode";
import type {EvalRunIndex} from "./EvalRunIndex";

/** Picks which run of an eval set the CodeLens, hover and diagnostics show (the newest until another is picked). */
export async function selectEvalRun(runs: EvalRunIndex, uri: vscode.Uri | undefined): Promise<void> {
    if (uri == null || uri.scheme !== "file") {
        void vscode.window.showInformationMessage(vscode.l10n.t("Open an eval set saved as a file first."));
        return;
    }
    const all = await runs.runsOf(uri.fsPath);
    if (all.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t("{0} has no evaluation run yet: run \"BELLE: Run Evaluation\" on it first.", path.basename(uri.fsPath)));
        return;
    }
    const current = (await runs.scoresOf(uri.fsPath))?.run.runFilePath;
    const picked = await vscode.window.showQuickPick(all.map((run) => ({
        label: `${run.runFilePath === current ? "$(check) " : ""}${run.header.model}`,
        description: run.header.createdAt,
        detail: `${vscode.l10n.t("judge: {0}", run.header.judge)} · ${path.basename(run.runFilePath)}`,
        runFilePath: run.runFilePath
    })), {title: vscode.l10n.t("Scores of which run?")});
    if (picked != null) await runs.selectRun(uri.fsPath, picked.runFilePath);
}
