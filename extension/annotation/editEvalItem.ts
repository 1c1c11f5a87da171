import * as vscode from "vscode";
import {annotationField} from "../../server/eval/annotation/EvalAnnotation";
import {setJsonField} from "../../server/eval/annotation/setJsonField";
import type {SourceRange} from "../../server/eval/EvalSetDiagnostic";
import {JsonScanner} from "../../server/eval/JsonScanner";

/** An item of the document could not be edited; the message says why and what to do. Nothing was changed. */
export class EvalItemEditError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = "EvalItemEditError";
    }
}

/**
 * The WorkspaceEdit that sets fields of one item of an eval-set document: `fields` maps a field path
 * (`["class"]`, `["annotation", "note"]`) to its new value. Only the edited values change in the text; key
 * order, spacing, indentation and line breaks stay as they are. Several fields under `annotation` go in as one
 * replacement of the `annotation` object (keys kept in their order), so the whole change is one undo step.
 * Throws `EvalItemEditError` when the item's text is no longer a JSON object (the document changed under it).
 */
export function buildEvalItemEdit(document: vscode.TextDocument, itemRange: SourceRange, fields: ReadonlyArray<readonly [readonly string[], unknown]>): vscode.WorkspaceEdit {
    const text = document.getText();
    const start = document.offsetAt(new vscode.Position(itemRange.line - 1, itemRange.column - 1));
    const end = document.offsetAt(new vscode.Position(itemRange.endLine - 1, itemRange.endColumn - 1));
    const object = scanObject(text, start, end, itemRange.line);

    const edit = new vscode.WorkspaceEdit();
    const annotationUpdates = fields.filter(([path]) => path.length === 2 && path[0] === annotationField);
    const otherUpdates = annotationUpdates.length > 1 ? fields.filter((entry) => !annotationUpdates.includes(entry)) : fields;
    const textEdits = otherUpdates.map(([path, value]) => setJsonField(text, object, path, value));
    if (annotationUpdates.length > 1) {
        const current = (JSON.parse(text.slice(object.start, object.end)) as Record<string, unknown>)[annotationField];
        const merged: Record<string, unknown> = current != null && typeof current === "object" && !Array.isArray(current) ? {...current as Record<string, unknown>} : {};
        for (const [path, value] of annotationUpdates) merged[path[1]!] = value;
        textEdits.push(setJsonField(text, object, [annotationField], merged));
    }
    textEdits.sort((left, right) => left.start - right.start);
    for (let index = 1; index < textEdits.length; index++)
        if (textEdits[index]!.start < textEdits[index - 1]!.end)
            throw new EvalItemEditError(vscode.l10n.t("These changes overlap in the item on line {0}; make them one at a time.", itemRange.line));
    for (const textEdit of textEdits)
        edit.replace(document.uri, new vscode.Range(document.positionAt(textEdit.start), document.positionAt(textEdit.end)), textEdit.newText);
    return edit;
}

/** Applies `buildEvalItemEdit`; false when VS Code refused the edit (the document changed meanwhile). */
export async function editEvalItem(document: vscode.TextDocument, itemRange: SourceRange, fields: ReadonlyArray<readonly [readonly string[], unknown]>): Promise<boolean> {
    return vscode.workspace.applyEdit(buildEvalItemEdit(document, itemRange, fields));
}

function scanObject(text: string, start: number, end: number, line: number) {
    let node;
    try {
        node = new JsonScanner(text, {offset: start, end}).parseValue();
    } catch {
        node = null;
    }
    if (node?.kind !== "object")
        throw new EvalItemEditError(vscode.l10n.t("The item on line {0} is not a valid JSON object any more; fix it (see the Problems view), then try again.", line));
    return node;
}
