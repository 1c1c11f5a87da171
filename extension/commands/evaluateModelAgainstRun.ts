import fs from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import {readEvalRunFile} from "../../server/eval/EvalRunFile";
import type {EvalRunHeader} from "../../server/eval/report/EvalRunRecord";
import type {BelleSettings} from "../config/readBelleSettings";
import type {EngineSupervisor} from "../engine/EngineSupervisor";
import type {EvalJobRequest, EvalJudge} from "../evaluate/evalJobCommand";
import {
    configuredRemoteEndpoints, judgePromptsPathOfWorkspace, localServedModel, newRunFilePath, samplingOfRun
} from "../evaluate/evalRunSetup";
import {runEvalJobInProcess} from "../evaluate/runEvalJobInProcess";
import {openEvalReport} from "./openEvalReport";

export interface EvaluateModelDependencies {
    /** dist/server.cjs: the eval job runs there (`belle eval --json-lines`), in a process of its own. */
    serverScriptPath: string,
    engine: EngineSupervisor,
    settings: () => BelleSettings,
    secrets: vscode.SecretStorage,
    log: vscode.LogOutputChannel,
    /** Points `belle.model` at a model and restarts the engine on it. */
    useModel(modelPath: string): Promise<void>
}

/** A finished run to repeat: its file, header and how many items it holds. */
export type BaselineRun = {runFilePath: string, header: EvalRunHeader, items: number};

/**
 * The newest run in the workspace's `.belle/runs` folders whose eval set still exists and that holds at least one
 * item: the "last evaluation" that "Evaluate It" repeats. Unreadable run files are passed over.
 */
export async function findLatestEvalRun(folders: readonly string[]): Promise<BaselineRun | null> {
    let latest: BaselineRun | null = null;
    for (const folder of folders) {
        const runsFolder = path.join(folder, ".belle", "runs");
        const names = await fs.readdir(runsFolder).catch(() => [] as string[]);
        for (const name of names.filter((entry) => entry.endsWith(".jsonl"))) {
            const runFilePath = path.join(runsFolder, name);
            const contents = await readEvalRunFile(runFilePath).catch(() => null);
            if (contents == null || contents.records.length === 0) continue;
            if (!await fs.stat(contents.header.evalSetPath).then((stat) => stat.isFile(), () => false)) continue;
            if (latest == null || contents.header.createdAt > latest.header.createdAt)
                latest = {runFilePath, header: contents.header, items: contents.records.length};
        }
    }
    return latest;
}

/**
 * "Evaluate It" after training, and "BELLE: Evaluate Model Against the Last Run" on any .gguf: repeats the newest
 * evaluation of the workspace with this model as the candidate — same eval set, classes, sample (same seed, so the
 * same items), sampling and judge — then opens the comparison with that run as the baseline. The engine is
 * switched to the model (`belle.model`), as "Chat with It" does. Resolves with the new run file, or null.
 */
export async function evaluateModelAgainstLastRun(deps: EvaluateModelDependencies, modelPath: string): Promise<string | null> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === "file").map((folder) => folder.uri.fsPath);
    const baseline = await findLatestEvalRun(folders);
    if (baseline == null) {
        const run = vscode.l10n.t("Run Evaluation");
        const picked = await vscode.window.showInformationMessage(
            vscode.l10n.t("There is no earlier evaluation in this workspace to repeat. Evaluate an eval set first; then this compares the model with it."), run);
        if (picked === run) await vscode.commands.executeCommand("belle.runEvaluation");
        return null;
    }
    const {header} = baseline;
    const sampling = samplingOfRun(header.settings);
    if (sampling == null) {
        void vscode.window.showErrorMessage(vscode.l10n.t("{0} does not record the sampling it ran with, so it cannot be repeated the same way. Run the evaluation again instead.",
            path.basename(baseline.runFilePath)));
        return null;
    }
    const judgeMode = header.settings.judgeMode === "json" || header.settings.judgeMode === "reference" ? header.settings.judgeMode : "belle";
    let judge: () => Promise<EvalJudge>;
    let judgeIsCandidate = false;
    if (judgeMode === "reference") {
        // The reference judge needs no model: the new run is scored against the same standard answers
        judge = async () => ({kind: "reference"});
    } else if (header.judge === "none") {
        judge = async () => ({kind: "none"});
    } else if (judgeMode === "json") {
        // The earlier run was judged by the local engine, which now runs the new model: the scores say so
        judgeIsCandidate = true;
        judge = async () => ({kind: "engine", served: await localServedModel(deps.engine)});
    } else {
        const configured = configuredRemoteEndpoints(deps.settings(), deps.secrets);
        const match = [configured.judge, configured.remote].find((entry) => entry != null && sameEndpoint(entry.describe, header.judge));
        if (match == null) {
            void vscode.window.showErrorMessage(vscode.l10n.t("The judge of {0} ({1}) is not configured any more: set belle.eval.judge.url and belle.eval.judge.model to it, then try again.",
                path.basename(baseline.runFilePath), header.judge));
            return null;
        }
        judge = async () => ({kind: "endpoint", endpoint: await match.endpoint()});
    }

    const evalSetPath = header.evalSetPath;
    const workspaceFolder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(evalSetPath))?.uri.fsPath;
    const runFilePath = newRunFilePath(path.dirname(baseline.runFilePath), evalSetPath);
    const classes = Array.isArray(header.settings.classes) ? header.settings.classes.filter((entry): entry is string => typeof entry === "string") : undefined;
    const sampleSize = typeof header.settings.sampleSize === "number" ? header.settings.sampleSize : undefined;
    const sampleSeed = typeof header.settings.sampleSeed === "number" ? header.settings.sampleSeed : undefined;
    const judgeMaxTokens = typeof header.settings.judgeMaxTokens === "number" ? header.settings.judgeMaxTokens : deps.settings().evalSampling.judgeMaxTokens;
    deps.log.info(`[eval] evaluating ${modelPath} against ${baseline.runFilePath} (${header.model}, judge ${header.judge})`);

    const outcome = await runEvalJobInProcess({
        preparing: vscode.l10n.t("starting the engine on {0}", path.basename(modelPath)),
        prepare: async (): Promise<EvalJobRequest> => {
            await deps.useModel(modelPath);
            const judgeModel = await judge();
            return {
                evalSetPath, runFilePath, candidate: {kind: "engine", served: await localServedModel(deps.engine)}, judge: judgeModel,
                sampling, judgeMaxTokens, classes: classes != null && classes.length > 0 ? classes : undefined, sampleSize, sampleSeed,
                judgePromptsPath: judgePromptsPathOfWorkspace(workspaceFolder),
                // The answer cache is keyed on the model file's sha256: a retrained model never gets the old one's answers
                concurrency: judgeModel.kind === "endpoint" ? 8 : deps.settings().parallel
            };
        }
    }, {
        serverScriptPath: deps.serverScriptPath, log: deps.log,
        title: vscode.l10n.t("Evaluating {0} like {1}", path.basename(modelPath), path.basename(baseline.runFilePath)),
        progress: {
            describe: ({done, total, meanScore}) =>
                [`${done}/${total}`, meanScore == null ? null : vscode.l10n.t("mean {0}", meanScore.toFixed(3))].filter((part) => part != null).join(" · ")
        }
    });
    if (outcome.error != null) {
        deps.log.error(`[eval] ${runFilePath}: ${outcome.error}`);
        void vscode.window.showErrorMessage(vscode.l10n.t("BELLE evaluation: {0}", outcome.error));
        return null;
    }
    if (outcome.finished?.complete !== true) {
        const done = outcome.finished?.done ?? outcome.progress?.done ?? 0;
        const total = outcome.finished?.total ?? outcome.progress?.total ?? 0;
        void vscode.window.showWarningMessage(vscode.l10n.t("Evaluation stopped at {0}/{1}; run it again to resume.", done, total));
        return null;
    }
    await openEvalReport([baseline.runFilePath, runFilePath]);
    if (judgeIsCandidate)
        void vscode.window.showWarningMessage(vscode.l10n.t("The earlier run was judged by the local engine, so this one was judged by the new model itself: compare the scores with care, or use a judge endpoint."));
    return runFilePath;
}

/** A run header names a remote judge `model@baseUrl`; the settings describe it as `model @ url`. */
function sameEndpoint(described: string, judgeLabel: string): boolean {
    const normalise = (text: string) => text.replace(/\s+/g, "").replace(/\/+$/, "");
    return normalise(described) === normalise(judgeLabel);
}

/** The palette's way in: a .gguf of the workspace (trained models in `.belle/models` first), or Browse. */
export async function pickModelToEvaluate(): Promise<string | undefined> {
    const found = await vscode.workspace.findFiles("**/*.gguf", "**/node_modules/**", 200);
    const trainedFirst = found.sort((a, b) => Number(!a.fsPath.includes(`${path.sep}.belle${path.sep}`)) - Number(!b.fsPath.includes(`${path.sep}.belle${path.sep}`)));
    const browse = {label: `$(folder-opened) ${vscode.l10n.t("Browse…")}`, uri: undefined as vscode.Uri | undefined};
    const picked = await vscode.window.showQuickPick([
        ...trainedFirst.map((uri) => ({label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri})), browse
    ], {title: vscode.l10n.t("Model to evaluate")});
    if (picked == null) return undefined;
    if (picked.uri != null) return picked.uri.fsPath;
    return (await vscode.window.showOpenDialog({canSelectMany: false, filters: {GGUF: ["gguf"]}}))?.[0]?.fsPath;
}
