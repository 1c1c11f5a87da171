import * as vscode from "vscode";
import {reportEngineError, type BelleServices} from "../BelleServices";
import {ChatEndpoints} from "../chat/ChatEndpoints";
import {commandIds} from "../commandIds";
import {copyEndpointInfo} from "../commands/copyEndpointInfo";
import {downloadCudaBinariesCommand, prepareCudaBinariesForEngineStart} from "../commands/cudaCommands";
import {configureGpuOffload} from "../commands/modelCommands";
import {readBelleSettings} from "../config/readBelleSettings";
import {describeState, EngineStatusBar} from "../status/EngineStatusBar";
import {EngineSupervisor} from "./EngineSupervisor";
import {resolveEngineLaunch} from "./resolveEngineLaunch";

/** The settings whose change restarts a running engine (when they change its launch). */
const engineSettingKeys = ["model", "gpuLayers", "backend", "contextSize", "parallel", "threads", "loraAdapters"];

/**
 * The engine: its supervisor (nothing starts here), the chat endpoints over it, the status bar, the engine commands
 * and the settings listener that restarts it. A spent crash budget is told to the user with Show Logs, not only in
 * the status bar.
 */
export function registerEngineFeatures({context, log, serverScriptPath, register, own}: Omit<BelleServices, "engine" | "endpoints">):
    {engine: EngineSupervisor, endpoints: ChatEndpoints} {
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
    const endpoints = new ChatEndpoints(engine, readBelleSettings, context.secrets);
    const statusBar = new EngineStatusBar();
    statusBar.update(endpoints.status);
    own(engine, endpoints, statusBar, endpoints.onDidChangeStatus((status) => statusBar.update(status)));
    own(engine.onDidGiveUp((message) => {
        const showLogs = vscode.l10n.t("Show Logs");
        const restart = vscode.l10n.t("Restart Engine");
        void vscode.window.showErrorMessage(vscode.l10n.t("BELLE engine: {0}", message), showLogs, restart).then((choice) => {
            if (choice === showLogs) log.show();
            else if (choice === restart) void vscode.commands.executeCommand(commandIds.restartEngine);
        });
    }));

    const reportingErrors = (action: () => Promise<unknown>) => async () => {
        try {
            return await action();
        } catch (error) {
            reportEngineError(error, log);
            return undefined;
        }
    };
    register(commandIds.startEngine, reportingErrors(() => engine.ensureStarted()));
    register(commandIds.stopEngine, () => engine.stop());
    register(commandIds.restartEngine, reportingErrors(() => engine.restart()));
    register(commandIds.showLogs, () => log.show());
    register(commandIds.downloadCudaBinaries, () => downloadCudaBinariesCommand(cudaBinaries));
    register(commandIds.configureGpuOffload, () => configureGpuOffload(serverScriptPath, log));
    register(commandIds.copyEndpointInfo, reportingErrors(() => copyEndpointInfo(engine)));
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

    own(vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration("belle")) return;
        endpoints.refresh();
        const engineChanged = engineSettingKeys.some((key) => event.affectsConfiguration(`belle.${key}`));
        if (engineChanged && engine.pid != null) {
            log.info("[engine] settings changed: restarting the engine if they change its launch");
            engine.applySettings().catch((error: unknown) => reportEngineError(error, log));
        } else if (engineChanged && event.affectsConfiguration("belle.model"))
            startEngineIfConfigured(engine, log);
    }));
    return {engine, endpoints};
}

/** Starts the local engine when the chat will need it, reporting a failure with its reason and the log. */
export function startEngineIfConfigured(engine: EngineSupervisor, log: vscode.LogOutputChannel): void {
    const settings = readBelleSettings();
    if (settings.remoteUrl !== "" || settings.model === "") return;
    engine.ensureStarted().catch((error: unknown) => reportEngineError(error, log));
}
