import * as vscode from "vscode";
import {evalItemKey} from "../../server/eval/runEvalJob";
import {commandIds} from "../commandIds";
import type {EvalRunIndex} from "./EvalRunIndex";
import type {EvalSetDocuments} from "./EvalSetDocuments";

/**
 * A line above every item of an open eval set: its class and the selected run's score (click: pick another run),
 * then "Evaluate" and "Annotate". The lenses are built from the current parse; their titles are filled in only for
 * the ones on screen (`resolveCodeLens`), so a 10,000-item file costs one pass over the items.
 */
export class EvalSetCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
    private readonly _onDidChangeCodeLenses = new vscode.EventEmitter<void>();
    public readonly onDidChangeCodeLenses = this._onDidChangeCodeLenses.event;
    private readonly _disposables: vscode.Disposable[];
    private readonly _lensItems = new WeakMap<vscode.CodeLens, {uri: vscode.Uri, itemIndex: number, kind: "score" | "evaluate" | "annotate"}>();

    public constructor(private readonly _documents: EvalSetDocuments, private readonly _runs: EvalRunIndex) {
        this._disposables = [
            this._onDidChangeCodeLenses,
            _runs.onDidChange(() => this._onDidChangeCodeLenses.fire()),
            _documents.onDidParse(() => this._onDidChangeCodeLenses.fire())
        ];
    }

    public dispose(): void {
        for (const disposable of this._disposables) disposable.dispose();
    }

    public provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
        const parsed = this._documents.get(document);
        if (parsed == null) return [];
        const lenses: vscode.CodeLens[] = [];
        for (const item of parsed.items) {
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
