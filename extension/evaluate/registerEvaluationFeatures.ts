import * as vscode from "vscode";
import type {EvalRunIndex} from "../annotation/EvalRunIndex";
import type {EvalSetDocuments} from "../annotation/EvalSetDocuments";
import {showEvalItem} from "../annotation/registerAnnotationFeatures";
import type {BelleServices} from "../BelleServices";
import {askForSecret} from "../chat/registerChatFeatures";
import {commandIds} from "../commandIds";
import {evaluateModelAgainstLastRun, pickModelToEvaluate} from "../commands/evaluateModelAgainstRun";
import {pickAndOpenEvalReport} from "../commands/openEvalReport";
import {judgeApiKeySecret, runEvaluation} from "../commands/runEvaluation";
import {readBelleSettings} from "../config/readBelleSettings";
import {EvalReportSerializer} from "../report/EvalReportSerializer";
import {SelectionEvaluator} from "./SelectionEvaluator";

/**
 * Evaluation: Run Evaluation, reports, Evaluate Selection / an item's Evaluate lens, and Evaluate It (a model
 * against the workspace's last run). `useModel` switches the engine to a model (the model features own it).
 */
export function registerEvaluationFeatures(services: BelleServices, {evalSetDocuments, evalRuns, useModel}: {
    evalSetDocuments: EvalSetDocuments, evalRuns: EvalRunIndex, useModel: (modelPath: string) => Promise<void>
}): {evaluateWith: (modelPath: string) => Promise<void>} {
    const {context, log, serverScriptPath, engine, endpoints, register} = services;
    services.own(EvalReportSerializer.register(context.extensionUri));
    register(commandIds.runEvaluation, (uri?: vscode.Uri) => runEvaluation({
        serverScriptPath, engine, settings: readBelleSettings, secrets: context.secrets, workspaceState: context.workspaceState, log
    }, uri instanceof vscode.Uri ? uri : undefined));
    register(commandIds.openEvalReport, () => pickAndOpenEvalReport());
    register(commandIds.setJudgeApiKey, () => askForSecret(context.secrets, judgeApiKeySecret, vscode.l10n.t("API key for the judge endpoint")));

    const evaluateModel = {serverScriptPath, engine, settings: readBelleSettings, secrets: context.secrets, log, useModel};
    register(commandIds.evaluateModelAgainstLastRun, async (uri?: unknown) => {
        const modelPath = uri instanceof vscode.Uri ? uri.fsPath : await pickModelToEvaluate();
        return modelPath == null ? null : evaluateModelAgainstLastRun(evaluateModel, modelPath);
    });

    const selectionEvaluator = new SelectionEvaluator({endpoints, settings: readBelleSettings, secrets: context.secrets, runs: evalRuns, log});
    services.own(selectionEvaluator);
    register(commandIds.evaluateSelection, async () => {
        const editor = vscode.window.activeTextEditor;
        if (editor != null) await selectionEvaluator.evaluate(editor);
    });
    register(commandIds.evaluateItem, async (uri: vscode.Uri, itemIndex: number) => {
        const editor = await showEvalItem(evalSetDocuments, uri, itemIndex);
        if (editor != null) await selectionEvaluator.evaluate(editor);
    });
    return {evaluateWith: async (modelPath) => { await evaluateModelAgainstLastRun(evaluateModel, modelPath); }};
}
