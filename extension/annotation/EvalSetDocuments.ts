import fs from "node:fs";
import * as vscode from "vscode";
import {annotationSidecarPath, parseAnnotationSidecar, sidecarKey, type SidecarEntry} from "../../server/eval/annotation/AnnotationSidecar";
import {readEvalAnnotation, type EvalAnnotation} from "../../server/eval/annotation/EvalAnnotation";
import type {EvalItem} from "../../server/eval/EvalItem";
import {parseEvalSet, type EvalSetParseResult} from "../../server/eval/readEvalSet";
import {reparseJsonlLines} from "../../server/eval/reparseJsonlLines";
import {evalSetSniffChars, looksLikeEvalSet, looksLikeJsonLines} from "../evalSet/looksLikeEvalSet";

export const defaultEvalSetGlobs: readonly string[] = ["**/eval_set*.json", "**/*eval*.jsonl"];

/** Editors of other schemes (a diff's `git:` side, say) show the same file again: it is worked on once. */
const checkedSchemes: ReadonlySet<string> = new Set(["file", "untitled"]);
const jsonFile = /\.jsonl?$/i;
const jsonLanguages: ReadonlySet<string> = new Set(["json", "jsonl"]);
/** BELLE's own files (run files such as `.belle/runs/eval_set-….jsonl`, judge prompts), which the globs may match. */
const belleFolder = /(^|\/)\.belle\//;

/** An open eval-set document as last parsed: its items (with their ranges) and problems. */
export class ParsedEvalSet {
    private _itemStartLines: number[] | undefined;

    public constructor(
        public readonly document: vscode.TextDocument,
        /** The document version this parse is of. */
        public readonly version: number,
        public readonly result: EvalSetParseResult,
        /** How long the parse took, in ms. */
        public readonly parseMs: number,
        /** Whether only the edited lines were read again (`reparseJsonlLines`). */
        public readonly incremental = false,
        /** The annotations of the sidecar file beside the eval set, by `sidecarKey`; empty without one. */
        public readonly sidecar: ReadonlyMap<string, SidecarEntry> = new Map()
    ) {}

    /** The item's annotation: the sidecar's when it has one for the item, else the item's own. */
    public annotationOf(item: EvalItem): EvalAnnotation | null {
        return (this.sidecar.size === 0 ? undefined : this.sidecar.get(sidecarKey(item.question))?.annotation) ?? readEvalAnnotation(item.fields);
    }

    /** The same parse with the sidecar read again. */
    public withSidecar(sidecar: ReadonlyMap<string, SidecarEntry>): ParsedEvalSet {
        return new ParsedEvalSet(this.document, this.version, this.result, this.parseMs, this.incremental, sidecar);
    }

    public get items(): readonly EvalItem[] {
        return this.result.items;
    }

    public get isCurrent(): boolean {
        return !this.document.isClosed && this.document.version === this.version;
    }

    /** The valid item whose range holds the 0-based `line`, if any. */
    public itemAtLine(line: number): EvalItem | undefined {
        const items = this.result.items;
        const starts = this._itemStartLines ??= items.map((item) => item.range.line - 1);
        let low = 0;
        let high = starts.length - 1;
        while (low <= high) {
            const middle = (low + high) >> 1;
            if (starts[middle]! <= line) low = middle + 1;
            else high = middle - 1;
        }
        const item = items[high];
        return item != null && item.range.endLine - 1 >= line ? item : undefined;
    }

    /** The items that start on 0-based lines `start` to `end` (exclusive), or that span `start`. */
    public itemsBetweenLines(start: number, end: number): readonly EvalItem[] {
        const items = this.result.items;
        const starts = this._itemStartLines ??= items.map((item) => item.range.line - 1);
        let low = 0;
        let high = starts.length;
        while (low < high) {
            const middle = (low + high) >> 1;
            if (starts[middle]! < start) low = middle + 1;
            else high = middle;
        }
        const first = low > 0 && items[low - 1]!.range.endLine - 1 >= start ? low - 1 : low;
        let last = first;
        while (last < items.length && starts[last]! < end) last++;
        return items.slice(first, last);
    }

    public itemByIndex(index: number): EvalItem | undefined {
        const items = this.result.items;
        // Items are in file order and their indices ascend, so the item is at or before position `index`
        for (let position = Math.min(index, items.length - 1); position >= 0; position--) {
            const item = items[position]!;
            if (item.index === index) return item;
            if (item.index < index) return undefined;
        }
        return undefined;
    }
}

/**
 * The open eval-set documents, each parsed from its text (never the file on disk) on open and `debounceMs` after the
 * last change; `get` parses at once when a feature asks for a document whose parse is out of date. A document is an
 * eval set when a `belle.evalSetGlobs` pattern matches it, or when it is JSON whose first item looks like one
 * (`looksLikeEvalSet`); once it is, it stays one until it is closed, so breaking its first line does not hide it.
 * The diagnostics, CodeLens, hover, quick fixes and tree view all read the same parse.
 */
export class EvalSetDocuments implements vscode.Disposable {
    private readonly _onDidParse = new vscode.EventEmitter<ParsedEvalSet>();
    /** A fresh parse of an eval set (on open, after edits, when it becomes one). */
    public readonly onDidParse = this._onDidParse.event;
    private readonly _onDidForget = new vscode.EventEmitter<vscode.Uri>();
    /** A document closed, or stopped being an eval set (a settings change). */
    public readonly onDidForget = this._onDidForget.event;
    private readonly _parsed = new Map<string, ParsedEvalSet>();
    private readonly _pendingUpdates = new Map<string, NodeJS.Timeout>();
    /** Per document, the 1-based lines edited since its last parse, or null once an edit added or removed a line. */
    private readonly _editedLines = new Map<string, Set<number> | null>();
    private readonly _disposables: vscode.Disposable[];

    public constructor(private readonly _debounceMs = 300) {
        this._disposables = [
            this._onDidParse, this._onDidForget,
            vscode.workspace.onDidOpenTextDocument((document) => this._update(document)),
            vscode.workspace.onDidChangeTextDocument((event) => {
                if (event.contentChanges.length > 0) this._sidecarChanged(event.document.uri);
                if (event.contentChanges.length === 0 || !this._parsed.has(event.document.uri.toString())) return;
                this._noteEditedLines(event);
                this._scheduleUpdate(event.document);
            }),
            vscode.workspace.onDidCloseTextDocument((document) => this._forget(document.uri)),
            vscode.workspace.onDidChangeConfiguration((event) => {
                if (event.affectsConfiguration("belle.evalSetGlobs")) this._recheckAll();
            })
        ];
    }

    /** Sidecars (`*.annotations.jsonl`) written on disk by something other than an open editor. */
    private readonly _sidecarWatcher = vscode.workspace.createFileSystemWatcher("**/*.annotations.jsonl");

    /** Looks at the documents open now; call once the listeners are in place (activation may come from one of them). */
    public start(): void {
        const changed = (uri: vscode.Uri) => this._sidecarChanged(uri);
        this._disposables.push(this._sidecarWatcher, this._sidecarWatcher.onDidChange(changed), this._sidecarWatcher.onDidCreate(changed),
            this._sidecarWatcher.onDidDelete(changed));
        for (const document of vscode.workspace.textDocuments) this._update(document);
    }

    /** The annotations of the eval set's sidecar: the open editor's text if it is open, else the file; none without one. */
    private _readSidecar(document: vscode.TextDocument): ReadonlyMap<string, SidecarEntry> {
        if (document.uri.scheme !== "file") return new Map();
        const sidecarPath = annotationSidecarPath(document.uri.fsPath);
        const open = vscode.workspace.textDocuments.find((candidate) => candidate.uri.scheme === "file" && candidate.uri.fsPath === sidecarPath);
        if (open != null) return parseAnnotationSidecar(open.getText());
        try {
            return parseAnnotationSidecar(fs.readFileSync(sidecarPath, "utf8"));
        } catch {
            return new Map(); // no sidecar
        }
    }

    /** A sidecar changed (typed in, saved, written, deleted): its eval set's annotations are read again. */
    private _sidecarChanged(uri: vscode.Uri): void {
        if (uri.scheme !== "file" || !uri.fsPath.endsWith(".annotations.jsonl")) return;
        for (const [key, parsed] of this._parsed) {
            if (parsed.document.uri.scheme !== "file" || annotationSidecarPath(parsed.document.uri.fsPath) !== uri.fsPath) continue;
            const updated = parsed.withSidecar(this._readSidecar(parsed.document));
            this._parsed.set(key, updated);
            this._onDidParse.fire(updated);
        }
    }

    public dispose(): void {
        for (const timer of this._pendingUpdates.values()) clearTimeout(timer);
        this._pendingUpdates.clear();
        for (const disposable of this._disposables) disposable.dispose();
    }

    /** The document's current parse, parsing now if it is out of date; undefined when it is not an eval set. */
    public get(document: vscode.TextDocument): ParsedEvalSet | undefined {
        const key = document.uri.toString();
        const parsed = this._parsed.get(key);
        if (parsed === undefined) {
            if (!isEvalSetDocument(document)) return undefined;
            return this._parse(document);
        }
        if (parsed.version === document.version) return parsed;
        clearTimeout(this._pendingUpdates.get(key));
        this._pendingUpdates.delete(key);
        return this._parse(document);
    }

    /** The last parse of every open eval set (possibly a few hundred ms behind the text while someone types). */
    public all(): ParsedEvalSet[] {
        return [...this._parsed.values()];
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
        if (!this._parsed.has(key) && !isEvalSetDocument(document)) return;
        if (!this._parsed.has(key) && document.languageId === "json" && looksLikeJsonLines(document.getText(
            new vscode.Range(new vscode.Position(0, 0), document.positionAt(evalSetSniffChars))))) {
            // An eval set in JSON Lines under a .json name (BELLE's own eval_set.json): JSON would flag every line
            // after the first. VS Code reopens the document in the new language, and this runs again for it.
            void vscode.languages.setTextDocumentLanguage(document, "jsonl");
            return;
        }
        const parsed = this._parsed.get(key);
        if (parsed != null && parsed.version === document.version) return;
        this._parse(document);
    }

    private _noteEditedLines(event: vscode.TextDocumentChangeEvent): void {
        const key = event.document.uri.toString();
        let lines = this._editedLines.get(key);
        if (lines === null) return;
        lines ??= new Set();
        for (const change of event.contentChanges) {
            if (change.range.start.line !== change.range.end.line || /[\r\n]/.test(change.text)) {
                this._editedLines.set(key, null);
                return;
            }
            lines.add(change.range.start.line + 1);
        }
        this._editedLines.set(key, lines);
    }

    private _parse(document: vscode.TextDocument): ParsedEvalSet {
        const key = document.uri.toString();
        const started = performance.now();
        const previous = this._parsed.get(key);
        const editedLines = this._editedLines.get(key);
        this._editedLines.delete(key);
        // Typing within lines of a JSONL set: only those lines are read again
        const incremental = previous != null && editedLines != null && editedLines.size > 0
            ? reparseJsonlLines(previous.result, (line) => document.lineAt(line - 1).text, editedLines)
            : null;
        const result = incremental ?? parseEvalSet(document.getText(), {filePath: document.uri.fsPath});
        const parsed = new ParsedEvalSet(document, document.version, result, performance.now() - started, incremental != null,
            previous?.sidecar ?? this._readSidecar(document));
        this._parsed.set(key, parsed);
        this._onDidParse.fire(parsed);
        return parsed;
    }

    private _forget(uri: vscode.Uri): void {
        const key = uri.toString();
        clearTimeout(this._pendingUpdates.get(key));
        this._pendingUpdates.delete(key);
        this._editedLines.delete(key);
        if (this._parsed.delete(key)) this._onDidForget.fire(uri);
    }

    private _recheckAll(): void {
        for (const document of vscode.workspace.textDocuments) {
            this._forget(document.uri);
            this._update(document);
        }
    }
}

/** Whether a document is an eval set by the `belle.evalSetGlobs` setting or by its first item. */
export function isEvalSetDocument(document: vscode.TextDocument): boolean {
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
