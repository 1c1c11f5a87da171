import {spawn} from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import * as vscode from "vscode";
import {isSlurmSubmitLine, type SlurmSubmitLine} from "../../server/train/external/SlurmSubmitLine";
import {TrainingViewPanel} from "../train/TrainingViewPanel";
import {slurmSubmitLineToViewEvents, type SlurmMappingContext} from "../train/slurmSubmitLineToViewEvents";
import type {TrainModelDependencies} from "./trainModel";

export {slurmSubmitLineToViewEvents} from "../train/slurmSubmitLineToViewEvents";

/**
 * "BELLE: Submit Training Job to Slurm": runs `belle train submit <spec> --slurm --json-lines` (sbatch, then
 * squeue/sacct and the job's log, see server/cli/trainClusterCommand.ts) from this machine, which must be a Slurm
 * login node sharing the workspace's file system with the compute nodes. The job is shown in its training view and in
 * a cancellable notification; Cancel sends SIGTERM, on which the CLI cancels the job (scancel) and waits for Slurm to
 * confirm. Resolves with the saved model's path, or null.
 */
export async function submitTrainingJobToSlurm(specUri: vscode.Uri, {serverScriptPath, log, extensionUri, chatWith, evaluateWith}: TrainModelDependencies):
    Promise<string | null> {
    const name = path.basename(specUri.fsPath, ".json");
    let cancelJob: (() => void) | undefined;
    const view = TrainingViewPanel.show(extensionUri, specUri.fsPath, name, {
        cancel: () => cancelJob?.(),
        chat: (modelPath) => void chatWith(modelPath),
        evaluate: evaluateWith == null ? undefined : (modelPath) => void evaluateWith(modelPath),
        reveal: (modelPath) => void vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(modelPath))
    });
    let mapping: SlurmMappingContext = {
        worker: {
            epochs: await readSpecEpochs(specUri), stepsPerEpoch: null, contextTokens: null,
            notes: {
                dataset: (windows, contextTokens, validationWindows) => validationWindows > 0
                    ? vscode.l10n.t("{0} training windows of {1} tokens, {2} validation windows", windows, contextTokens, validationWindows)
                    : vscode.l10n.t("{0} training windows of {1} tokens, no validation set", windows, contextTokens),
                converted: (from) => vscode.l10n.t("The {0} base model was converted to F32 for training.", from)
            }
        },
        trainerStep: 0, lastErrorLine: null, savedPath: null,
        notes: {
            submitted: (jobId, logPath) => vscode.l10n.t("Submitted Slurm job {0}; its log: {1}", jobId, logPath),
            state: (jobId, state) => vscode.l10n.t("Slurm job {0}: {1}", jobId, state),
            ended: (jobId, state, exitCode) => exitCode == null || exitCode === 0
                ? vscode.l10n.t("Slurm job {0} ended {1}", jobId, state)
                : vscode.l10n.t("Slurm job {0} ended {1} (exit code {2})", jobId, state, exitCode)
        }
    };

    const result = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("Slurm: training {0}", name), cancellable: true
    }, (progress, token) => new Promise<{finished: SlurmSubmitLine | null, error: string | null}>((resolve) => {
        const child = spawn(process.execPath, [serverScriptPath, "train", "submit", specUri.fsPath, "--slurm", "--json-lines"], {
            cwd: path.dirname(specUri.fsPath), stdio: ["ignore", "pipe", "pipe"], env: {...process.env, ELECTRON_RUN_AS_NODE: "1"}
        });
        // SIGTERM, not SIGKILL: the CLI must live on to scancel the job, or it would run on with no one watching
        cancelJob = () => child.kill("SIGTERM");
        token.onCancellationRequested(() => child.kill("SIGTERM"));
        let finished: SlurmSubmitLine | null = null;
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
            stderr = (stderr + chunk).slice(-8_000);
            for (const line of chunk.split("\n")) if (line.trim() !== "") log.info(`[slurm] ${line}`);
        });
        readline.createInterface({input: child.stdout}).on("line", (text) => {
            let line: unknown;
            try {
                line = JSON.parse(text);
            } catch {
                log.info(`[slurm] ${text}`);
                return;
            }
            if (!isSlurmSubmitLine(line)) return;
            const mapped = slurmSubmitLineToViewEvents(line, mapping);
            mapping = mapped.context;
            view.report(mapped.events);
            if (line.type === "submitted") {
                log.info(`[slurm] ${name}: job ${line.jobId}, script ${line.scriptPath}, log ${line.logPath}`);
                progress.report({message: vscode.l10n.t("job {0} submitted", line.jobId)});
            } else if (line.type === "state") progress.report({message: vscode.l10n.t("job {0}: {1}", line.jobId, line.state)});
            else if (line.type === "output" && line.event.kind === "text") log.info(`[slurm job] ${line.event.line}`);
            else if (line.type === "output" && line.event.kind === "belle" && line.event.message.type === "epoch")
                progress.report({message: vscode.l10n.t("epoch {0} · loss {1}", line.event.message.epoch + 1, line.event.message.loss.toFixed(3))});
            else if (line.type === "output" && line.event.kind === "trainer" && line.event.record.kind === "train")
                progress.report({message: vscode.l10n.t("epoch {0} · loss {1}", line.event.record.epoch.toFixed(2), line.event.record.loss.toFixed(3))});
            else if (line.type === "finished") finished = line;
        });
        child.on("error", (error) => resolve({finished: null, error: error.message}));
        child.on("close", (code) => {
            log.info(`[slurm] ${name}: exit ${code}`);
            // Without a finished line the CLI itself failed (sbatch refused the job, a bad spec): its last words say why
            const error = finished == null ? stderr.trim().split("\n")[0] || vscode.l10n.t("the submitting process exited with code {0}", code ?? "?") : null;
            resolve({finished, error});
        });
    }));

    const finished = result.finished?.type === "finished" ? result.finished : null;
    if (finished == null || (finished.state !== "COMPLETED" && !finished.cancelled)) {
        const reason = finished == null ? result.error ?? "" : mapping.lastErrorLine ?? mapping.notes.ended(finished.jobId, finished.state, finished.exitCode);
        if (finished == null) view.report([{kind: "status", status: "failed", message: reason, outputPath: null}]);
        const showLog = vscode.l10n.t("Show Logs");
        void vscode.window.showErrorMessage(vscode.l10n.t("Training {0} failed: {1}", name, reason), showLog).then((picked) => {
            if (picked === showLog) log.show();
        });
        return null;
    }
    if (finished.cancelled || mapping.savedPath == null) return null;
    const savedPath = mapping.savedPath;
    const chat = vscode.l10n.t("Chat with It");
    void vscode.window.showInformationMessage(vscode.l10n.t("Trained model saved: {0}", savedPath), chat).then((picked) => {
        if (picked === chat) void chatWith(savedPath);
    });
    return savedPath;
}

/** The spec's epochs for the view's step total; null when the spec cannot be read (the CLI will say why). */
async function readSpecEpochs(specUri: vscode.Uri): Promise<number | null> {
    let spec: {epochs?: unknown};
    try {
        spec = JSON.parse(await fs.readFile(specUri.fsPath, "utf8")) as {epochs?: unknown};
    } catch {
        return null; // the CLI reads it again and reports the problem
    }
    // `belle train run` defaults to 2 epochs
    return spec.epochs === undefined ? 2 : Number.isInteger(spec.epochs) && (spec.epochs as number) > 0 ? spec.epochs as number : null;
}
