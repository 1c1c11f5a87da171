import * as vscode from "vscode";
import type {BelleServices} from "../BelleServices";
import {commandIds} from "../commandIds";
import {EvalSetDiagnostics} from "../evalSet/EvalSetDiagnostics";
import {annotateEvalItem, isAnnotationAction, resolveEvalItemTarget} from "./annotateEvalItem";
import {EvalRunIndex} from "./EvalRunIndex";
import {EvalSetCodeActionProvider} from "./EvalSetCodeActionProvider";
import {EvalSetCodeLensProvider} from "./EvalSetCodeLensProvider";
import {EvalSetDocuments} from "./EvalSetDocuments";
import {EvalSetHoverProvider} from "./EvalSetHoverProvider";
import {EvalSetTreeProvider} from "./EvalSetTreeProvider";
import {selectEvalRun} from "./selectEvalRun";

const evalSetSelector: vscode.DocumentSelector = [{scheme: "file", language: "json"}, {scheme: "file", language: "jsonl"},
    {scheme: "untitled", language: "json"}, {scheme: "untitled", language: "jsonl"}, {scheme: "file", pattern: "**/*.jsonl"}];

/**
 * Eval sets in the editor: parsed documents, Problems with quick fixes, CodeLens and hover with the selected run's
 * scores, the Eval Set view, and the Annotate / Reveal / Show Scores of Another Run commands.
 */
export function registerAnnotationFeatures(services: BelleServices): {
    evalSetDocuments: EvalSetDocuments, evalRuns: EvalRunIndex, evalSetTree: EvalSetTreeProvider
} {
    const {context, register} = services;
    const evalSetDocuments = new EvalSetDocuments();
    const evalRuns = new EvalRunIndex(context.workspaceState);
    const codeLenses = new EvalSetCodeLensProvider(evalSetDocuments, evalRuns);
    const evalSetTree = new EvalSetTreeProvider(evalSetDocuments, evalRuns);
    const evalSetView = vscode.window.createTreeView(EvalSetTreeProvider.viewId, {treeDataProvider: evalSetTree, showCollapseAll: true});
    services.own(
        evalSetDocuments, evalRuns, new EvalSetDiagnostics(evalSetDocuments, evalRuns), codeLenses,
        vscode.languages.registerCodeLensProvider(evalSetSelector, codeLenses),
        vscode.languages.registerHoverProvider(evalSetSelector, new EvalSetHoverProvider(evalSetDocuments, evalRuns)),
        vscode.languages.registerCodeActionsProvider(evalSetSelector, new EvalSetCodeActionProvider(evalSetDocuments), EvalSetCodeActionProvider.metadata),
        evalSetTree, evalSetView, evalSetTree.onDidChangeTreeData(() => { evalSetView.description = evalSetTree.description; })
    );
    register(commandIds.annotateItem, async (uri?: unknown, itemIndex?: unknown, action?: unknown) => {
        const target = await resolveEvalItemTarget(evalSetDocuments, uri instanceof vscode.Uri ? uri : undefined,
            typeof itemIndex === "number" ? itemIndex : undefined);
        if (target != null) await annotateEvalItem(target, evalRuns, isAnnotationAction(action) ? action : undefined);
    });
    register(commandIds.revealEvalItem, async (uri: vscode.Uri, itemIndex: number) => {
        const editor = await showEvalItem(evalSetDocuments, uri, itemIndex);
        editor?.revealRange(editor.selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    });
    register(commandIds.selectEvalRun, (uri?: unknown) => selectEvalRun(evalRuns, uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri));
    evalSetDocuments.start();
    return {evalSetDocuments, evalRuns, evalSetTree};
}

/** Opens the eval set at the item's first character; undefined when the item is not there any more. */
export async function showEvalItem(documents: EvalSetDocuments, uri: vscode.Uri, itemIndex: number): Promise<vscode.TextEditor | undefined> {
    const target = await resolveEvalItemTarget(documents, uri, itemIndex);
    if (target == null) return undefined;
    const position = new vscode.Position(target.item.range.line - 1, target.item.range.column - 1);
    return vscode.window.showTextDocument(target.document, {selection: new vscode.Range(position, position), preserveFocus: false});
}
