import * as vscode from "vscode";
import type {BelleServices} from "../BelleServices";
import {commandIds} from "../commandIds";
import {downloadModelCommand, hasDownloadedModel, selectModel} from "../commands/modelCommands";
import {useLoraAdapter} from "../commands/useLoraAdapter";
import {readBelleSettings} from "../config/readBelleSettings";

const walkthroughOpenedKey = "belle.walkthroughOpened";

/**
 * Models: Select / Download Model, Use as LoRA Adapter, the walkthrough's context keys and its opening on the
 * first run. Returns `useModel`, which makes a model the workspace's and the engine run it.
 */
export function registerModelFeatures(services: BelleServices): {useModel: (modelPath: string) => Promise<void>} {
    const {context, engine, register} = services;
    register(commandIds.selectModel, () => selectModel());
    register(commandIds.downloadModel, () => downloadModelCommand());
    register(commandIds.useLoraAdapter, (uri?: unknown, scale?: unknown) =>
        useLoraAdapter(uri instanceof vscode.Uri ? uri : undefined, typeof scale === "number" ? scale : undefined));

    updateModelContextKeys();
    services.own(vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration("belle.model")) updateModelContextKeys();
    }));
    void openWalkthroughOnFirstRun(context);

    return {
        /**
         * The settings listener and this call both ask `applySettings`, so the engine restarts once (it restarted
         * twice when this also ran Restart Engine).
         */
        useModel: async (modelPath: string) => {
            await vscode.workspace.getConfiguration("belle").update("model", modelPath, vscode.ConfigurationTarget.Workspace);
            await engine.applySettings();
            await engine.ensureStarted();
        }
    };
}

/**
 * The walkthrough's "pick a model" and "download" steps tick on these context keys, so they tick when a model is
 * really set or on disk — not when the picker was merely opened, or a download failed offline.
 */
function updateModelContextKeys(): void {
    void vscode.commands.executeCommand("setContext", "belle.modelSet", readBelleSettings().model !== "");
    void vscode.commands.executeCommand("setContext", "belle.modelDownloaded", hasDownloadedModel());
}

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
