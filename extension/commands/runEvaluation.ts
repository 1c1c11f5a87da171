import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import {readEvalRunFile} from "../../server/eval/EvalRunFile";
import {readEvalSetFile} from "../../server/eval/readEvalSet";
import type {EvalSampling} from "../../server/eval/runEvalJob";
import {
    evalSamplingLimits, parseEvalSamplingInput, type EvalSamplingKey, type EvalSamplingSettings, type InvalidEvalSetting
} from "../config/evalSamplingSettings";
import type {BelleSettings} from "../config/readBelleSettings";
import type {EngineSupervisor} from "../engine/EngineSupervisor";
import type {EvalCandidate, EvalJudge} from "../evaluate/evalJobCommand";
import {
    configuredRemoteEndpoints, judgePromptsPathOfWorkspace, localServedModel, newRunFilePath, runsFolderOf, samplingOfRun
} from "../evaluate/evalRunSetup";
import {runEvalJobInProcess} from "../evaluate/runEvalJobInProcess";
import {openEvalReport} from "./openEvalReport";

export {judgeApiKeySecret} from "../evaluate/evalRunSetup";

export interface RunEvaluationDependencies {
    /** dist/server.cjs: the eval job runs there (`belle eval --json-lines`), in a process of its own. */
    serverScriptPath: string,
    engine: EngineSupervisor,
    settings: () => BelleSettings,
    secrets: vscode.SecretStorage,
    workspaceState: vscode.Memento,
    log: vscode.LogOutputChannel
}

interface EndpointPick extends vscode.QuickPickItem {
    /** As the candidate (local or remote only) and as the judge. */
    resolve: () => Promise<EvalJudge>,
    /** "reference": no judge model, the answer's overlap with the standard answer (a judge pick only). */
    source: "local" | "remote" | "none" | "reference"
}

/**
 * "BELLE: Run Evaluation": pick an eval set, the model to evaluate and the judge; runs with a cancellable
 * progress notification (done/total, running mean, time left). A cancelled run is offered for resumption the
 * next time the same eval set is evaluated.
 */
export async function runEvaluation(deps: RunEvaluationDependencies, uri?: vscode.Uri): Promise<void> {
    const evalSetUri = uri ?? await pickEvalSet();
    if (evalSetUri == null) return;
    const evalSetPath = evalSetUri.fsPath;

    const evalSet = await readEvalSetFile(evalSetPath);
    const errors = evalSet.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    if (evalSet.items.length === 0) {
        void vscode.window.showErrorMessage(vscode.l10n.t("{0} has no valid eval item ({1} problems). Open it to see them.", path.basename(evalSetPath), evalSet.diagnostics.length));
        return;
    }
    if (errors.length > 0)
        deps.log.warn(`[eval] ${evalSetPath}: ${errors.length} items skipped: ${errors.slice(0, 5).map((error) => `${error.line}:${error.column} ${error.message}`).join("; ")}`);

    const settings = deps.settings();
    for (const invalid of settings.invalidEvalSettings) warnAboutSetting(invalid, deps.log);
    const local: EndpointPick = {
        label: `$(server-process) ${vscode.l10n.t("Local engine")}`,
        description: settings.model === "" ? vscode.l10n.t("no model selected") : settings.model,
        source: "local",
        resolve: async () => ({kind: "engine", served: await localServedModel(deps.engine)})
    };
    const configured = configuredRemoteEndpoints(settings, deps.secrets);
    const remote: EndpointPick | null = configured.remote == null ? null : {
        label: `$(cloud) ${vscode.l10n.t("Remote endpoint")}`,
        description: configured.remote.describe,
        source: "remote",
        resolve: async () => ({kind: "endpoint", endpoint: await configured.remote!.endpoint()})
    };
    const dedicatedJudge: EndpointPick | null = configured.judge == null ? null : {
        label: `$(law) ${vscode.l10n.t("Judge endpoint")}`,
        description: configured.judge.describe,
        detail: vscode.l10n.t("BELLE's judge prompts; the score is read from \"得分:\"."),
        source: "remote",
        resolve: async () => ({kind: "endpoint", endpoint: await configured.judge!.endpoint()})
    };
    const candidates = [local, ...(remote == null ? [] : [remote])];
    const candidate = candidates.length === 1 ? local : await vscode.window.showQuickPick(candidates, {title: vscode.l10n.t("Model to evaluate")});
    if (candidate == null) return;
    const judgePick = await vscode.window.showQuickPick<EndpointPick>([
        ...(dedicatedJudge == null ? [] : [dedicatedJudge]),
        ...(remote == null ? [] : [{...remote, detail: vscode.l10n.t("BELLE's judge prompts; the score is read from \"得分:\".")}]),
        {...local, detail: vscode.l10n.t("BELLE's judge prompts; the reply is constrained to JSON {score, reason}.")},
        {
            label: `$(symbol-ruler) ${vscode.l10n.t("Reference match (offline: overlap with the standard answer)")}`,
            detail: vscode.l10n.t("No judge model: character-level F1 against std_answer; items without one get no score."),
            source: "reference", resolve: async () => ({kind: "reference"})
        },
        {label: `$(circle-slash) ${vscode.l10n.t("No judge: answers only")}`, source: "none", resolve: async () => ({kind: "none"})}
    ], {title: vscode.l10n.t("Judge")});
    if (judgePick == null) return;

    const classes = [...new Set(evalSet.items.map((item) => item.evalClass ?? item.className))].sort();
    const itemsOf = (name: string) => evalSet.items.filter((item) => (item.evalClass ?? item.className) === name);
    // The reference judge scores only against a standard answer: a class without any would come back unscored
    const scorable = (name: string) => judgePick.source !== "reference" || itemsOf(name).some((item) => item.stdAnswer.trim() !== "");
    const pickedClasses = await vscode.window.showQuickPick(classes.map((name) => ({
        label: name, picked: scorable(name),
        description: scorable(name) ? String(itemsOf(name).length)
            : vscode.l10n.t("{0} · no standard answers: the reference judge cannot score them", itemsOf(name).length)
    })), {title: vscode.l10n.t("Classes to evaluate"), canPickMany: true});
    if (pickedClasses == null || pickedClasses.length === 0) return;

    const selectedCount = evalSet.items.filter((item) => pickedClasses.some((pick) => pick.label === (item.evalClass ?? item.className))).length;
    const sampleText = await vscode.window.showInputBox({
        title: vscode.l10n.t("Sample size"),
        prompt: vscode.l10n.t("Evaluate a seeded random sample of this many items; empty: all {0}.", selectedCount),
        validateInput: (text) => text.trim() === "" || /^[1-9]\d*$/.test(text.trim()) ? undefined : vscode.l10n.t("Enter a positive whole number, or leave it empty.")
    });
    if (sampleText == null) return;
    const sampleSize = sampleText.trim() === "" ? undefined : Number(sampleText.trim());

    const judgePromptsPath = judgePromptsPathOfWorkspace(vscode.workspace.getWorkspaceFolder(evalSetUri)?.uri.fsPath);

    const resumeKey = `belle.eval.lastRun:${evalSetPath}`;
    let runFilePath = newRunFilePath(runsFolderOf(evalSetUri), evalSetPath);
    const lastRun = deps.workspaceState.get<{runFilePath: string, total: number}>(resumeKey);
    // A resumed run keeps the sampling it started with: the run file refuses records made with other settings
    let sampling: EvalSampling | null = null;
    if (lastRun != null && fs.existsSync(lastRun.runFilePath)) {
        const contents = await readEvalRunFile(lastRun.runFilePath).catch(() => null);
        const done = contents?.records.length ?? 0;
        if (done < lastRun.total) {
            const resume = vscode.l10n.t("Resume ({0}/{1} done)", done, lastRun.total);
            const choice = await vscode.window.showQuickPick([resume, vscode.l10n.t("Start a new run")], {title: vscode.l10n.t("An earlier run of this eval set did not finish")});
            if (choice == null) return;
            if (choice === resume) {
                runFilePath = lastRun.runFilePath;
                sampling = samplingOfRun(contents?.header.settings);
            }
        }
    }
    let judgeMaxTokens = settings.evalSampling.judgeMaxTokens;
    if (sampling == null) {
        const chosen = await pickSampling(settings.evalSampling, judgePick.source !== "none" && judgePick.source !== "reference");
        if (chosen == null) return;
        sampling = {temperature: chosen.temperature, topP: chosen.topP, maxTokens: chosen.maxTokens};
        judgeMaxTokens = chosen.judgeMaxTokens;
    }
    deps.log.info(`[eval] sampling: temperature ${sampling.temperature}, top-p ${sampling.topP}, max tokens ${sampling.maxTokens}, judge max tokens ${judgeMaxTokens}`);

    let candidateModel: EvalCandidate;
    let judge: EvalJudge;
    try {
        candidateModel = await candidate.resolve() as EvalCandidate;
        judge = await judgePick.resolve();
    } catch (error) {
        void vscode.window.showErrorMessage(vscode.l10n.t("BELLE evaluation: {0}", (error as Error).message));
        return;
    }

    const selectedClasses = pickedClasses.length === classes.length ? undefined : pickedClasses.map((pick) => pick.label);
    const outcome = await runEvalJobInProcess({
        evalSetPath, runFilePath, candidate: candidateModel, judge, sampling, judgeMaxTokens, classes: selectedClasses, sampleSize,
        judgePromptsPath,
        concurrency: judgePick.source === "remote" || candidate.source === "remote" ? 8 : settings.parallel
    }, {
        serverScriptPath: deps.serverScriptPath, log: deps.log, title: vscode.l10n.t("Evaluating {0}", path.basename(evalSetPath)),
        progress: {
            onStarted: ({total}) => void deps.workspaceState.update(resumeKey, {runFilePath, total}),
            describe: ({done, total, failed, meanScore, etaMs}) => [
                `${done}/${total}`,
                meanScore == null ? null : vscode.l10n.t("mean {0}", meanScore.toFixed(3)),
                failed === 0 ? null : vscode.l10n.t("{0} without a score", failed),
                etaMs == null ? null : vscode.l10n.t("about {0} left", formatDuration(etaMs))
            ].filter((part) => part != null).join(" · ")
        }
    });
    if (outcome.error != null) {
        deps.log.error(`[eval] ${runFilePath}: ${outcome.error}`);
        void vscode.window.showErrorMessage(vscode.l10n.t("BELLE evaluation: {0}", outcome.error));
        return;
    }
    if (outcome.finished == null && outcome.progress == null) return; // cancelled before the job had begun
    const done = outcome.finished?.done ?? outcome.progress?.done ?? 0;
    const total = outcome.finished?.total ?? outcome.progress?.total ?? 0;
    const finished = outcome.finished?.complete === true;
    deps.log.info(`[eval] ${finished ? "finished" : "stopped"} ${runFilePath}: ${done}/${total}`);
    const openReport = vscode.l10n.t("Open Report");
    const message = finished
        ? vscode.l10n.t("Evaluation finished: {0} items.", total)
        : vscode.l10n.t("Evaluation stopped at {0}/{1}; run it again to resume.", done, total);
    // Not awaited: the command ends now, not when the user answers this message.
    void vscode.window.showInformationMessage(message, openReport).then(async (choice) => {
        if (choice === openReport) await openEvalReport([runFilePath]);
    });
}

/**
 * The "Sampling" step: the `belle.eval.*` settings as they are, or values typed in for this run. `withJudge`: ask
 * for the judge's cap too. Undefined when the user backs out.
 */
async function pickSampling(fromSettings: EvalSamplingSettings, withJudge: boolean): Promise<EvalSamplingSettings | undefined> {
    const useSettings: vscode.QuickPickItem = {
        label: `$(settings-gear) ${vscode.l10n.t("Use settings")}`,
        description: describeSampling(fromSettings, withJudge)
    };
    const customise: vscode.QuickPickItem = {
        label: `$(edit) ${vscode.l10n.t("Customise…")}`,
        description: vscode.l10n.t("for this run only; the settings stay as they are")
    };
    const choice = await vscode.window.showQuickPick([useSettings, customise], {title: vscode.l10n.t("Sampling")});
    if (choice == null) return undefined;
    if (choice === useSettings) return fromSettings;

    const chosen = {...fromSettings};
    const prompts: Array<[EvalSamplingKey, string]> = [
        ["temperature", vscode.l10n.t("Temperature of the answers: 0 answers the same way every run, higher values vary more.")],
        ["topP", vscode.l10n.t("Top-p of the answers: 1 samples from every token.")],
        ["maxTokens", vscode.l10n.t("Longest answer, in tokens.")],
        ...(withJudge ? [["judgeMaxTokens", vscode.l10n.t("Longest judge reply, in tokens.")] as [EvalSamplingKey, string]] : [])
    ];
    for (const [key, prompt] of prompts) {
        const text = await vscode.window.showInputBox({
            title: vscode.l10n.t("Sampling"),
            prompt,
            value: String(chosen[key]),
            validateInput: (input) => parseEvalSamplingInput(key, input) == null ? describeLimit(key) : undefined
        });
        if (text == null) return undefined;
        chosen[key] = parseEvalSamplingInput(key, text)!;
    }
    return chosen;
}

function describeSampling(sampling: EvalSamplingSettings, withJudge: boolean): string {
    const answers = vscode.l10n.t("temperature {0} · top-p {1} · {2} tokens", sampling.temperature, sampling.topP, sampling.maxTokens);
    return withJudge ? vscode.l10n.t("{0} · judge {1} tokens", answers, sampling.judgeMaxTokens) : answers;
}

function describeLimit(key: EvalSamplingKey): string {
    const {min, max, wholeNumber} = evalSamplingLimits[key];
    return wholeNumber ? vscode.l10n.t("Enter a whole number from {0} to {1}.", min, max) : vscode.l10n.t("Enter a number from {0} to {1}.", min, max);
}

/** Not awaited: the wizard goes on with the default, and the message offers to fix the setting. */
function warnAboutSetting(invalid: InvalidEvalSetting, log: vscode.LogOutputChannel): void {
    log.warn(`[eval] ${invalid.settingId} is ${JSON.stringify(invalid.value)}, which is not allowed; using ${invalid.fallback}`);
    const openSettings = vscode.l10n.t("Open Settings");
    const {min, max, wholeNumber} = evalSamplingLimits[invalid.key];
    const value = JSON.stringify(invalid.value) ?? String(invalid.value);
    const message = wholeNumber
        ? vscode.l10n.t("The setting {0} is {1}, but it must be a whole number from {2} to {3}; {4} is used instead.", invalid.settingId, value, min, max, invalid.fallback)
        : vscode.l10n.t("The setting {0} is {1}, but it must be a number from {2} to {3}; {4} is used instead.", invalid.settingId, value, min, max, invalid.fallback);
    void vscode.window.showWarningMessage(message, openSettings).then(async (choice) => {
        if (choice === openSettings) await vscode.commands.executeCommand("workbench.action.openSettings", invalid.settingId);
    });
}

async function pickEvalSet(): Promise<vscode.Uri | undefined> {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active != null && /\.jsonl?$/i.test(active.fsPath)) return active;
    const uris = await vscode.window.showOpenDialog({
        canSelectMany: false, filters: {[vscode.l10n.t("Eval set")]: ["json", "jsonl"]}, title: vscode.l10n.t("Select an eval set")
    });
    return uris?.[0];
}

function formatDuration(ms: number): string {
    const seconds = Math.ceil(ms / 1000);
    return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}
