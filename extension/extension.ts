import * as vscode from "vscode";
import {uiStrings} from "../webview/protocol/uiStrings";
import type {BelleExtensionApi} from "./BelleExtensionApi";
import {ChatEndpoints, remoteApiKeySecret} from "./chat/ChatEndpoints";
import {ChatWebviews} from "./chat/ChatWebviews";
import {ConversationStore} from "./chat/ConversationStore";
import {commandIds} from "./commandIds";
import {configureGpuOffload, downloadModelCommand, hasDownloadedModel, selectModel} from "./commands/modelCommands";
import {downloadCudaBinariesCommand, prepareCudaBinariesForEngineStart} from "./commands/cudaCommands";
import {pickAndOpenEvalReport} from "./commands/openEvalReport";
import {judgeApiKeySecret, runEvaluation} from "./commands/runEvaluation";
import {SelectionEvaluator} from "./evaluate/SelectionEvaluator";
import {annotateEvalItem, isAnnotationAction, resolveEvalItemTarget} from "./annotation/annotateEvalItem";
import {EvalSetCodeActionProvider} from "./annotation/EvalSetCodeActionProvider";
import {EvalSetCodeLensProvider} from "./annotation/EvalSetCodeLensProvider";
import {EvalSetHoverProvider} from "./annotation/EvalSetHoverProvider";
import {EvalRunIndex} from "./annotation/EvalRunIndex";
import {submitTrainingJobToSlurm} from "./commands/submitTrainingJob";
import {prepareExternalTraining} from "./commands/prepareExternalTraining";
import {runTrainingJob, trainModelWizard, type TrainModelDependencies} from "./commands/trainModel";
import {useLoraAdapter} from "./commands/useLoraAdapter";
import {TrainingViewPanel} from "./train/TrainingViewPanel";
import {openSampleEvalSet} from "./commands/openSampleEvalSet";
import {startSampleTraining} from "./commands/startSampleTraining";
import {copyEndpointInfo} from "./commands/copyEndpointInfo";
import {evaluateModelAgainstLastRun, pickModelToEvaluate} from "./commands/evaluateModelAgainstRun";
import {selectEvalRun} from "./annotation/selectEvalRun";
import {EvalSetDocuments} from "./annotation/EvalSetDocuments";
import {EvalSetTreeProvider} from "./annotation/EvalSetTreeProvider";
import {EvalSetDiagnostics} from "./evalSet/EvalSetDiagnostics";
import {readBelleSettings} from "./config/readBelleSettings";
import {EngineSupervisor} from "./engine/EngineSupervisor";
import {resolveEngineLaunch} from "./engine/resolveEngineLaunch";
import {EvalReportSerializer} from "./report/EvalReportSerializer";
import {describeState, EngineStatusBar} from "./status/EngineStatusBar";

let supervisor: EngineSupervisor | undefined;

/**
 * Cheap by design: registers commands, views and the status bar. No model is read and no engine starts until
 * the user opens the chat, sends a message or starts the engine.
 */
export function activate(context: vscode.ExtensionContext): BelleExtensionApi {
    const log = vscode.window.createOutputChannel("BELLE", {log: true});
    context.subscriptions.push(log);
    const serverScriptPath = context.asAbsolutePath("dist/server.cjs");

    const cudaBinaries = {context, log};
    const engine = new EngineSupervisor({
        serverScriptPath,
        log,
        resolveLaunch: async () => {
            const settings = readBelleSettings();
            const launch = resolveEngineLaunch(settings);
            await prepareCudaBinariesForEngineStart(cudaBinaries, settings);
            return launch;
        },
        describeLaunch: () => resolveEngineLaunch(readBelleSettings()).args
    });
    supervisor = engine;
    context.subscriptions.push(engine);

    const endpoints = new ChatEndpoints(engine, readBelleSettings, context.secrets);
    const statusBar = new EngineStatusBar();
    statusBar.update(endpoints.status);
    context.subscriptions.push(endpoints, statusBar, endpoints.onDidChangeStatus((status) => statusBar.update(status)));

    const webviews = new ChatWebviews(context.extensionUri, {
        store: new ConversationStore(context.globalStorageUri.fsPath),
        endpoints,
        log,
        defaultSettings: () => readBelleSettings().conversationDefaults,
        uiStrings: () => Object.fromEntries(Object.entries(uiStrings).map(([key, english]) => [key, vscode.l10n.t(english)])),
        runCommand: (command) => vscode.commands.executeCommand(command)
    });
    context.subscriptions.push(webviews);

    /** Starts the local engine when the chat will need it, reporting a failure with its reason and the log. */
    const startEngineIfConfigured = () => {
        const settings = readBelleSettings();
        if (settings.remoteUrl !== "" || settings.model === "") return;
        engine.ensureStarted().catch((error: unknown) => reportEngineError(error, log));
    };

    const register = (command: string, callback: (...args: never[]) => unknown) =>
        context.subscriptions.push(vscode.commands.registerCommand(command, callback));

    register(commandIds.openChat, () => {
        webviews.openPanel();
        startEngineIfConfigured();
    });
    register(commandIds.newChat, () => webviews.targetSession().showNewConversation());
    register(commandIds.startEngine, async () => {
        try {
            await engine.ensureStarted();
        } catch (error) {
            reportEngineError(error, log);
        }
    });
    register(commandIds.stopEngine, () => engine.stop());
    register(commandIds.restartEngine, async () => {
        try {
            await engine.restart();
        } catch (error) {
            reportEngineError(error, log);
        }
    });
    register(commandIds.selectModel, () => selectModel());
    register(commandIds.downloadModel, () => downloadModelCommand());
    register(commandIds.downloadCudaBinaries, () => downloadCudaBinariesCommand(cudaBinaries));
    register(commandIds.configureGpuOffload, () => configureGpuOffload(serverScriptPath, log));
    register(commandIds.sendSelectionToChat, () => {
        const editor = vscode.window.activeTextEditor;
        if (editor == null) return;
        const text = editor.selections.map((selection) => editor.document.getText(selection)).filter((part) => part !== "").join("\n\n");
        if (text === "") {
            void vscode.window.showInformationMessage(vscode.l10n.t("Select some text first."));
            return;
        }
        const language = editor.document.languageId;
        const isProse = language === "plaintext" || language === "markdown";
        webviews.targetSession().fillInput(isProse ? text : `\`\`\`${language}\n${text}\n\`\`\`\n`, false);
        startEngineIfConfigured();
    });
    /** Asks for an API key and keeps it in SecretStorage only; an empty answer removes it. */
    const askForSecret = async (secret: string, title: string) => {
        const key = await vscode.window.showInputBox({
            title,
            prompt: vscode.l10n.t("Stored in VS Code's secret storage, never in settings or logs. Leave empty to remove it."),
            password: true,
            ignoreFocusOut: true
        });
        if (key == null) return;
        if (key.trim() === "") await context.secrets.delete(secret);
        else await context.secrets.store(secret, key.trim());
    };
    register(commandIds.setRemoteApiKey, () => askForSecret(remoteApiKeySecret, vscode.l10n.t("API key for the remote endpoint")));
    register(commandIds.setJudgeApiKey, () => askForSecret(judgeApiKeySecret, vscode.l10n.t("API key for the judge endpoint")));
    register(commandIds.showLogs, () => log.show());
    register(commandIds.runEvaluation, (uri?: vscode.Uri) => runEvaluation({
        engine, settings: readBelleSettings, secrets: context.secrets, workspaceState: context.workspaceState, log
    }, uri instanceof vscode.Uri ? uri : undefined));
    register(commandIds.openEvalReport, () => pickAndOpenEvalReport());
    /**
     * Makes `modelPath` the workspace's model and the engine run it: the settings listener and this call both ask
     * `applySettings`, so the engine restarts once (it restarted twice when this also ran Restart Engine).
     */
    const useModel = async (modelPath: string) => {
        await vscode.workspace.getConfiguration("belle").update("model", modelPath, vscode.ConfigurationTarget.Workspace);
        await engine.applySettings();
        await engine.ensureStarted();
    };
    const evaluateModel = {engine, settings: readBelleSettings, secrets: context.secrets, log, useModel};
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
        evaluateWith: async (modelPath: string) => {
            await evaluateModelAgainstLastRun(evaluateModel, modelPath);
        }
    };
    register(commandIds.evaluateModelAgainstLastRun, async (uri?: unknown) => {
        const modelPath = uri instanceof vscode.Uri ? uri.fsPath : await pickModelToEvaluate();
        return modelPath == null ? null : evaluateModelAgainstLastRun(evaluateModel, modelPath);
    });
    register(commandIds.chatWithModel, async (uri?: unknown) => {
        const modelUri = uri instanceof vscode.Uri ? uri : (await vscode.window.showOpenDialog({
            canSelectMany: false, filters: {GGUF: ["gguf"]}, title: vscode.l10n.t("Select a GGUF model")
        }))?.[0];
        if (modelUri != null) await training.chatWith(modelUri.fsPath);
    });
    register(commandIds.useLoraAdapter, (uri?: unknown, scale?: unknown) =>
        useLoraAdapter(uri instanceof vscode.Uri ? uri : undefined, typeof scale === "number" ? scale : undefined));
    register(commandIds.trainModel, () => trainModelWizard(training));
    register(commandIds.runTrainingJob, async (uri?: unknown) => {
        const specUri = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
        if (specUri == null) {
            void vscode.window.showInformationMessage(vscode.l10n.t("Open or select a training job (.belle/train/*.json) first."));
            return null;
        }
        return runTrainingJob(specUri, training);
    });
    register(commandIds.submitTrainingJobToSlurm, async (uri?: unknown) => {
        const specUri = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
        if (specUri == null) {
            void vscode.window.showInformationMessage(vscode.l10n.t("Open or select a training job (.belle/train/*.json) first."));
            return null;
        }
        return submitTrainingJobToSlurm(specUri, training);
    });
    register(commandIds.prepareExternalTraining, async (uri?: unknown) => {
        const specUri = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
        if (specUri == null) {
            void vscode.window.showInformationMessage(vscode.l10n.t("Open or select a training job (.belle/train/*.json) first."));
            return;
        }
        return prepareExternalTraining(specUri, training);
    });
    register(commandIds.openSampleEvalSet, () => openSampleEvalSet(context.extensionUri));
    register(commandIds.startSampleTraining, () => startSampleTraining(context.extensionUri, training));
    register(commandIds.copyEndpointInfo, async () => {
        try {
            return await copyEndpointInfo(engine);
        } catch (error) {
            reportEngineError(error, log);
            return undefined;
        }
    });
    context.subscriptions.push(EvalReportSerializer.register(context.extensionUri));
    const evalSetDocuments = new EvalSetDocuments();
    const evalRuns = new EvalRunIndex(context.workspaceState);
    context.subscriptions.push(evalSetDocuments, evalRuns, new EvalSetDiagnostics(evalSetDocuments, evalRuns));
    const evalSetSelector: vscode.DocumentSelector = [{scheme: "file", language: "json"}, {scheme: "file", language: "jsonl"},
        {scheme: "untitled", language: "json"}, {scheme: "untitled", language: "jsonl"}, {scheme: "file", pattern: "**/*.jsonl"}];
    const codeLenses = new EvalSetCodeLensProvider(evalSetDocuments, evalRuns);
    context.subscriptions.push(
        codeLenses,
        vscode.languages.registerCodeLensProvider(evalSetSelector, codeLenses),
        vscode.languages.registerHoverProvider(evalSetSelector, new EvalSetHoverProvider(evalSetDocuments, evalRuns)),
        vscode.languages.registerCodeActionsProvider(evalSetSelector, new EvalSetCodeActionProvider(evalSetDocuments), EvalSetCodeActionProvider.metadata)
    );
    const evalSetTree = new EvalSetTreeProvider(evalSetDocuments, evalRuns);
    const evalSetView = vscode.window.createTreeView(EvalSetTreeProvider.viewId, {treeDataProvider: evalSetTree, showCollapseAll: true});
    context.subscriptions.push(evalSetTree, evalSetView, evalSetTree.onDidChangeTreeData(() => { evalSetView.description = evalSetTree.description; }));
    register(commandIds.annotateItem, async (uri?: unknown, itemIndex?: unknown, action?: unknown) => {
        const target = await resolveEvalItemTarget(evalSetDocuments, uri instanceof vscode.Uri ? uri : undefined,
            typeof itemIndex === "number" ? itemIndex : undefined);
        if (target != null) await annotateEvalItem(target, evalRuns, isAnnotationAction(action) ? action : undefined);
    });
    register(commandIds.revealEvalItem, async (uri: vscode.Uri, itemIndex: number) => {
        const target = await resolveEvalItemTarget(evalSetDocuments, uri, itemIndex);
        if (target == null) return;
        const position = new vscode.Position(target.item.range.line - 1, target.item.range.column - 1);
        const editor = await vscode.window.showTextDocument(target.document, {selection: new vscode.Range(position, position), preserveFocus: false});
        editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    });
    register(commandIds.selectEvalRun, (uri?: unknown) => selectEvalRun(evalRuns, uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri));
    evalSetDocuments.start();
    const selectionEvaluator = new SelectionEvaluator({endpoints, settings: readBelleSettings, secrets: context.secrets, runs: evalRuns, log});
    context.subscriptions.push(selectionEvaluator);
    register(commandIds.evaluateSelection, async () => {
        const editor = vscode.window.activeTextEditor;
        if (editor == null) return;
        await selectionEvaluator.evaluate(editor);
    });
    register(commandIds.evaluateItem, async (uri: vscode.Uri, itemIndex: number) => {
        const target = await resolveEvalItemTarget(evalSetDocuments, uri, itemIndex);
        if (target == null) return;
        const position = new vscode.Position(target.item.range.line - 1, target.item.range.column - 1);
        const editor = await vscode.window.showTextDocument(target.document, {selection: new vscode.Range(position, position)});
        await selectionEvaluator.evaluate(editor);
    });
    register(commandIds.showEngineActions, async () => {
        const status = endpoints.status;
        const actions: Array<vscode.QuickPickItem & {command: string}> = [
            {label: `$(comment-discussion) ${vscode.l10n.t("Open Chat")}`, command: commandIds.openChat},
            ...(status.state === "stopped" || status.state === "error"
                ? [{label: `$(play) ${vscode.l10n.t("Start Engine")}`, command: commandIds.startEngine}]
                : [{label: `$(debug-stop) ${vscode.l10n.t("Stop Engine")}`, command: commandIds.stopEngine}]),
            {label: `$(debug-restart) ${vscode.l10n.t("Restart Engine")}`, command: commandIds.restartEngine},
            {label: `$(library) ${vscode.l10n.t("Select Model")}`, command: commandIds.selectModel},
            {label: `$(cloud-download) ${vscode.l10n.t("Download Model")}`, command: commandIds.downloadModel},
            {label: `$(chip) ${vscode.l10n.t("Configure GPU Offload")}`, command: commandIds.configureGpuOffload},
            {label: `$(output) ${vscode.l10n.t("Show Engine Logs")}`, command: commandIds.showLogs}
        ];
        const picked = await vscode.window.showQuickPick(actions, {
            title: `BELLE: ${status.model ?? vscode.l10n.t("no model")} · ${describeState(status.state)}`,
            placeHolder: status.error ?? undefined
        });
        if (picked != null) await vscode.commands.executeCommand(picked.command);
    });

    updateModelContextKeys();
    void openWalkthroughOnFirstRun(context);

    context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration("belle")) return;
        updateModelContextKeys();
        endpoints.refresh();
        const engineKeys = ["model", "gpuLayers", "backend", "contextSize", "parallel", "threads", "loraAdapters"];
        const engineChanged = engineKeys.some((key) => event.affectsConfiguration(`belle.${key}`));
        if (engineChanged && engine.pid != null) {
            log.info("[engine] settings changed: restarting the engine if they change its launch");
            engine.applySettings().catch((error: unknown) => reportEngineError(error, log));
        } else if (engineChanged && event.affectsConfiguration("belle.model"))
            startEngineIfConfigured();
    }));

    return {
        engine: {
            get status() { return engine.status; },
            get pid() { return engine.pid; },
            get baseUrl() { return engine.baseUrl; },
            onDidChangeStatus: engine.onDidChangeStatus,
            start: async () => { await engine.ensureStarted(); },
            stop: () => engine.stop(),
            restart: () => engine.restart()
        },
        evalSetView: evalSetTree,
        trainingViews: {get states() { return TrainingViewPanel.openStates; }}
    };
}

/** VS Code waits for the returned promise: the engine gets its graceful shutdown. */
export function deactivate(): Promise<void> | undefined {
    return supervisor?.stop();
}

/**
 * The walkthrough's "pick a model" and "download" steps tick on these context keys, so they tick when a model is
 * really set or on disk — not when the picker was merely opened, or a download failed offline.
 */
function updateModelContextKeys(): void {
    const model = readBelleSettings().model;
    void vscode.commands.executeCommand("setContext", "belle.modelSet", model !== "");
    void vscode.commands.executeCommand("setContext", "belle.modelDownloaded", hasDownloadedModel());
}

const walkthroughOpenedKey = "belle.walkthroughOpened";

/**
 * A new user (no model set yet) gets the walkthrough once, on the first start after installing: VS Code opens it
 * only for installs from its Extensions view, not for a .vsix installed from the command line. VS Code's own
 * `workbench.welcomePage.walkthroughs.openOnInstall` turns this off too.
 */
async function openWalkthroughOnFirstRun(context: vscode.ExtensionContext): Promise<void> {
    if (context.globalState.get<boolean>(walkthroughOpenedKey) === true) return;
    if (vscode.workspace.getConfiguration("workbench.welcomePage").get<boolean>("walkthroughs.openOnInstall", true) === false) return;
    if (readBelleSettings().model !== "") return;
    await context.globalState.update(walkthroughOpenedKey, true);
    await vscode.commands.executeCommand("workbench.action.openWalkthrough", `${context.extension.id}#firstRun`, false);
}

function reportEngineError(error: unknown, log: vscode.LogOutputChannel): void {
    const message = (error as Error).message;
    log.error(`[engine] ${message}`);
    const showLogs = vscode.l10n.t("Show Logs");
    const selectModelAction = vscode.l10n.t("Select Model");
    void vscode.window.showErrorMessage(vscode.l10n.t("BELLE engine: {0}", message), showLogs, selectModelAction).then((choice) => {
        if (choice === showLogs) log.show();
        else if (choice === selectModelAction) void vscode.commands.executeCommand(commandIds.selectModel);
    });
}
