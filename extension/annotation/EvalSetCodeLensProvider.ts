import * as vscode from "vscode";
import {evalItemKey} from "../../server/eval/runEvalJob";
import {commandIds} from "../commandIds";
import type {EvalRunIndex} from "./EvalRunIndex";
import type {EvalSetDocuments} from "./EvalSetDocuments";

/** Lines above and below what an editor shows that get their lenses too, so scrolling rarely outruns them. */
const marginLines = 300;
/** The lenses of a document no editor shows (asked for by a command): its first lines. */
const hiddenDocumentLines = 2 * marginLines;

/**
 * A line above every item of an open eval set: its class and the selected run's score (click: pick another run),
 * then "Evaluate" and "Annotate". Only the items on screen and `marginLines` around it get lenses, and the window
 * follows scrolling: VS Code moves every lens of a document through its own pipeline on each request, so 30,000
 * lenses for a 10,000-item set took over a second where the few hundred near the viewport take milliseconds.
 * Titles are filled in only for the lenses on screen (`resolveCodeLens`).
 */
export class EvalSetCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
    private readonly _onDidChangeCodeLenses = new vscode.EventEmitter<void>();
    public readonly onDidChangeCodeLenses = this._onDidChangeCodeLenses.event;
    private readonly _disposables: vscode.Disposable[];
    private readonly _lensItems = new WeakMap<vscode.CodeLens, {uri: vscode.Uri, itemIndex: number, kind: "score" | "evaluate" | "annotate"}>();
    /** Per document, the lines (0-based, end exclusive) whose items got lenses at the last request. */
    private readonly _servedWindows = new Map<string, {start: number, end: number}>();
    private _scrollTimer: NodeJS.Timeout | undefined;

    public constructor(private readonly _documents: EvalSetDocuments, private readonly _runs: EvalRunIndex) {
        this._disposables = [
            this._onDidChangeCodeLenses,
            _runs.onDidChange(() => this._onDidChangeCodeLenses.fire()),
            _documents.onDidParse(() => this._onDidChangeCodeLenses.fire()),
            _documents.onDidForget((uri) => this._servedWindows.delete(uri.toString())),
            vscode.window.onDidChangeTextEditorVisibleRanges((event) => this._followScroll(event.textEditor))
        ];
    }

    public dispose(): void {
        clearTimeout(this._scrollTimer);
        for (const disposable of this._disposables) disposable.dispose();
    }

    public provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
        const parsed = this._documents.get(document);
        if (parsed == null) return [];
        const window = lensWindow(document);
        this._servedWindows.set(document.uri.toString(), window);
        const lenses: vscode.CodeLens[] = [];
        for (const item of parsed.itemsBetweenLines(window.start, window.end)) {
            const line = item.range.line - 1;
            const range = new vscode.Range(line, 0, line, 0);
            for (const kind of ["score", "evaluate", "annotate"] as const) {
                const lens = new vscode.CodeLens(range);
                this._lensItems.set(lens, {uri: document.uri, itemIndex: item.index, kind});
                lenses.push(lens);
            }
        }
        return lenses;
    }

    /** Asks VS Code for lenses again when an editor scrolled near the edge of the lines that have them. */
    private _followScroll(editor: vscode.TextEditor): void {
        const served = this._servedWindows.get(editor.document.uri.toString());
        if (served == null) return;
        const visible = visibleLines(editor);
        const nearEdge = (visible.start - served.start < marginLines / 2 && served.start > 0)
            || (served.end - visible.end < marginLines / 2 && served.end < editor.document.lineCount);
        if (!nearEdge) return;
        clearTimeout(this._scrollTimer);
        this._scrollTimer = setTimeout(() => this._onDidChangeCodeLenses.fire(), 100);
    }

    public resolveCodeLens(lens: vscode.CodeLens): vscode.CodeLens {
        const target = this._lensItems.get(lens);
        if (target == null) return lens;
        const {uri, itemIndex, kind} = target;
        switch (kind) {
            case "evaluate":
                lens.command = {title: `$(play) ${vscode.l10n.t("Evaluate")}`, command: commandIds.evaluateItem, arguments: [uri, itemIndex],
                    tooltip: vscode.l10n.t("Send the question to the model; the judge scores the answer")};
                break;
            case "annotate":
                lens.command = {title: `$(edit) ${vscode.l10n.t("Annotate")}`, command: commandIds.annotateItem, arguments: [uri, itemIndex],
                    tooltip: vscode.l10n.t("Set the class, rate the answer, edit the standard answer, add a note or the difficulty")};
                break;
            case "score": {
                const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
                const item = document == null ? undefined : this._documents.get(document)?.itemByIndex(itemIndex);
                const scores = uri.scheme === "file" ? this._runs.peekScores(uri.fsPath) : null;
                const record = item == null ? undefined : scores?.recordOf(evalItemKey(item), item.question);
                const score = record == null ? vscode.l10n.t("not evaluated")
                    : typeof record.score === "number" ? vscode.l10n.t("score {0}", record.score)
                    : vscode.l10n.t("failed");
                lens.command = {
                    title: `${item?.className ?? ""} · ${score}`, command: commandIds.selectEvalRun, arguments: [uri],
                    tooltip: scores == null ? vscode.l10n.t("No evaluation run of this eval set yet")
                        : vscode.l10n.t("Scores of the run of {0} ({1}); click to show another run", scores.run.header.model, scores.run.header.createdAt)
                };
                break;
            }
        }
        return lens;
    }
}

/** The lines every editor of the document shows, widened by the margin; the first lines when none shows it. */
function lensWindow(document: vscode.TextDocument): {start: number, end: number} {
    const editors = vscode.window.visibleTextEditors.filter((editor) => editor.document === document);
    if (editors.length === 0) return {start: 0, end: Math.min(document.lineCount, hiddenDocumentLines)};
    const shown = editors.map(visibleLines);
    return {
        start: Math.max(0, Math.min(...shown.map((range) => range.start)) - marginLines),
        end: Math.min(document.lineCount, Math.max(...shown.map((range) => range.end)) + marginLines)
    };
}

function visibleLines(editor: vscode.TextEditor): {start: number, end: number} {
    const ranges = editor.visibleRanges.length > 0 ? editor.visibleRanges : [new vscode.Range(editor.selection.active, editor.selection.active)];
    return {start: Math.min(...ranges.map((range) => range.start.line)), end: Math.max(...ranges.map((range) => range.end.line)) + 1};
}
