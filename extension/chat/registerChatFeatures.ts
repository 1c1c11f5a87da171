import * as vscode from "vscode";
import {uiStrings} from "../../webview/protocol/uiStrings";
import type {BelleServices} from "../BelleServices";
import {commandIds} from "../commandIds";
import {readBelleSettings} from "../config/readBelleSettings";
import {translateStrings} from "../l10n/translateStrings";
import {startEngineIfConfigured} from "../engine/registerEngineFeatures";
import {remoteApiKeySecret} from "./ChatEndpoints";
import {ChatWebviews} from "./ChatWebviews";
import {ConversationStore} from "./ConversationStore";

/** The chat (editor panel and sidebar), its commands and the remote endpoint's key. */
export function registerChatFeatures(services: BelleServices): {webviews: ChatWebviews} {
    const {context, log, engine, endpoints, register} = services;
    const webviews = new ChatWebviews(context.extensionUri, {
        store: new ConversationStore(context.globalStorageUri.fsPath),
        endpoints,
        log,
        defaultSettings: () => readBelleSettings().conversationDefaults,
        uiStrings: () => translateStrings(uiStrings),
        runCommand: (command) => vscode.commands.executeCommand(command)
    });
    services.own(webviews);

    register(commandIds.openChat, () => {
        webviews.openPanel();
        startEngineIfConfigured(engine, log);
    });
    register(commandIds.newChat, () => webviews.targetSession().showNewConversation());
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
        startEngineIfConfigured(engine, log);
    });
    register(commandIds.setRemoteApiKey, () => askForSecret(context.secrets, remoteApiKeySecret, vscode.l10n.t("API key for the remote endpoint")));
    return {webviews};
}

/** Asks for an API key and keeps it in SecretStorage only; an empty answer removes it. */
export async function askForSecret(secrets: vscode.SecretStorage, secret: string, title: string): Promise<void> {
    const key = await vscode.window.showInputBox({
        title,
        prompt: vscode.l10n.t("Stored in VS Code's secret storage, never in settings or logs. Leave empty to remove it."),
        password: true,
        ignoreFocusOut: true
    });
    if (key == null) return;
    if (key.trim() === "") await secrets.delete(secret);
    else await secrets.store(secret, key.trim());
}
