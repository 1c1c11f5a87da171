import {spawn} from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import {readSpecEpochs} from "../train/readSpecEpochs";
import type {TrainWorkerMessage} from "../../server/train/trainer/trainWorker";
import {looksLikeEvalSet} from "../evalSet/looksLikeEvalSet";
import {describeCliFailure} from "../jobs/describeCliFailure";
import {startBelleJobProcess} from "../jobs/startBelleJobProcess";
import {TrainingViewPanel} from "../train/TrainingViewPanel";
import {trainWorkerNoteTexts} from "../train/trainWorkerNoteTexts";
import {nextTrainWorkerMappingContext, trainWorkerMessageToViewEvents, type TrainWorkerMappingContext} from "../train/trainWorkerMessageToViewEvents";

export type TrainModelDependencies = {
    /** dist/server.cjs: `train run` runs there, never in the extension host. */
    serverScriptPath: string,
    log: vscode.LogOutputChannel,
    /** The extension's root: the training view's webview files are under dist/webview. */
    extensionUri: vscode.Uri,
    /** Sets `belle.model` to the trained model and restarts the engine on it. */
    chatWith(modelPath: string): Promise<void>,
    /** Evaluates the trained model; without it the training view has no "Evaluate It" button. */
    evaluateWith?(modelPath: string): Promise<void>
};

/**
 * "BELLE: Train Model…": base model, training file, epochs, learning rate, context, output name; the answers are
 * saved as a job spec in `.belle/train/<name>.json` (re-run it with "BELLE: Run Training Job", edit it, or run it
 * headless with `belle train run`), then the job runs.
 */
export async function trainModelWizard(dependencies: TrainModelDependencies): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (folder == null || folder.scheme !== "file") {
        void vscode.window.showInformationMessage(vscode.l10n.t("Open a folder first: the training job is saved in it."));
        return;
    }
    const step = (index: number, purpose: string) => vscode.l10n.t("Train Model ({0}/7): {1}", index, purpose);
    let title = step(1, vscode.l10n.t("base model"));
    const baseModel = await pickFile(title, vscode.l10n.t("Base model (an F32 GGUF: llama.cpp trains F32 weights)"), "**/*.gguf", {GGUF: ["gguf"]});
    if (baseModel == null) return;
    title = step(2, vscode.l10n.t("training data"));
    const trainingFile = await pickTrainingFile(title);
    if (trainingFile == null) return;
    if (!await checkTrainingFile(trainingFile, dependencies)) return;
    title = step(3, vscode.l10n.t("validation split"));
    const validation = await vscode.window.showQuickPick([
        {label: "5%", share: 0.05, description: vscode.l10n.t("held out by content: the same examples every run")},
        {label: "10%", share: 0.1, description: ""},
        {label: vscode.l10n.t("None"), share: 0, description: vscode.l10n.t("no validation loss")}
    ], {title, placeHolder: vscode.l10n.t("Validation split: examples kept out of training to measure the validation loss each epoch")});
    if (validation == null) return;
    const epochs = await askNumber(step(4, vscode.l10n.t("epochs")), vscode.l10n.t("Epochs"), "2", (value) => Number.isInteger(value) && value >= 1 && value <= 1000);
    if (epochs == null) return;
    const learningRate = await askNumber(step(5, vscode.l10n.t("learning rate")), vscode.l10n.t("Learning rate"), "0.0001", (value) => value > 0 && value < 1);
    if (learningRate == null) return;
    const context = await vscode.window.showQuickPick(["256", "512", "1024", "2048"].map((label) => ({label})), {
        title: step(6, vscode.l10n.t("context")), placeHolder: vscode.l10n.t("Tokens per training window (a multiple of 256)")
    });
    if (context == null) return;
    const defaultName = `${path.basename(baseModel.fsPath).replace(/\.gguf$/i, "")}-tuned`;
    const name = await vscode.window.showInputBox({
        title: step(7, vscode.l10n.t("name")), prompt: vscode.l10n.t("Name of the trained model"), value: defaultName,
        validateInput: (value) => /^[\p{L}\p{N}._-]+$/u.test(value) ? undefined : vscode.l10n.t("Letters, digits, '.', '_' and '-' only.")
    });
    if (name == null) return;

    const specUri = vscode.Uri.joinPath(folder, ".belle", "train", `${name}.json`);
    const relative = (uri: vscode.Uri) => path.relative(path.dirname(specUri.fsPath), uri.fsPath).split(path.sep).join("/");
    const spec = {
        version: 1, baseModel: relative(baseModel), trainingFile: relative(trainingFile), output: `../models/${name}.gguf`,
        ...(validation.share > 0 ? {validationSplit: validation.share} : {}),
        epochs, learningRate, contextTokens: Number(context.label), lossOn: "assistant"
    };
    await fs.mkdir(path.join(folder.fsPath, ".belle", "models"), {recursive: true});
    await vscode.workspace.fs.writeFile(specUri, new TextEncoder().encode(`${JSON.stringify(spec, null, 4)}\n`));
    await runTrainingJob(specUri, dependencies);
}

/**
 * Runs a job spec in a `belle train run` process, shown live in the job's training view (curves, figures, Cancel,
 * and Chat / Evaluate / Reveal once saved) and in a short cancellable progress notification; Cancel stops it as every
 * job process is stopped (`startBelleJobProcess`: SIGTERM, on which the CLI ends its worker). Resolves with the saved
 * model's path, or null.
 */
export async function runTrainingJob(specUri: vscode.Uri, {serverScriptPath, log, extensionUri, chatWith, evaluateWith}: TrainModelDependencies):
    Promise<string | null> {
    const name = path.basename(specUri.fsPath, ".json");
    let cancelJob: (() => void) | undefined;
    const view = TrainingViewPanel.show(extensionUri, specUri.fsPath, name, {
        cancel: () => cancelJob?.(),
        chat: (modelPath) => void chatWith(modelPath),
        evaluate: evaluateWith == null ? undefined : (modelPath) => void evaluateWith(modelPath),
        reveal: (modelPath) => void revealModelFile(modelPath)
    });
    let mapping: TrainWorkerMappingContext = {
        epochs: await readSpecEpochs(specUri), stepsPerEpoch: null, contextTokens: null,
        notes: trainWorkerNoteTexts()
    };
    const result = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("Training {0}", name), cancellable: true
    }, async (progress, token) => {
        let savedPath: string | null = null;
        let error: string | null = null;
        let epochs = 0;
        const job = startBelleJobProcess({
            serverScriptPath, args: ["train", "run", specUri.fsPath, "--json-lines"], log, logTag: "[train]",
            onLine: (line) => {
                const message = line as TrainWorkerMessage;
                view.report(trainWorkerMessageToViewEvents(message, mapping));
                mapping = nextTrainWorkerMappingContext(mapping, message);
                if (message.type === "epoch") {
                    epochs++;
                    log.info(`[train] epoch ${message.epoch + 1}: loss ${message.loss}, accuracy ${message.accuracy}, ${message.tokensPerSecond.toFixed(0)} tok/s`);
                    progress.report({message: vscode.l10n.t("epoch {0} · loss {1}", message.epoch + 1, message.loss.toFixed(3))});
                } else if (message.type === "saved") savedPath = message.outputPath;
                else if (message.type === "error") error = `${message.name}: ${message.message}`;
            }
        });
        cancelJob = () => job.stop();
        const subscription = token.onCancellationRequested(() => job.stop());
        const {code, stderr, spawnError} = await job.exited;
        subscription.dispose();
        const cancelled = savedPath == null && error == null && job.stopRequested;
        if (savedPath == null && error == null && !cancelled)
            error = spawnError ?? describeCliFailure(stderr) ?? vscode.l10n.t("the training process exited with code {0}", code ?? "?");
        log.info(`[train] ${name}: exit ${code}, ${epochs} epochs`);
        return {savedPath: savedPath as string | null, error: error as string | null, cancelled};
    });
    if (result.cancelled) view.report([{kind: "status", status: "cancelled", message: null, outputPath: null}]);
    else if (result.error != null) view.report([{kind: "status", status: "failed", message: result.error, outputPath: null}]);
    if (result.error != null) {
        const showLog = vscode.l10n.t("Show Logs");
        void vscode.window.showErrorMessage(vscode.l10n.t("Training {0} failed: {1}", name, result.error), showLog).then((picked) => {
            if (picked === showLog) log.show();
        });
        return null;
    }
    if (result.savedPath == null) return null; // cancelled
    const chat = vscode.l10n.t("Chat with It");
    void vscode.window.showInformationMessage(vscode.l10n.t("Trained model saved: {0}", result.savedPath), chat).then((picked) => {
        if (picked === chat) void chatWith(result.savedPath!);
    });
    return result.savedPath;
}


/** In the Explorer when the model is inside the workspace, else in the system's file manager. */
async function revealModelFile(modelPath: string): Promise<void> {
    const uri = vscode.Uri.file(modelPath);
    await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(uri) != null ? "revealInExplorer" : "revealFileInOS", uri);
}

type TrainingFileKind = "training" | "eval set" | "other";

/** What a JSON/JSONL file holds, judged by the field names of its first record (BELLE's formats). */
export function sniffTrainingFileKind(head: string): TrainingFileKind {
    const firstRecord = head.slice(0, (head.search(/\}\s*(\r?\n|,)/) + 1) || undefined);
    if (/"conversations"\s*:/.test(firstRecord) || (/"instruction"\s*:/.test(firstRecord) && /"output"\s*:/.test(firstRecord))) return "training";
    if (looksLikeEvalSet(head)) return "eval set";
    return "other";
}

/**
 * The training-data step: the workspace's JSON/JSONL files whose first record is BELLE training data, then eval
 * sets set apart with a warning (training on them contaminates the evaluation); settings, job specs, run files and
 * other JSON are not offered. Browse… for anything else.
 */
async function pickTrainingFile(title: string): Promise<vscode.Uri | undefined> {
    const found = await vscode.workspace.findFiles("**/*.{jsonl,json}", "{**/node_modules/**,**/.belle/**,**/.vscode/**,**/*.annotations.jsonl,**/package*.json,**/tsconfig*.json}", 500);
    type Pick = vscode.QuickPickItem & {uri?: vscode.Uri, fileKind?: TrainingFileKind};
    const training: Pick[] = [];
    const evalSets: Pick[] = [];
    for (const uri of found) {
        let head: string;
        try {
            const handle = await fs.open(uri.fsPath, "r");
            try {
                const {buffer, bytesRead} = await handle.read(Buffer.alloc(16 * 1024), 0, 16 * 1024, 0);
                head = buffer.subarray(0, bytesRead).toString("utf8");
            } finally {
                await handle.close();
            }
        } catch {
            continue;
        }
        const kind = sniffTrainingFileKind(head);
        const pick: Pick = {label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri, fileKind: kind};
        if (kind === "training") training.push(pick);
        else if (kind === "eval set")
            evalSets.push({...pick, label: `$(warning) ${pick.label}`, detail: vscode.l10n.t("An eval set: training on it makes its evaluation meaningless.")});
    }
    const picks: Pick[] = [
        ...training,
        ...(evalSets.length === 0 ? [] : [{label: vscode.l10n.t("Eval sets"), kind: vscode.QuickPickItemKind.Separator}, ...evalSets]),
        {label: `$(folder-opened) ${vscode.l10n.t("Browse…")}`}
    ];
    const picked = await vscode.window.showQuickPick(picks, {
        title,
        placeHolder: training.length === 0
            ? vscode.l10n.t("No BELLE training data found in the workspace (JSONL with \"conversations\", or \"instruction\"/\"output\"): Browse…")
            : vscode.l10n.t("Training data (BELLE single-turn or multi-turn JSONL)")
    });
    if (picked == null) return undefined;
    if (picked.uri == null)
        return (await vscode.window.showOpenDialog({canSelectMany: false, filters: {JSON: ["jsonl", "json"]}, title}))?.[0];
    if (picked.fileKind === "eval set") {
        const anyway = vscode.l10n.t("Train on It Anyway");
        const choice = await vscode.window.showWarningMessage(
            vscode.l10n.t("{0} is an eval set. A model trained on it will score well on it without having learned anything general.", path.basename(picked.uri.fsPath)),
            {modal: true}, anyway);
        if (choice !== anyway) return undefined;
    }
    return picked.uri;
}

/**
 * Runs `belle train validate` on the file before anything is saved or started: a file with no usable example is
 * refused with its first problem (file:line:column), which opens on request; problems in some records are warned of.
 */
async function checkTrainingFile(uri: vscode.Uri, {serverScriptPath, log}: TrainModelDependencies): Promise<boolean> {
    type Summary = {counts: {examples: number, badLines: number}, diagnostics: Array<{line: number, column: number, message: string}>};
    let summary: Summary;
    try {
        summary = await vscode.window.withProgress({location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("Checking {0}…", path.basename(uri.fsPath))},
            () => new Promise<Summary>((resolve, reject) => {
                const child = spawn(process.execPath, [serverScriptPath, "train", "validate", uri.fsPath, "--json"], {
                    stdio: ["ignore", "pipe", "pipe"], env: {...process.env, ELECTRON_RUN_AS_NODE: "1"}
                });
                let stdout = "";
                let stderr = "";
                child.stdout.setEncoding("utf8").on("data", (chunk: string) => { stdout += chunk; });
                child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
                child.on("error", reject);
                child.on("close", () => {
                    try {
                        resolve(JSON.parse(stdout) as Summary);
                    } catch {
                        reject(new Error(describeCliFailure(stderr) ?? "belle train validate failed"));
                    }
                });
            }));
    } catch (error) {
        log.warn(`[train] could not check ${uri.fsPath}: ${(error as Error).message}`);
        void vscode.window.showErrorMessage(vscode.l10n.t("{0} cannot be used for training: {1}", path.basename(uri.fsPath), (error as Error).message));
        return false;
    }
    const first = summary.diagnostics[0];
    const where = first == null ? "" : `${path.basename(uri.fsPath)}:${first.line}:${first.column}: ${first.message}`;
    const open = vscode.l10n.t("Open the File");
    const openAt = () => first == null ? undefined : vscode.window.showTextDocument(uri, {selection: new vscode.Range(first.line - 1, first.column - 1, first.line - 1, first.column - 1)});
    if (summary.counts.examples === 0) {
        void vscode.window.showErrorMessage(vscode.l10n.t("{0} has no valid training example. {1}", path.basename(uri.fsPath), where), open)
            .then((choice) => { if (choice === open) void openAt(); });
        return false;
    }
    if (summary.counts.badLines > 0) {
        const goOn = vscode.l10n.t("Train on the {0} Valid Examples", summary.counts.examples);
        const choice = await vscode.window.showWarningMessage(
            vscode.l10n.t("{0} records of {1} are skipped. {2}", summary.counts.badLines, path.basename(uri.fsPath), where), goOn, open);
        if (choice === open) void openAt();
        return choice === goOn;
    }
    return true;
}

async function pickFile(title: string, placeHolder: string, glob: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
    const found = await vscode.workspace.findFiles(glob, "{**/node_modules/**,**/.belle/runs/**}", 200);
    const browse = {label: `$(folder-opened) ${vscode.l10n.t("Browse…")}`, uri: undefined as vscode.Uri | undefined};
    const picked = await vscode.window.showQuickPick([
        ...found.map((uri) => ({label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri})), browse
    ], {title, placeHolder});
    if (picked == null) return undefined;
    if (picked.uri != null) return picked.uri;
    return (await vscode.window.showOpenDialog({canSelectMany: false, filters, title: placeHolder}))?.[0];
}

async function askNumber(title: string, prompt: string, value: string, valid: (value: number) => boolean): Promise<number | undefined> {
    const parse = (text: string) => {
        const number = Number(text.normalize("NFKC").trim());
        return text.trim() !== "" && Number.isFinite(number) && valid(number) ? number : null;
    };
    const text = await vscode.window.showInputBox({
        title, prompt, value, validateInput: (input) => parse(input) == null ? vscode.l10n.t("Not a valid value here.") : undefined
    });
    return text == null ? undefined : parse(text) ?? undefined;
}
