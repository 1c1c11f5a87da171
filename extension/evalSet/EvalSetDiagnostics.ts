import * as vscode from "vscode";
import {findItemProblems, type ItemProblem} from "../../server/eval/annotation/findItemProblems";
import {NearDuplicateIndex} from "../../server/eval/annotation/findNearDuplicates";
import type {EvalSetDiagnostic} from "../../server/eval/EvalSetDiagnostic";
import type {EvalRunIndex} from "../annotation/EvalRunIndex";
import {type EvalSetDocuments, type ParsedEvalSet} from "../annotation/EvalSetDocuments";
import {evalItemKey} from "../../server/eval/runEvalJob";
import {localizeItemProblem} from "./itemProblemMessages";
import {localizeEvalSetDiagnostic} from "./evalSetMessages";

export const evalSetDiagnosticCollectionName = "belle-eval-set";

/** Near-duplicates are looked for this long after the questions last changed, off the typing path. */
const nearDuplicateDelayMs = 1000;
/** Longest stretch of the near-duplicate scan between two turns of the event loop. */
const sliceMs = 15;

type NearDuplicateCache = {questionsKey: string, pairs: Array<{first: number, second: number, similarity: number}>};

/**
 * Problems of open eval-set documents in the Problems view, in VS Code's display language: the parser's (syntax,
 * missing fields, unknown classes, duplicates) at once with each parse, and the curator's (`findItemProblems`:
 * a missing standard answer, near-duplicate questions, judge–human disagreement on the selected run) as their
 * inputs arrive. Near-duplicates are recomputed only when the questions changed, a second after they did.
 */
export class EvalSetDiagnostics implements vscode.Disposable {
    private readonly _collection = vscode.languages.createDiagnosticCollection(evalSetDiagnosticCollectionName);
    private readonly _nearDuplicates = new Map<string, NearDuplicateCache>();
    private readonly _nearDuplicateTimers = new Map<string, NodeJS.Timeout>();
    private readonly _nearDuplicateGenerations = new Map<string, number>();
    private readonly _disposables: vscode.Disposable[];

    public constructor(private readonly _documents: EvalSetDocuments, private readonly _runs: EvalRunIndex) {
        this._disposables = [
            this._collection,
            _documents.onDidParse((parsed) => {
                this._publish(parsed);
                this._scheduleNearDuplicates(parsed);
            }),
            _documents.onDidForget((uri) => this._forget(uri)),
            _runs.onDidChange(() => {
                for (const parsed of this._documents.all()) this._publish(parsed);
            })
        ];
        for (const parsed of _documents.all()) {
            this._publish(parsed);
            this._scheduleNearDuplicates(parsed);
        }
    }

    public dispose(): void {
        for (const timer of this._nearDuplicateTimers.values()) clearTimeout(timer);
        for (const disposable of this._disposables) disposable.dispose();
    }

    private _publish(parsed: ParsedEvalSet): void {
        const uri = parsed.document.uri;
        const key = uri.toString();
        const scores = uri.scheme === "file" ? this._runs.peekScores(uri.fsPath) ?? null : null;
        const cache = this._nearDuplicates.get(key);
        const positionOfIndex = new Map(parsed.items.map((item, position) => [item.index, position]));
        const nearDuplicates = (cache?.pairs ?? []).flatMap((pair) => {
            const first = positionOfIndex.get(pair.first);
            const second = positionOfIndex.get(pair.second);
            return first == null || second == null ? [] : [{first, second, similarity: pair.similarity}];
        });
        const problems = findItemProblems(parsed.items, {
            nearDuplicates,
            annotationOf: (item) => parsed.annotationOf(item),
            ...(scores == null ? {} : {recordOf: (item) => scores.recordOf(evalItemKey(item), item.question)})
        });
        this._collection.set(uri, [
            ...parsed.result.diagnostics.map((diagnostic) => toVscodeDiagnostic(diagnostic, uri)),
            ...problems.map((problem) => itemProblemDiagnostic(problem, parsed.document))
        ]);
    }

    private _scheduleNearDuplicates(parsed: ParsedEvalSet): void {
        const key = parsed.document.uri.toString();
        const questionsKey = parsed.items.map((item) => item.question).join("\u0000");
        if (this._nearDuplicates.get(key)?.questionsKey === questionsKey) return;
        clearTimeout(this._nearDuplicateTimers.get(key));
        const generation = (this._nearDuplicateGenerations.get(key) ?? 0) + 1;
        this._nearDuplicateGenerations.set(key, generation);
        this._nearDuplicateTimers.set(key, setTimeout(() => {
            this._nearDuplicateTimers.delete(key);
            void this._findNearDuplicates(key, questionsKey, generation);
        }, nearDuplicateDelayMs));
    }

    /**
     * The near-duplicate scan, in slices of about `sliceMs` with the event loop free in between, so the extension
     * host keeps answering (a 10,000-item templated set takes ~0.7 s in all). A newer parse of the document stops it.
     */
    private async _findNearDuplicates(key: string, questionsKey: string, generation: number): Promise<void> {
        const parsed = this._documents.all().find((candidate) => candidate.document.uri.toString() === key);
        if (parsed == null || !parsed.isCurrent) return; // a newer parse schedules its own
        const items = parsed.items;
        const index = new NearDuplicateIndex();
        const pairs: NearDuplicateCache["pairs"] = [];
        let sliceStart = performance.now();
        for (let position = 0; position < items.length; position++) {
            const match = index.add(items[position]!.question);
            if (match != null) pairs.push({first: items[match.index]!.index, second: items[position]!.index, similarity: match.similarity});
            if (performance.now() - sliceStart > sliceMs) {
                await new Promise((resolve) => setImmediate(resolve));
                if (this._nearDuplicateGenerations.get(key) !== generation) return;
                sliceStart = performance.now();
            }
        }
        this._nearDuplicates.set(key, {questionsKey, pairs});
        const current = this._documents.all().find((candidate) => candidate.document.uri.toString() === key);
        if (current != null) this._publish(current);
    }

    private _forget(uri: vscode.Uri): void {
        const key = uri.toString();
        clearTimeout(this._nearDuplicateTimers.get(key));
        this._nearDuplicateTimers.delete(key);
        this._nearDuplicates.delete(key);
        this._nearDuplicateGenerations.delete(key);
        this._collection.delete(uri);
    }
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

function itemProblemDiagnostic(problem: ItemProblem, document: vscode.TextDocument): vscode.Diagnostic {
    const {uri} = document;
    const {range: itemRange} = problem.item;
    // On the item's first line, from where the item starts: one squiggle per item, not one over a long JSON array item
    const line = Math.min(itemRange.line - 1, document.lineCount - 1);
    const range = new vscode.Range(line, itemRange.column - 1, line,
        itemRange.line === itemRange.endLine ? itemRange.endColumn - 1 : document.lineAt(line).range.end.character);
    const severity = problem.code === "judge_human_disagreement" ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Warning;
    const result = new vscode.Diagnostic(range, localizeItemProblem(problem, vscode.l10n), severity);
    result.source = "BELLE";
    result.code = problem.code;
    if (problem.code === "near_duplicate_question")
        result.relatedInformation = [new vscode.DiagnosticRelatedInformation(
            new vscode.Location(uri, new vscode.Position(problem.other.range.line - 1, problem.other.range.column - 1)),
            vscode.l10n.t("The similar question")
        )];
    return result;
}
