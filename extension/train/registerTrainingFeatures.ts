import * as vscode from "vscode";
import {reportEngineError, type BelleServices} from "../BelleServices";
import type {ChatWebviews} from "../chat/ChatWebviews";
import {commandIds} from "../commandIds";
import {openSampleEvalSet} from "../commands/openSampleEvalSet";
import {prepareExternalTraining} from "../commands/prepareExternalTraining";
import {startSampleTraining} from "../commands/startSampleTraining";
import {submitTrainingJobToSlurm} from "../commands/submitTrainingJob";
import {runTrainingJob, trainModelWizard, type TrainModelDependencies} from "../commands/trainModel";

/**
 * Training: the Train Model… wizard, a job spec run here, on Slurm or prepared for an external trainer, the
 * samples, and "Chat with This Model" (also the training view's Chat with It).
 */
export function registerTrainingFeatures(services: BelleServices, {webviews, useModel, evaluateWith}: {
    webviews: ChatWebviews, useModel: (modelPath: string) => Promise<void>, evaluateWith: (modelPath: string) => Promise<void>
}): void {
    const {context, log, serverScriptPath, register} = services;
    const training: TrainModelDependencies = {
        serverScriptPath, log, extensionUri: context.extensionUri,
        chatWith: async (modelPath: string) => {
            webviews.openPanel();
            try {
                await useModel(modelPath);
            } catch (error) {
                reportEngineError(error, log);
            }
        },
        evaluateWith
    };
    register(commandIds.trainModel, () => trainModelWizard(training));
    /** A command on a job spec: the one clicked in the Explorer, else the active editor's. */
    const onJobSpec = <T>(run: (specUri: vscode.Uri, dependencies: TrainModelDependencies) => Promise<T>) => async (uri?: unknown) => {
        const specUri = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
        if (specUri == null) {
            void vscode.window.showInformationMessage(vscode.l10n.t("Open or select a training job (.belle/train/*.json) first."));
            return null;
        }
        return run(specUri, training);
    };
    register(commandIds.runTrainingJob, onJobSpec(runTrainingJob));
    register(commandIds.submitTrainingJobToSlurm, onJobSpec(submitTrainingJobToSlurm));
    register(commandIds.prepareExternalTraining, onJobSpec(prepareExternalTraining));
    register(commandIds.openSampleEvalSet, () => openSampleEvalSet(context.extensionUri));
    register(commandIds.startSampleTraining, () => startSampleTraining(context.extensionUri, training));
    register(commandIds.chatWithModel, async (uri?: unknown) => {
        const modelUri = uri instanceof vscode.Uri ? uri : (await vscode.window.showOpenDialog({
            canSelectMany: false, filters: {GGUF: ["gguf"]}, title: vscode.l10n.t("Select a GGUF model")
        }))?.[0];
        if (modelUri != null) await training.chatWith(modelUri.fsPath);
    });
}
