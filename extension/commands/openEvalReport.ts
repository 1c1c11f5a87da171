import fs from "node:fs/promises";
import * as vscode from "vscode";
import {readEvalRunFile} from "../../server/eval/EvalRunFile";
import {compareEvalRuns} from "../../server/eval/report/compareEvalRuns";
import {computeEvalReport} from "../../server/eval/report/computeEvalReport";
import {exportEvalReportMarkdown, exportEvalRunCsv} from "../../server/eval/report/exportEvalReport";

/**
 * Writes the report of one run (or the comparison of several) as Markdown beside the first run file, with the
 * per-item CSV, and opens its preview. Files are written to a temporary name and renamed.
 */
export async function openEvalReport(runFilePaths: string[]): Promise<void> {
    const runs = await Promise.all(runFilePaths.map((runFilePath) => readEvalRunFile(runFilePath)));
    const report = runs.length === 1 ? computeEvalReport(runs[0]!) : compareEvalRuns(runs);
    const base = runFilePaths[0]!.replace(/\.jsonl$/i, "");
    const markdownPath = `${base}${runs.length === 1 ? "" : "-comparison"}.report.md`;
    await writeAtomically(markdownPath, exportEvalReportMarkdown(report));
    if (runs.length === 1) await writeAtomically(`${base}.items.csv`, exportEvalRunCsv(runs[0]!.records));
    await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.file(markdownPath));
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

async function writeAtomically(filePath: string, text: string): Promise<void> {
    const tempPath = `${filePath}.${process.pid}.tmp`;
    await fs.writeFile(tempPath, text, "utf8");
    await fs.rename(tempPath, filePath);
}
