import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import type {ChatEndpoint} from "../../server/eval/requestChatCompletion";
import type {EvalSampling} from "../../server/eval/runEvalJob";
import {remoteApiKeySecret} from "../chat/ChatEndpoints";
import {isValidEvalSamplingValue} from "../config/evalSamplingSettings";
import type {BelleSettings} from "../config/readBelleSettings";
import type {EngineSupervisor} from "../engine/EngineSupervisor";
import type {ServedModel} from "./evalJobCommand";

export const judgeApiKeySecret = "belle.eval.judge.apiKey";

/**
 * The model the local engine serves, started (on `belle.model`) when the run needs it: its URL and token for the
 * eval process, and the files it loaded (the ready line's, not the settings', which may have changed since) for the
 * answer cache's key.
 */
export async function localServedModel(engine: EngineSupervisor): Promise<ServedModel> {
    const ready = await engine.ensureStarted();
    return {
        baseUrl: `http://${ready.host}:${ready.port}/v1`, token: ready.token, model: ready.model, modelPath: ready.modelPath,
        loraAdapters: (ready.loraAdapters ?? []).map(({path: adapterPath, scale}) => ({path: adapterPath, scale}))
    };
}

/** The remote endpoints the settings name: `belle.remote.*` (chat) and `belle.eval.judge.*` (a dedicated judge). */
export function configuredRemoteEndpoints(settings: BelleSettings, secrets: vscode.SecretStorage): {
    remote: {describe: string, endpoint(): Promise<ChatEndpoint>} | null,
    judge: {describe: string, endpoint(): Promise<ChatEndpoint>} | null
} {
    const judgeConfig = vscode.workspace.getConfiguration("belle.eval.judge");
    const judgeUrl = judgeConfig.get<string>("url", "").trim().replace(/\/+$/, "");
    const judgeModel = judgeConfig.get<string>("model", "").trim();
    return {
        remote: settings.remoteUrl === "" ? null : {
            describe: `${settings.remoteModel} @ ${settings.remoteUrl}`,
            endpoint: async () => ({baseUrl: settings.remoteUrl, apiKey: await secrets.get(remoteApiKeySecret), model: settings.remoteModel})
        },
        judge: judgeUrl === "" ? null : {
            describe: `${judgeModel} @ ${judgeUrl}`,
            endpoint: async () => ({baseUrl: judgeUrl, apiKey: await secrets.get(judgeApiKeySecret), model: judgeModel})
        }
    };
}

/** The workspace's `.belle/judge-prompts.json` (laid over BELLE's judge prompts by `belle eval --judge-prompts`), if any. */
export function judgePromptsPathOfWorkspace(workspaceFolder: string | undefined): string | null {
    const overridePath = workspaceFolder == null ? null : path.join(workspaceFolder, ".belle", "judge-prompts.json");
    return overridePath != null && fs.existsSync(overridePath) ? overridePath : null;
}

/** The sampling a run file's header records, or null when it does not record a usable one. */
export function samplingOfRun(settings: Record<string, unknown> | undefined): EvalSampling | null {
    if (settings == null) return null;
    const {temperature, topP, maxTokens, seed} = settings;
    if (!isValidEvalSamplingValue("temperature", temperature) || !isValidEvalSamplingValue("topP", topP) || !isValidEvalSamplingValue("maxTokens", maxTokens))
        return null;
    return {temperature, topP, maxTokens, ...(typeof seed === "number" ? {seed} : {})};
}

/** Where "Run Evaluation" writes the runs of an eval set: `.belle/runs` of its workspace folder, or beside it. */
export function runsFolderOf(evalSetUri: vscode.Uri): string {
    return path.join(vscode.workspace.getWorkspaceFolder(evalSetUri)?.uri.fsPath ?? path.dirname(evalSetUri.fsPath), ".belle", "runs");
}

/** A new run file's path: `<eval set name>-<ISO time>.jsonl` in the runs folder. */
export function newRunFilePath(runsFolder: string, evalSetPath: string): string {
    return path.join(runsFolder, `${path.basename(evalSetPath).replace(/\.[^.]+$/, "")}-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
}
