import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import type {EvalComparison} from "../../server/eval/report/compareEvalRuns";
import type {EvalReport} from "../../server/eval/report/computeEvalReport";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {exportEvalReportJson, exportEvalReportMarkdown, exportEvalRunCsv} from "../../server/eval/report/exportEvalReport";
import {reportStrings, type ReportStrings} from "../../webview/report/reportStrings";
import {buildReportHtml} from "../../webview/protocol/buildReportHtml";
import {
    isReportToExtensionMessage, type ExportFormat, type ExportResult, type ExtensionToReportMessage, type ReportPanelState
} from "../../webview/protocol/reportProtocol";
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
        this._disposables.push(
            webview.onDidReceiveMessage((message: unknown) => this._onMessage(message)),
            _panel.onDidDispose(() => this.dispose())
        );
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

    private _post(message: ExtensionToReportMessage): void {
        if (!this._disposed) void this._panel.webview.postMessage(message);
    }

    private _onMessage(message: unknown): void {
        if (!isReportToExtensionMessage(message)) return;
        if (message.method === "ready") {
            this._input.then(
                ({report, records, runFilePaths}) =>
                    this._post({method: "report/show", params: {report, records, runFilePaths, strings: translatedReportStrings()}}),
                (error: unknown) => this._post({method: "report/unavailable", params: {message: describeLoadFailure(error)}}));
            return;
        }
        const {requestId, format} = message.params;
        void this._export(format).then((result) => this._post({method: "report/exportResult", params: {requestId, result}}));
    }

    private async _export(format: ExportFormat): Promise<ExportResult> {
        try {
            const paths = await writeEvalReportExport(format, await this._input);
            const first = paths[0];
            if (first != null) {
                if (format === "md") await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.file(first));
                else await vscode.window.showTextDocument(vscode.Uri.file(first), {preview: true, viewColumn: vscode.ViewColumn.Beside});
            }
            return {ok: true, paths};
        } catch (error) {
            return {ok: false, error: (error as Error).message};
        }
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

/** reportStrings through `vscode.l10n.t`: the English text is the key of l10n/bundle.l10n.*.json. */
export function translatedReportStrings(): ReportStrings {
    return Object.fromEntries(Object.entries(reportStrings).map(([key, english]) => [key, vscode.l10n.t(english)])) as ReportStrings;
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
