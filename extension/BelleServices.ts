import * as vscode from "vscode";
import type {ChatEndpoints} from "./chat/ChatEndpoints";
import {commandIds} from "./commandIds";
import type {EngineSupervisor} from "./engine/EngineSupervisor";

/**
 * What every feature folder registers itself with (`registerXxxFeatures(services)`): the extension's context and
 * log, the engine and the chat endpoints, and `register`, which ties a command's lifetime to the extension's.
 */
export interface BelleServices {
    readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    /** dist/server.cjs: the engine and every job (`belle train|eval …`) run there, never in the extension host. */
    readonly serverScriptPath: string,
    readonly engine: EngineSupervisor,
    readonly endpoints: ChatEndpoints,
    /** Registers a command for the extension's lifetime. */
    register(command: string, callback: (...args: never[]) => unknown): void,
    /** Adds disposables to the extension's lifetime. */
    own(...disposables: vscode.Disposable[]): void
}

/** An engine that would not start or restart, told to the user with its reason and the ways on. */
export function reportEngineError(error: unknown, log: vscode.LogOutputChannel): void {
    const message = (error as Error).message;
    log.error(`[engine] ${message}`);
    const showLogs = vscode.l10n.t("Show Logs");
    const selectModelAction = vscode.l10n.t("Select Model");
    void vscode.window.showErrorMessage(vscode.l10n.t("BELLE engine: {0}", message), showLogs, selectModelAction).then((choice) => {
        if (choice === showLogs) log.show();
        else if (choice === selectModelAction) void vscode.commands.executeCommand(commandIds.selectModel);
    });
}
