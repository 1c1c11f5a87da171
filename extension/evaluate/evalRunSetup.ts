import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import {mergeJudgePromptsFromText, shippedJudgePrompts, type JudgePromptSet} from "../../server/eval/JudgePromptSet";
import type {ChatEndpoint} from "../../server/eval/requestChatCompletion";
import type {EvalSampling} from "../../server/eval/runEvalJob";
import {remoteApiKeySecret} from "../chat/ChatEndpoints";
import {isValidEvalSamplingValue} from "../config/evalSamplingSettings";
import type {BelleSettings} from "../config/readBelleSettings";
import type {EngineSupervisor} from "../engine/EngineSupervisor";

export const judgeApiKeySecret = "belle.eval.judge.apiKey";

/** The local engine as an eval endpoint: started (on `belle.model`) when the run needs it. */
export async function localEvalEndpoint(engine: EngineSupervisor): Promise<ChatEndpoint> {
    const ready = await engine.ensureStarted();
    return {baseUrl: `http://${ready.host}:${ready.port}/v1`, apiKey: ready.token, model: ready.model, label: `${ready.model} (local engine)`};
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

/**
 * BELLE's judge prompts, with the workspace's `.belle/judge-prompts.json` merged over them when there is one.
 * Throws (naming the file) when that file is broken.
 */
export function judgePromptsOfWorkspace(workspaceFolder: string | undefined, log: vscode.LogOutputChannel): JudgePromptSet {
    const overridePath = workspaceFolder == null ? null : path.join(workspaceFolder, ".belle", "judge-prompts.json");
    if (overridePath == null || !fs.existsSync(overridePath)) return shippedJudgePrompts;
    const prompts = mergeJudgePromptsFromText(shippedJudgePrompts, fs.readFileSync(overridePath, "utf8"), overridePath);
    log.info(`[eval] judge prompts overridden by ${overridePath}`);
    return prompts;
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
