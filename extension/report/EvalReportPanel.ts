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
    isReportToExtensionMessage, type ExportFormat, type ExportResult, type ExtensionToReportMessage
} from "../../webview/protocol/reportProtocol";

export const evalReportViewType = "belle.evalReport";

export type EvalReportPanelInput = {
    report: EvalReport | EvalComparison,
    /** Each run's records, the baseline first. */
    records: EvalRunRecord[][],
    runFilePaths: string[]
};

/**
 * The evaluation report in a webview panel. Posts nothing before the webview's `ready`; then sends `report/show`
 * (again on every `ready`, so a reload gets it too). Export requests write files beside the first run file.
 */
export class EvalReportPanel implements vscode.Disposable {
    private readonly _disposables: vscode.Disposable[] = [];

    private constructor(private readonly _panel: vscode.WebviewPanel, private readonly _extensionUri: vscode.Uri, private readonly _input: EvalReportPanelInput) {
        const webview = _panel.webview;
        webview.html = this._html(webview);
        this._disposables.push(
            webview.onDidReceiveMessage((message: unknown) => this._onMessage(message)),
            _panel.onDidDispose(() => this.dispose())
        );
    }

    public static open(extensionUri: vscode.Uri, input: EvalReportPanelInput): EvalReportPanel {
        const title = vscode.l10n.t(input.report.kind === "evalReport" ? "BELLE Evaluation Report" : "BELLE Evaluation Comparison");
        const panel = vscode.window.createWebviewPanel(evalReportViewType, title, vscode.ViewColumn.Active, {
            enableScripts: true,
            retainContextWhenHidden: true,
            localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist", "webview")]
        });
        return new EvalReportPanel(panel, extensionUri, input);
    }

    public dispose(): void {
        for (const disposable of this._disposables.splice(0)) disposable.dispose();
        this._panel.dispose();
    }

    private _post(message: ExtensionToReportMessage): void {
        void this._panel.webview.postMessage(message);
    }

    private _onMessage(message: unknown): void {
        if (!isReportToExtensionMessage(message)) return;
        if (message.method === "ready") {
            this._post({method: "report/show", params: {report: this._input.report, records: this._input.records, strings: translatedReportStrings()}});
            return;
        }
        const {requestId, format} = message.params;
        void this._export(format).then((result) => this._post({method: "report/exportResult", params: {requestId, result}}));
    }

    private async _export(format: ExportFormat): Promise<ExportResult> {
        try {
            const paths = await writeEvalReportExport(format, this._input);
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
            title: vscode.l10n.t(this._input.report.kind === "evalReport" ? "BELLE Evaluation Report" : "BELLE Evaluation Comparison")
        });
    }
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
