import * as vscode from "vscode";
import {closestEvalClasses} from "../../server/eval/annotation/closestEvalClasses";
import type {SourceRange} from "../../server/eval/EvalSetDiagnostic";
import {commandIds} from "../commandIds";
import {buildEvalItemEdit, EvalItemEditError} from "./editEvalItem";
import type {EvalSetDocuments} from "./EvalSetDocuments";

const openEndedClasses = ["generation", "brainstorming", "rewrite"] as const;
const suggestedClassCount = 3;

/**
 * Quick fixes for the eval-set diagnostics. Fixes that need no input are WorkspaceEdits of the one field concerned
 * (a known class for an unknown one, an empty "std_answer" for a missing one, removing a duplicate line of a
 * JSONL file); the others open the annotate step that asks for the value (a standard answer, a new rating).
 */
export class EvalSetCodeActionProvider implements vscode.CodeActionProvider {
    public static readonly metadata: vscode.CodeActionProviderMetadata = {providedCodeActionKinds: [vscode.CodeActionKind.QuickFix]};

    public constructor(private readonly _documents: EvalSetDocuments) {}

    public provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
        const parsed = this._documents.get(document);
        if (parsed == null) return [];
        const actions: vscode.CodeAction[] = [];
        for (const diagnostic of context.diagnostics) {
            if (diagnostic.source !== "BELLE") continue;
            const line = diagnostic.range.start.line;
            const item = parsed.itemAtLine(line);
            const itemRange: SourceRange | undefined = item?.range ?? jsonlLineRange(document, line, parsed.result.format);
            const fix = (title: string, fields: ReadonlyArray<readonly [readonly string[], unknown]>, preferred = false) => {
                if (itemRange == null) return;
                try {
                    const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
                    action.edit = buildEvalItemEdit(document, itemRange, fields);
                    action.diagnostics = [diagnostic];
                    action.isPreferred = preferred;
                    actions.push(action);
                } catch (error) {
                    if (!(error instanceof EvalItemEditError)) throw error; // a broken item gets no edit
                }
            };
            const annotate = (title: string, action: string) => {
                if (item == null) return;
                const codeAction = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
                codeAction.command = {title, command: commandIds.annotateItem, arguments: [document.uri, item.index, action]};
                codeAction.diagnostics = [diagnostic];
                actions.push(codeAction);
            };
            switch (diagnostic.code) {
                case "unknown_class": {
                    const className = item?.className ?? "";
                    for (const [position, evalClass] of closestEvalClasses(className, suggestedClassCount).entries())
                        fix(vscode.l10n.t("Change the class to \"{0}\"", evalClass), [[["class"], evalClass]], position === 0);
                    annotate(vscode.l10n.t("Pick a class…"), "class");
                    break;
                }
                case "missing_field":
                    if (itemRange != null && lacksField(document, itemRange, "std_answer"))
                        fix(vscode.l10n.t("Add an empty \"std_answer\" (an open-ended item)"), [[["std_answer"], ""]], true);
                    break;
                case "missing_std_answer":
                    annotate(vscode.l10n.t("Write the standard answer…"), "stdAnswer");
                    for (const evalClass of openEndedClasses)
                        fix(vscode.l10n.t("Change the class to \"{0}\" (judged without a standard answer)", evalClass), [[["class"], evalClass]]);
                    break;
                case "duplicate_question":
                case "near_duplicate_question":
                    if (parsed.result.format === "jsonl" && item != null && item.range.line === item.range.endLine) {
                        const action = new vscode.CodeAction(vscode.l10n.t("Remove this item"), vscode.CodeActionKind.QuickFix);
                        action.edit = new vscode.WorkspaceEdit();
                        action.edit.delete(document.uri, document.lineAt(line).rangeIncludingLineBreak);
                        action.diagnostics = [diagnostic];
                        actions.push(action);
                    }
                    break;
                case "judge_human_disagreement":
                    annotate(vscode.l10n.t("Rate the answer again…"), "score");
                    annotate(vscode.l10n.t("Mark the answer good or bad…"), "verdict");
                    break;
            }
        }
        return actions;
    }
}

/** Whether the item's text is a JSON object without `field` (false when it is not a JSON object at all). */
function lacksField(document: vscode.TextDocument, range: SourceRange, field: string): boolean {
    const text = document.getText(new vscode.Range(range.line - 1, range.column - 1, range.endLine - 1, range.endColumn - 1));
    try {
        const value: unknown = JSON.parse(text);
        return value != null && typeof value === "object" && !Array.isArray(value) && !Object.hasOwn(value, field);
    } catch {
        return false;
    }
}

/** A JSONL line holding a broken item (one `parseEvalSet` dropped) as an item range. */
function jsonlLineRange(document: vscode.TextDocument, line: number, format: string): SourceRange | undefined {
    if (format !== "jsonl" || line >= document.lineCount) return undefined;
    const text = document.lineAt(line).text;
    const column = text.length - text.trimStart().length + 1;
    return {line: line + 1, column, endLine: line + 1, endColumn: text.trimEnd().length + 1};
}
