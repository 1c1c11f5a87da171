import * as vscode from "vscode";
import type {BelleExtensionApi} from "./BelleExtensionApi";
import type {BelleServices} from "./BelleServices";
import {registerAnnotationFeatures} from "./annotation/registerAnnotationFeatures";
import {registerChatFeatures} from "./chat/registerChatFeatures";
import type {EngineSupervisor} from "./engine/EngineSupervisor";
import {registerEngineFeatures} from "./engine/registerEngineFeatures";
import {registerEvaluationFeatures} from "./evaluate/registerEvaluationFeatures";
import {registerModelFeatures} from "./models/registerModelFeatures";
import {registerTrainingFeatures} from "./train/registerTrainingFeatures";
import {TrainingViewPanel} from "./train/TrainingViewPanel";

let supervisor: EngineSupervisor | undefined;

/**
 * Cheap by design: each feature folder registers its commands, views and listeners. No model is read and no
 * engine starts until the user opens the chat, sends a message or starts the engine. A feature that fails to
 * register is told to the user with Show Logs and Retry (which registers everything again), not left silent.
 */
export function activate(context: vscode.ExtensionContext): BelleExtensionApi | undefined {
    const log = vscode.window.createOutputChannel("BELLE", {log: true});
    context.subscriptions.push(log);
    const attempt = (): BelleExtensionApi | undefined => {
        const registered: vscode.Disposable[] = [];
        try {
            const api = registerFeatures(context, log, registered);
            context.subscriptions.push(...registered);
            return api;
        } catch (error) {
            for (const disposable of registered.reverse()) {
                try {
                    disposable.dispose();
                } catch (disposeError) {
                    log.warn(`[activate] could not undo a registration: ${(disposeError as Error).message}`);
                }
            }
            log.error(`[activate] ${(error as Error).stack ?? (error as Error).message}`);
            const showLogs = vscode.l10n.t("Show Logs");
            const retry = vscode.l10n.t("Retry");
            void vscode.window.showErrorMessage(vscode.l10n.t("BELLE could not start: {0}", (error as Error).message), showLogs, retry).then((choice) => {
                if (choice === showLogs) log.show();
                else if (choice === retry) attempt();
            });
            return undefined;
        }
    };
    return attempt();
}

/** VS Code waits for the returned promise: the engine gets its graceful shutdown. */
export function deactivate(): Promise<void> | undefined {
    return supervisor?.stop();
}

function registerFeatures(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, registered: vscode.Disposable[]): BelleExtensionApi {
    const serverScriptPath = context.asAbsolutePath("dist/server.cjs");
    const register = (command: string, callback: (...args: never[]) => unknown) => {
        registered.push(vscode.commands.registerCommand(command, callback));
    };
    const own = (...disposables: vscode.Disposable[]) => { registered.push(...disposables); };
    const {engine, endpoints} = registerEngineFeatures({context, log, serverScriptPath, register, own});
    supervisor = engine;
    const services: BelleServices = {context, log, serverScriptPath, engine, endpoints, register, own};

    const {webviews} = registerChatFeatures(services);
    const {useModel} = registerModelFeatures(services);
    const {evalSetDocuments, evalRuns, evalSetTree} = registerAnnotationFeatures(services);
    const {evaluateWith} = registerEvaluationFeatures(services, {evalSetDocuments, evalRuns, useModel});
    registerTrainingFeatures(services, {webviews, useModel, evaluateWith});

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
