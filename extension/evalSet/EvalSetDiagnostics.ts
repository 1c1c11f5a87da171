import * as vscode from "vscode";
import type {EvalSetDiagnostic} from "../../server/eval/EvalSetDiagnostic";
import {parseEvalSet} from "../../server/eval/readEvalSet";
import {localizeEvalSetDiagnostic} from "./evalSetMessages";
import {evalSetSniffChars, looksLikeEvalSet} from "./looksLikeEvalSet";

export const evalSetDiagnosticCollectionName = "belle-eval-set";
export const defaultEvalSetGlobs: readonly string[] = ["**/eval_set*.json", "**/*eval*.jsonl"];

/** Editors of other schemes (a diff's `git:` side, say) show the same file again: its problems are listed once. */
const checkedSchemes: ReadonlySet<string> = new Set(["file", "untitled"]);
const jsonFile = /\.jsonl?$/i;
const jsonLanguages: ReadonlySet<string> = new Set(["json", "jsonl"]);
/** BELLE's own files (run files such as `.belle/runs/eval_set-….jsonl`, judge prompts), which the globs may match. */
const belleFolder = /(^|\/)\.belle\//;

/**
 * Problems of open eval-set documents in the Problems view, in VS Code's display language. A document is an eval
 * set when a `belle.evalSetGlobs` pattern matches it, or when it is JSON whose first item looks like one
 * (`looksLikeEvalSet`); once it is, it stays one until it is closed, so breaking its first line does not hide its
 * problems. The document's text is parsed, never the file on disk: on open, then 300 ms after the last change.
 */
export class EvalSetDiagnostics implements vscode.Disposable {
    private readonly _collection = vscode.languages.createDiagnosticCollection(evalSetDiagnosticCollectionName);
    /** URIs (as strings) of the open documents known to be eval sets. */
    private readonly _evalSets = new Set<string>();
    private readonly _pendingUpdates = new Map<string, NodeJS.Timeout>();
    private readonly _disposables: vscode.Disposable[];

    public constructor(private readonly _debounceMs = 300) {
        this._disposables = [
            this._collection,
            vscode.workspace.onDidOpenTextDocument((document) => this._update(document)),
            vscode.workspace.onDidChangeTextDocument((event) => {
                if (event.contentChanges.length > 0) this._scheduleUpdate(event.document);
            }),
            vscode.workspace.onDidCloseTextDocument((document) => this._forget(document.uri)),
            vscode.workspace.onDidChangeConfiguration((event) => {
                if (event.affectsConfiguration("belle.evalSetGlobs")) this._recheckAll();
            })
        ];
        // Activation may come from opening one of them
        for (const document of vscode.workspace.textDocuments) this._update(document);
    }

    public dispose(): void {
        for (const timer of this._pendingUpdates.values()) clearTimeout(timer);
        this._pendingUpdates.clear();
        for (const disposable of this._disposables) disposable.dispose();
    }

    private _scheduleUpdate(document: vscode.TextDocument): void {
        const key = document.uri.toString();
        clearTimeout(this._pendingUpdates.get(key));
        this._pendingUpdates.set(key, setTimeout(() => {
            this._pendingUpdates.delete(key);
            if (!document.isClosed) this._update(document);
        }, this._debounceMs));
    }

    private _update(document: vscode.TextDocument): void {
        const key = document.uri.toString();
        if (!this._evalSets.has(key)) {
            if (!isEvalSet(document)) return;
            this._evalSets.add(key);
        }
        const {diagnostics} = parseEvalSet(document.getText(), {filePath: document.uri.fsPath});
        this._collection.set(document.uri, diagnostics.map((diagnostic) => toVscodeDiagnostic(diagnostic, document.uri)));
    }

    private _forget(uri: vscode.Uri): void {
        const key = uri.toString();
        clearTimeout(this._pendingUpdates.get(key));
        this._pendingUpdates.delete(key);
        this._evalSets.delete(key);
        this._collection.delete(uri);
    }

    private _recheckAll(): void {
        for (const document of vscode.workspace.textDocuments) {
            this._forget(document.uri);
            this._update(document);
        }
    }
}

function isEvalSet(document: vscode.TextDocument): boolean {
    if (!checkedSchemes.has(document.uri.scheme) || belleFolder.test(document.uri.path)) return false;
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    const matches = (glob: string) => vscode.languages.match({pattern: glob}, document) > 0
        || (folder != null && vscode.languages.match({pattern: new vscode.RelativePattern(folder, glob)}, document) > 0);
    if (readEvalSetGlobs(document.uri).some(matches)) return true;
    if (!jsonFile.test(document.uri.path) && !jsonLanguages.has(document.languageId)) return false;
    const head = document.getText(new vscode.Range(new vscode.Position(0, 0), document.positionAt(evalSetSniffChars)));
    return looksLikeEvalSet(head);
}

// `belle.evalSetGlobs` for the document's folder, entries that are not non-empty strings left out. A pattern matches
// the absolute path ("**/eval_set*.json") or the path relative to the workspace folder ("data/*.jsonl").
function readEvalSetGlobs(scope: vscode.Uri): readonly string[] {
    const value = vscode.workspace.getConfiguration("belle", scope).get<unknown>("evalSetGlobs");
    if (!Array.isArray(value)) return defaultEvalSetGlobs;
    return value.filter((pattern): pattern is string => typeof pattern === "string" && pattern.trim() !== "");
}

function toVscodeDiagnostic(diagnostic: EvalSetDiagnostic, uri: vscode.Uri): vscode.Diagnostic {
    // The engine's positions are 1-based, in UTF-16 code units as VS Code's are, the end exclusive as VS Code's is
    const range = new vscode.Range(diagnostic.line - 1, diagnostic.column - 1, diagnostic.endLine - 1, diagnostic.endColumn - 1);
    const severity = diagnostic.severity === "error" ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
    const result = new vscode.Diagnostic(range, localizeEvalSetDiagnostic(diagnostic, vscode.l10n), severity);
    result.source = "BELLE";
    result.code = diagnostic.code;
    const firstLine = diagnostic.args.firstLine;
    if (diagnostic.code === "duplicate_question" && typeof firstLine === "number")
        result.relatedInformation = [new vscode.DiagnosticRelatedInformation(
            new vscode.Location(uri, new vscode.Position(firstLine - 1, 0)), vscode.l10n.t("The first item with this question")
        )];
    return result;
}
