import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import type {EvalComparison} from "../../server/eval/report/compareEvalRuns";
import type {EvalReport} from "../../server/eval/report/computeEvalReport";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {exportEvalReportJson, exportEvalReportMarkdown, exportEvalRunCsv} from "../../server/eval/report/exportEvalReport";
import {reportStrings} from "../../webview/report/reportStrings";
import {buildReportHtml} from "../../webview/protocol/buildReportHtml";
import {reportNotifications, reportProtocol, reportRequests, type ExportFormat, type ReportPanelState} from "../../webview/protocol/reportProtocol";
import {translateStrings} from "../l10n/translateStrings";
import {WebviewMessageDispatcher} from "../webviews/WebviewMessageDispatcher";
import {loadEvalReportInput} from "./loadEvalReportInput";

export const evalReportViewType = "belle.evalReport";

export type EvalReportPanelInput = {
    report: EvalReport | EvalComparison,
    /** Each run's records, the baseline first. */
    records: EvalRunRecord[][],
    runFilePaths: string[]
};

/**
 * The evaluation report in a webview panel. Posts nothing before the webview's `ready`; then sends `report/show`
 * (again on every `ready`, so a reload gets it too), or `report/unavailable` when a restored panel's run files
 * cannot be read. Export requests write files beside the first run file.
 */
export class EvalReportPanel implements vscode.Disposable {
    private readonly _disposables: vscode.Disposable[] = [];
    private _disposed = false;

    /** `_input` settles once: at once for a panel the command opened, after reading the files for a restored one. */
    private constructor(private readonly _panel: vscode.WebviewPanel, private readonly _extensionUri: vscode.Uri,
        private readonly _input: Promise<EvalReportPanelInput>, private readonly _runCount: number) {
        // A restored panel whose files are gone must not leave an unhandled rejection behind; `ready` reports it
        _input.catch(() => undefined);
        const webview = _panel.webview;
        webview.html = this._html(webview);
        const messages = new WebviewMessageDispatcher(webview, reportProtocol);
        // Sent again on every `ready`, so a reload gets it too
        messages.onReady(async (_params, post) => {
            try {
                const {report, records, runFilePaths} = await this._input;
                post(reportNotifications.show, {report, records, runFilePaths, strings: translateStrings(reportStrings)});
            } catch (error) {
                post(reportNotifications.unavailable, {message: describeLoadFailure(error)});
            }
        });
        messages.onRequest(reportRequests.export, ({format}) => this._export(format));
        this._disposables.push(messages, _panel.onDidDispose(() => this.dispose()));
    }

    public static open(extensionUri: vscode.Uri, input: EvalReportPanelInput): EvalReportPanel {
        const panel = vscode.window.createWebviewPanel(evalReportViewType, reportTitle(input.runFilePaths.length), vscode.ViewColumn.Active, {
            enableScripts: true,
            retainContextWhenHidden: true,
            localResourceRoots: reportResourceRoots(extensionUri)
        });
        return new EvalReportPanel(panel, extensionUri, Promise.resolve(input), input.runFilePaths.length);
    }

    /**
     * Takes over a panel VS Code kept across a window reload and shows the report again, read afresh from the run
     * files its webview saved (`state` is null when it saved none usable).
     */
    public static restore(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: ReportPanelState | null): EvalReportPanel {
        panel.webview.options = {enableScripts: true, localResourceRoots: reportResourceRoots(extensionUri)};
        const input = state == null ? Promise.reject(new UnrestorableReportError()) : loadEvalReportInput(state.runFilePaths);
        return new EvalReportPanel(panel, extensionUri, input, state?.runFilePaths.length ?? 1);
    }

    public dispose(): void {
        this._disposed = true;
        for (const disposable of this._disposables.splice(0)) disposable.dispose();
        this._panel.dispose();
    }

    /** Writes the export and shows it; a failure becomes the request's error response. */
    private async _export(format: ExportFormat): Promise<{paths: string[]}> {
        const paths = await writeEvalReportExport(format, await this._input);
        const first = paths[0];
        if (first != null) {
            if (format === "md") await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.file(first));
            else await vscode.window.showTextDocument(vscode.Uri.file(first), {preview: true, viewColumn: vscode.ViewColumn.Beside});
        }
        return {paths};
    }

    private _html(webview: vscode.Webview): string {
        const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(this._extensionUri, "dist", "webview", file)).toString();
        return buildReportHtml({
            cspSource: webview.cspSource,
            nonce: crypto.randomBytes(16).toString("base64"),
            scriptUri: asset("report.js"),
            styleUri: asset("report.css"),
            lang: vscode.env.language,
            title: reportTitle(this._runCount)
        });
    }
}

/** A restored panel whose webview saved no run files (it was reloaded before its report arrived). */
class UnrestorableReportError extends Error {
    public constructor() {
        super("the report panel saved no run files");
        this.name = "UnrestorableReportError";
    }
}

/** The user's message for a restored panel that cannot show its report. */
function describeLoadFailure(error: unknown): string {
    if (error instanceof UnrestorableReportError)
        return vscode.l10n.t("This report did not record which run files it showed. Open it again with BELLE: Open Evaluation Report.");
    const {code, path: missingPath} = error as NodeJS.ErrnoException;
    if (code === "ENOENT" && missingPath != null)
        return vscode.l10n.t("The run file {0} no longer exists, so this report cannot be shown. Open the report again with BELLE: Open Evaluation Report.", missingPath);
    return vscode.l10n.t("This report cannot be shown: {0}", (error as Error).message);
}

function reportTitle(runCount: number): string {
    return vscode.l10n.t(runCount === 1 ? "BELLE Evaluation Report" : "BELLE Evaluation Comparison");
}

function reportResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
    return [vscode.Uri.joinPath(extensionUri, "dist", "webview")];
}

/**
 * Writes one export beside the first run file: `<run>.report.md` / `<run>-comparison.report.md`, `.report.json`,
 * and a per-item CSV for each run (`<run>.items.csv`). Each through a temporary file and a rename.
 */
export async function writeEvalReportExport(format: ExportFormat, {report, records, runFilePaths}: EvalReportPanelInput): Promise<string[]> {
    const baseOf = (runFilePath: string) => runFilePath.replace(/\.jsonl$/i, "");
    const base = `${baseOf(runFilePaths[0]!)}${report.kind === "evalReport" ? "" : "-comparison"}`;
    if (format === "md") {
        await writeAtomically(`${base}.report.md`, exportEvalReportMarkdown(report));
        return [`${base}.report.md`];
    }
    if (format === "json") {
        await writeAtomically(`${base}.report.json`, exportEvalReportJson(report));
        return [`${base}.report.json`];
    }
    const paths: string[] = [];
    for (const [index, runFilePath] of runFilePaths.entries()) {
        const csvPath = `${baseOf(runFilePath)}.items.csv`;
        await writeAtomically(csvPath, exportEvalRunCsv(records[index] ?? []));
        paths.push(csvPath);
    }
    return paths;
}

async function writeAtomically(filePath: string, text: string): Promise<void> {
    const tempPath = path.join(path.dirname(filePath), `.${path.basename(filePath)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
    try {
        await fs.writeFile(tempPath, text, "utf8");
        await fs.rename(tempPath, filePath);
    } catch (error) {
        await fs.rm(tempPath, {force: true});
        throw error;
    }
}
