import * as vscode from "vscode";
import {annotationField, annotationKeys, answerFingerprint, difficulties, type Difficulty, type EvalAnnotation} from "../../server/eval/annotation/EvalAnnotation";
import {annotationSidecarPath, parseAnnotationSidecar, sidecarKey} from "../../server/eval/annotation/AnnotationSidecar";
import {evalClasses, matchEvalClass} from "../../server/eval/evalClasses";
import type {EvalItem} from "../../server/eval/EvalItem";
import {evalItemKey} from "../../server/eval/runEvalJob";
import type {EvalRunIndex} from "./EvalRunIndex";
import {editEvalItem, EvalItemEditError} from "./editEvalItem";
import type {EvalSetDocuments} from "./EvalSetDocuments";

export const annotationActions = ["class", "score", "verdict", "stdAnswer", "note", "difficulty"] as const;
export type AnnotationAction = (typeof annotationActions)[number];

export function isAnnotationAction(value: unknown): value is AnnotationAction {
    return typeof value === "string" && (annotationActions as readonly string[]).includes(value);
}

type FieldUpdate = readonly [readonly string[], unknown];

/** Where an annotate command acts: an item of an open eval-set document. */
export type EvalItemTarget = {document: vscode.TextDocument, item: EvalItem, annotation: EvalAnnotation | null};

/**
 * The item a command is about: given by its document URI and item index (CodeLens, quick fixes, tree view), or the
 * item under the active editor's cursor (command palette). Undefined, after telling the user why, when there is none.
 */
export async function resolveEvalItemTarget(documents: EvalSetDocuments, uri?: vscode.Uri, itemIndex?: number): Promise<EvalItemTarget | undefined> {
    const editor = vscode.window.activeTextEditor;
    const document = uri != null ? await vscode.workspace.openTextDocument(uri) : editor?.document;
    const parsed = document == null ? undefined : documents.get(document);
    if (document == null || parsed == null) {
        void vscode.window.showInformationMessage(vscode.l10n.t("Open an eval set (BELLE's JSONL or a JSON array of items) and put the cursor in an item."));
        return undefined;
    }
    const item = itemIndex != null ? parsed.itemByIndex(itemIndex)
        : editor != null && editor.document === document ? parsed.itemAtLine(editor.selection.active.line) : undefined;
    if (item == null) {
        void vscode.window.showInformationMessage(vscode.l10n.t("Put the cursor in a valid item of the eval set (fix the problems the Problems view lists first)."));
        return undefined;
    }
    return {document, item, annotation: parsed.annotationOf(item)};
}

/**
 * "Annotate" on an item: pick what to record (class, a score or good/bad for the selected run's answer, the
 * standard answer, a note, the difficulty), then the value. Each choice is one WorkspaceEdit of the item, so Undo
 * takes it back and nothing else in the file changes.
 */
export async function annotateEvalItem(target: EvalItemTarget, runs: EvalRunIndex, action?: AnnotationAction): Promise<boolean> {
    const {document, item} = target;
    const chosen = action ?? await pickAction(item, target.annotation);
    if (chosen == null) return false;
    const updates = await askForUpdates(chosen, target, runs);
    if (updates == null) return false;
    try {
        const toSidecar = readAnnotationStorage(document.uri) === "sidecar" && document.uri.scheme === "file"
            && updates.every(([path]) => path[0] === annotationField);
        const applied = toSidecar ? await editSidecar(document, item, updates) : await editEvalItem(document, item.range, updates);
        if (!applied) void vscode.window.showWarningMessage(vscode.l10n.t("The eval set changed while you were choosing; nothing was written. Try again."));
        return applied;
    } catch (error) {
        if (!(error instanceof EvalItemEditError)) throw error;
        void vscode.window.showErrorMessage(error.message);
        return false;
    }
}

async function pickAction(item: EvalItem, annotation: EvalAnnotation | null): Promise<AnnotationAction | undefined> {
    const choices: Array<vscode.QuickPickItem & {action: AnnotationAction}> = [
        {action: "score", label: `$(star) ${vscode.l10n.t("Rate the model answer (0–1)")}`, description: annotation?.humanScore == null ? "" : String(annotation.humanScore)},
        {action: "verdict", label: `$(thumbsup) ${vscode.l10n.t("Mark the model answer good or bad")}`, description: annotation?.verdict == null ? "" : verdictLabel(annotation.verdict)},
        {action: "class", label: `$(symbol-enum) ${vscode.l10n.t("Set the class")}`, description: item.className},
        {action: "stdAnswer", label: `$(edit) ${vscode.l10n.t("Edit the standard answer")}`, description: preview(item.stdAnswer)},
        {action: "note", label: `$(note) ${vscode.l10n.t("Add a note")}`, description: preview(annotation?.note ?? "")},
        {action: "difficulty", label: `$(dashboard) ${vscode.l10n.t("Mark the difficulty")}`, description: annotation?.difficulty == null ? "" : difficultyLabel(annotation.difficulty)}
    ];
    const picked = await vscode.window.showQuickPick(choices, {
        title: vscode.l10n.t("Annotate item on line {0}", item.range.line), placeHolder: preview(item.question, 80)
    });
    return picked?.action;
}

async function askForUpdates(action: AnnotationAction, {document, item, annotation}: EvalItemTarget, runs: EvalRunIndex): Promise<FieldUpdate[] | undefined> {
    switch (action) {
        case "class": {
            const current = matchEvalClass(item.className);
            const picked = await vscode.window.showQuickPick(
                evalClasses.map((evalClass) => ({label: evalClass, description: evalClass === current ? vscode.l10n.t("current") : ""})),
                {title: vscode.l10n.t("Class of the item on line {0}", item.range.line), placeHolder: item.className}
            );
            return picked == null ? undefined : [[["class"], picked.label]];
        }
        case "score":
        case "verdict": {
            const rated = await ratedAnswer(document, item, runs);
            if (rated === undefined) return undefined;
            const tie: FieldUpdate[] = rated == null ? [] : [
                [[annotationField, annotationKeys.ratedAnswer], rated.fingerprint], [[annotationField, annotationKeys.ratedRun], rated.runId]
            ];
            if (action === "verdict") {
                const picked = await vscode.window.showQuickPick(
                    (["good", "bad"] as const).map((verdict) => ({label: verdictLabel(verdict), verdict})),
                    {title: vscode.l10n.t("Is the model's answer good?"), placeHolder: rated == null ? undefined : preview(rated.answer, 120)}
                );
                return picked == null ? undefined : [[[annotationField, annotationKeys.verdict], picked.verdict], ...tie];
            }
            const scores = [1, 0.8, 0.6, 0.5, 0.4, 0.2, 0];
            const picked = await vscode.window.showQuickPick(
                [...scores.map((score) => ({label: String(score), score})), {label: vscode.l10n.t("Another score…"), score: null}],
                {title: vscode.l10n.t("Your score for the model's answer (0–1)"), placeHolder: rated == null ? undefined : preview(rated.answer, 120)}
            );
            if (picked == null) return undefined;
            const score = picked.score ?? await askForScore(annotation?.humanScore);
            return score == null ? undefined : [[[annotationField, annotationKeys.humanScore], score], ...tie];
        }
        case "stdAnswer": {
            const value = await vscode.window.showInputBox({
                title: vscode.l10n.t("Standard answer of the item on line {0}", item.range.line), prompt: preview(item.question, 120), value: item.stdAnswer,
                ignoreFocusOut: true
            });
            return value == null ? undefined : [[["std_answer"], value]];
        }
        case "note": {
            const value = await vscode.window.showInputBox({
                title: vscode.l10n.t("Note on the item on line {0}", item.range.line), value: annotation?.note ?? "", ignoreFocusOut: true
            });
            return value == null ? undefined : [[[annotationField, annotationKeys.note], value]];
        }
        case "difficulty": {
            const picked = await vscode.window.showQuickPick(
                difficulties.map((difficulty) => ({label: difficultyLabel(difficulty), difficulty})),
                {title: vscode.l10n.t("Difficulty of the item on line {0}", item.range.line)}
            );
            return picked == null ? undefined : [[[annotationField, annotationKeys.difficulty], picked.difficulty]];
        }
    }
}

/**
 * The selected run's answer to the item, which a rating is tied to; null when there is none (the rating is then
 * untied, and counts for any answer); undefined when the user cancelled.
 */
async function ratedAnswer(document: vscode.TextDocument, item: EvalItem, runs: EvalRunIndex): Promise<{answer: string, fingerprint: string, runId: string} | null | undefined> {
    const scores = document.uri.scheme === "file" ? await runs.scoresOf(document.uri.fsPath) : null;
    const record = scores?.recordOf(evalItemKey(item), item.question);
    if (record?.answer != null) return {answer: record.answer, fingerprint: answerFingerprint(record.answer), runId: scores!.run.header.runId};
    const go = vscode.l10n.t("Rate without an answer");
    const picked = await vscode.window.showWarningMessage(
        vscode.l10n.t("No evaluation run has answered this item yet, so the rating will not be tied to an answer. Run an evaluation first to rate its answer."),
        {modal: false}, go
    );
    return picked === go ? null : undefined;
}

async function askForScore(current: number | undefined): Promise<number | undefined> {
    const value = await vscode.window.showInputBox({
        title: vscode.l10n.t("Your score for the model's answer (0–1)"), value: current == null ? "" : String(current),
        validateInput: (text) => parseScore(text) == null ? vscode.l10n.t("A number from 0 to 1, such as 0.7.") : undefined
    });
    return value == null ? undefined : parseScore(value) ?? undefined;
}

/** A score typed by a person: 0–1, full-width digits allowed ("０.７"). */
export function parseScore(text: string): number | null {
    const normalized = text.normalize("NFKC").trim();
    if (!/^\d+(\.\d+)?$|^\.\d+$/.test(normalized)) return null;
    const value = Number(normalized);
    return value >= 0 && value <= 1 ? value : null;
}

function verdictLabel(verdict: "good" | "bad"): string {
    return verdict === "good" ? `$(thumbsup) ${vscode.l10n.t("good")}` : `$(thumbsdown) ${vscode.l10n.t("bad")}`;
}

function difficultyLabel(difficulty: Difficulty): string {
    return {easy: vscode.l10n.t("easy"), medium: vscode.l10n.t("medium"), hard: vscode.l10n.t("hard")}[difficulty];
}

function preview(text: string, length = 40): string {
    const flat = text.replace(/\s+/gu, " ").trim();
    return [...flat].length > length ? `${[...flat].slice(0, length).join("")}…` : flat;
}

/** `belle.annotationStorage`: in the item ("inline", the default) or in the sidecar file beside the eval set. */
export function readAnnotationStorage(scope: vscode.Uri): "inline" | "sidecar" {
    return vscode.workspace.getConfiguration("belle", scope).get<unknown>("annotationStorage") === "sidecar" ? "sidecar" : "inline";
}

/**
 * Writes annotation fields to the eval set's sidecar (`annotationSidecarPath`): into the item's line when it has
 * one (the same one-field edits as in an item), else a new line `{"question", "annotation"}` at the end; the file is
 * created when missing. One WorkspaceEdit, so Undo in the sidecar takes it back; the eval set is not touched.
 */
async function editSidecar(document: vscode.TextDocument, item: EvalItem, updates: readonly FieldUpdate[]): Promise<boolean> {
    const sidecarUri = vscode.Uri.file(annotationSidecarPath(document.uri.fsPath));
    let sidecar: vscode.TextDocument | undefined;
    try {
        sidecar = await vscode.workspace.openTextDocument(sidecarUri);
    } catch {
        sidecar = undefined; // not there yet
    }
    const entry = sidecar == null ? undefined : parseAnnotationSidecar(sidecar.getText()).get(sidecarKey(item.question));
    if (sidecar != null && entry != null) {
        const text = sidecar.lineAt(entry.line - 1).text;
        const column = text.length - text.trimStart().length + 1;
        return editEvalItem(sidecar, {line: entry.line, column, endLine: entry.line, endColumn: text.trimEnd().length + 1}, updates);
    }
    const annotation: Record<string, unknown> = {};
    for (const [path, value] of updates) annotation[path[1]!] = value;
    const line = JSON.stringify({question: item.question, annotation});
    const edit = new vscode.WorkspaceEdit();
    if (sidecar == null) {
        edit.createFile(sidecarUri, {ignoreIfExists: true});
        edit.insert(sidecarUri, new vscode.Position(0, 0), `${line}\n`);
    } else {
        const end = sidecar.lineAt(sidecar.lineCount - 1).range.end;
        edit.insert(sidecarUri, end, `${end.character === 0 ? "" : "\n"}${line}\n`);
    }
    return vscode.workspace.applyEdit(edit);
}
