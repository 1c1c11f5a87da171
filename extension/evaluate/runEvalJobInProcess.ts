import * as vscode from "vscode";
import {isEvalJobLine, type EvalJobLine} from "../../server/eval/EvalJobLine";
import {describeCliFailure} from "../jobs/describeCliFailure";
import {startBelleJobProcess} from "../jobs/startBelleJobProcess";
import {evalJobCommand, type EvalJobRequest} from "./evalJobCommand";

export interface EvalJobOutcome {
    /** The job's last line; null when it failed before it (`error` says why) or could not start. */
    finished: Extract<EvalJobLine, {type: "finished"}> | null,
    /** The last progress line: how far a stopped or failed job got. */
    progress: Extract<EvalJobLine, {type: "progress"}> | null,
    error: string | null,
    cancelled: boolean
}

/** A request made under the job's notification (e.g. once the engine has started on the model), with what it says meanwhile. */
export interface PreparedEvalJobRequest {
    preparing: string,
    prepare(): Promise<EvalJobRequest>
}

export interface EvalJobProgress {
    /** Once the job has opened its run file and counted its items: e.g. to remember the run for resumption. */
    onStarted?(line: Extract<EvalJobLine, {type: "progress"}>): void,
    /** The notification's text for a progress line. */
    describe(line: Extract<EvalJobLine, {type: "progress"}>): string
}

/**
 * Runs an eval job as `belle eval … --json-lines` in a process of its own — the command a terminal or a Slurm
 * array runs — with a cancellable progress notification; Cancel stops the process (SIGTERM), which keeps what it
 * wrote, so running the same request again resumes.
 */
export async function runEvalJobInProcess(request: EvalJobRequest | PreparedEvalJobRequest, {serverScriptPath, log, title, progress: texts}: {
    serverScriptPath: string,
    log: vscode.LogOutputChannel,
    title: string,
    progress: EvalJobProgress
}): Promise<EvalJobOutcome> {
    return vscode.window.withProgress({location: vscode.ProgressLocation.Notification, title, cancellable: true}, async (notification, token) => {
        let ready: EvalJobRequest;
        if ("prepare" in request) {
            notification.report({message: request.preparing});
            try {
                ready = await request.prepare();
            } catch (error) {
                return {finished: null, progress: null, error: (error as Error).message, cancelled: false};
            }
            if (token.isCancellationRequested) return {finished: null, progress: null, error: null, cancelled: true};
        } else ready = request;
        const {args, env} = evalJobCommand(ready);
        let finished: EvalJobOutcome["finished"] = null;
        let last: EvalJobOutcome["progress"] = null;
        let reportedPercent = 0;
        const job = startBelleJobProcess({
            serverScriptPath, args, env, log, logTag: "[eval]",
            onLine: (line) => {
                if (!isEvalJobLine(line)) return;
                if (line.type === "finished") {
                    finished = line;
                    return;
                }
                if (last == null) texts.onStarted?.(line);
                last = line;
                const percent = Math.floor(line.done / Math.max(1, line.total) * 100);
                notification.report({increment: percent - reportedPercent, message: texts.describe(line)});
                reportedPercent = percent;
            }
        });
        const subscription = token.onCancellationRequested(() => job.stop());
        const {code, stderr, spawnError} = await job.exited;
        subscription.dispose();
        const done = finished as EvalJobOutcome["finished"];
        const error = done != null ? null
            : spawnError ?? (job.stopRequested ? null : describeCliFailure(stderr) ?? vscode.l10n.t("the evaluation process exited with code {0}", code ?? "?"));
        return {finished: done, progress: last, error, cancelled: job.stopRequested};
    });
}
