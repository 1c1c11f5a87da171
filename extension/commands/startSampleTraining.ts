import fs from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {exists} from "./openSampleEvalSet";
import {runTrainingJob, type TrainModelDependencies} from "./trainModel";

/** The sample's training data and job spec, relative to the first workspace folder. */
export const sampleTrainingFilePath = "belle-samples/train_sample.jsonl";
export const sampleTrainingJobPath = ".belle/train/belle-sample.json";

/**
 * "BELLE: Start a Sample Training Job" (walkthrough): six BELLE single-turn examples (shipped as
 * media/walkthrough/sample-training-data.jsonl) and a job spec training the generated demo model on them for two
 * epochs of 256-token windows, which takes seconds on a CPU; the spec is opened (it is the file to edit for a real
 * job) and run as "BELLE: Run Training Job" runs it. Resolves with the trained model's path, or null.
 */
export async function startSampleTraining(extensionUri: vscode.Uri, dependencies: TrainModelDependencies): Promise<string | null> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (folder == null || folder.scheme !== "file") {
        void vscode.window.showInformationMessage(vscode.l10n.t("Open a folder first: the training job is saved in it."));
        return null;
    }
    // The demo model is generated on first use (the engine does the same for `belle.model: embedded`).
    const baseModel = await vscode.window.withProgress({location: vscode.ProgressLocation.Window, title: vscode.l10n.t("Preparing the demo model…")},
        () => ensureEmbeddedModel());
    const trainingFile = vscode.Uri.joinPath(folder, ...sampleTrainingFilePath.split("/"));
    if (!await exists(trainingFile))
        await vscode.workspace.fs.writeFile(trainingFile,
            await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, "media", "walkthrough", "sample-training-data.jsonl")));
    const specUri = vscode.Uri.joinPath(folder, ...sampleTrainingJobPath.split("/"));
    const relative = (uri: vscode.Uri) => path.relative(path.dirname(specUri.fsPath), uri.fsPath).split(path.sep).join("/");
    const spec = {
        version: 1, baseModel, trainingFile: relative(trainingFile), output: "../models/belle-sample-tuned.gguf",
        epochs: 2, learningRate: 0.001, contextTokens: 256, lossOn: "assistant"
    };
    await fs.mkdir(path.join(folder.fsPath, ".belle", "models"), {recursive: true});
    await vscode.workspace.fs.writeFile(specUri, new TextEncoder().encode(`${JSON.stringify(spec, null, 4)}\n`));
    await vscode.window.showTextDocument(specUri, {preview: true});
    return runTrainingJob(specUri, dependencies);
}
