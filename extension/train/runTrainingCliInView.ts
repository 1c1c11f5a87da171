import * as vscode from "vscode";
import {isSlurmSubmitLine, type SlurmSubmitLine} from "../../server/train/external/SlurmSubmitLine";
import type {TrainModelDependencies} from "../commands/trainModel";
import {startBelleJobProcess} from "../jobs/startBelleJobProcess";
import {TrainingViewPanel} from "./TrainingViewPanel";
import {slurmSubmitLineToViewEvents, type SlurmMappingContext, type SlurmNoteTexts} from "./slurmSubmitLineToViewEvents";
import {trainWorkerNoteTexts} from "./trainWorkerNoteTexts";

export type TrainingCliRun = {
    /** `belle` arguments that make it print `SlurmSubmitLine`s (`train submit … --json-lines`, `train external … --run --json-lines`). */
    args: readonly string[],
    cwd: string,
    /** One training view per key: a second run of the same job reuses its panel. */
    viewKey: string,
    name: string,
    /** The notification's title. */
    title: string,
    /** The view's epoch total (from the spec); null when unknown. */
    epochs: number | null,
    notes: SlurmNoteTexts,
    /** Prefix of the log lines: `[slurm]`, `[external]`. */
    logTag: string
};

export type FinishedLine = Extract<SlurmSubmitLine, {type: "finished"}>;

export type TrainingCliResult = {
    /** The CLI's last word on the job; null when it failed before (sbatch refused the job, a bad spec). */
    finished: FinishedLine | null,
    /** Why, when `finished` is null: the first line of the CLI's stderr. */
    error: string | null,
    mapping: SlurmMappingContext,
    view: TrainingViewPanel
};

/**
 * Runs `belle <args>` in a child process and shows its JSON lines (a Slurm job or a local trainer: state changes, the
 * trainer's log parsed) in the training view and a cancellable notification. Cancel stops it as `startBelleJobProcess`
 * does every job (SIGTERM): the CLI stops its job (scancel on Slurm) and waits for it to end.
 */
export async function runTrainingCliInView(run: TrainingCliRun, {serverScriptPath, log, extensionUri, chatWith, evaluateWith}: TrainModelDependencies):
    Promise<TrainingCliResult> {
    const {name, logTag} = run;
    let cancelJob: (() => void) | undefined;
    const view = TrainingViewPanel.show(extensionUri, run.viewKey, name, {
        cancel: () => cancelJob?.(),
        chat: (modelPath) => void chatWith(modelPath),
        evaluate: evaluateWith == null ? undefined : (modelPath) => void evaluateWith(modelPath),
        reveal: (modelPath) => void vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(modelPath))
    });
    let mapping: SlurmMappingContext = {
        worker: {
            epochs: run.epochs, stepsPerEpoch: null, contextTokens: null,
            notes: trainWorkerNoteTexts()
        },
        trainerStep: 0, lastErrorLine: null, savedPath: null,
        notes: run.notes
    };

    const result = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification, title: run.title, cancellable: true
    }, async (progress, token) => {
        let finished: FinishedLine | null = null;
        const job = startBelleJobProcess({
            serverScriptPath, args: run.args, cwd: run.cwd, log, logTag,
            onLine: (line) => {
                if (!isSlurmSubmitLine(line)) return;
                const mapped = slurmSubmitLineToViewEvents(line, mapping);
                mapping = mapped.context;
                view.report(mapped.events);
                if (line.type === "submitted") {
                    log.info(`${logTag} ${name}: job ${line.jobId}, script ${line.scriptPath}, log ${line.logPath}`);
                    progress.report({message: vscode.l10n.t("job {0} submitted", line.jobId)});
                } else if (line.type === "state") progress.report({message: vscode.l10n.t("job {0}: {1}", line.jobId, line.state)});
                else if (line.type === "output" && line.event.kind === "text") log.info(`${logTag} ${line.event.line}`);
                else if (line.type === "output" && line.event.kind === "belle" && line.event.message.type === "epoch")
                    progress.report({message: vscode.l10n.t("epoch {0} · loss {1}", line.event.message.epoch + 1, line.event.message.loss.toFixed(3))});
                else if (line.type === "output" && line.event.kind === "trainer" && line.event.record.kind === "train")
                    progress.report({message: vscode.l10n.t("epoch {0} · loss {1}", line.event.record.epoch.toFixed(2), line.event.record.loss.toFixed(3))});
                else if (line.type === "finished") finished = line;
            }
        });
        cancelJob = () => job.stop();
        const subscription = token.onCancellationRequested(() => job.stop());
        const {code, stderr, spawnError} = await job.exited;
        subscription.dispose();
        if (spawnError != null) return {finished: null, error: spawnError};
        // Without a finished line the CLI itself failed (sbatch refused the job, a bad spec): its last words say why
        const error = finished == null ? stderr.trim().split("\n")[0] || vscode.l10n.t("the submitting process exited with code {0}", code ?? "?") : null;
        return {finished: finished as FinishedLine | null, error};
    });
    return {...result, mapping, view};
}

/** The error notification of a run that neither completed nor was cancelled, with Show Logs; true when it failed. */
export function reportTrainingCliFailure({finished, error, mapping, view}: TrainingCliResult, name: string, log: vscode.LogOutputChannel): boolean {
    if (finished != null && (finished.state === "COMPLETED" || finished.cancelled)) return false;
    const reason = finished == null ? error ?? "" : mapping.lastErrorLine ?? mapping.notes.ended(finished.jobId, finished.state, finished.exitCode);
    if (finished == null) view.report([{kind: "status", status: "failed", message: reason, outputPath: null}]);
    const showLog = vscode.l10n.t("Show Logs");
    void vscode.window.showErrorMessage(vscode.l10n.t("Training {0} failed: {1}", name, reason), showLog).then((picked) => {
        if (picked === showLog) log.show();
    });
    return true;
}
