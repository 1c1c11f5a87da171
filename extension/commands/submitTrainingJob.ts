import path from "node:path";
import * as vscode from "vscode";
import {readSpecEpochs} from "../train/readSpecEpochs";
import {reportTrainingCliFailure, runTrainingCliInView} from "../train/runTrainingCliInView";
import type {TrainModelDependencies} from "./trainModel";

export {slurmSubmitLineToViewEvents} from "../train/slurmSubmitLineToViewEvents";

/**
 * "BELLE: Submit Training Job to Slurm": runs `belle train submit <spec> --slurm --json-lines` (sbatch, then
 * squeue/sacct and the job's log, see server/cli/trainClusterCommand.ts) from this machine, which must be a Slurm
 * login node sharing the workspace's file system with the compute nodes. The job is shown in its training view and in
 * a cancellable notification; Cancel sends SIGTERM, on which the CLI cancels the job (scancel) and waits for Slurm to
 * confirm. Resolves with the saved model's path, or null.
 */
export async function submitTrainingJobToSlurm(specUri: vscode.Uri, dependencies: TrainModelDependencies): Promise<string | null> {
    const name = path.basename(specUri.fsPath, ".json");
    const result = await runTrainingCliInView({
        args: ["train", "submit", specUri.fsPath, "--slurm", "--json-lines"], cwd: path.dirname(specUri.fsPath),
        viewKey: specUri.fsPath, name, title: vscode.l10n.t("Slurm: training {0}", name), epochs: await readSpecEpochs(specUri), logTag: "[slurm]",
        notes: {
            submitted: (jobId, logPath) => vscode.l10n.t("Submitted Slurm job {0}; its log: {1}", jobId, logPath),
            state: (jobId, state) => vscode.l10n.t("Slurm job {0}: {1}", jobId, state),
            ended: (jobId, state, exitCode) => exitCode == null || exitCode === 0
                ? vscode.l10n.t("Slurm job {0} ended {1}", jobId, state)
                : vscode.l10n.t("Slurm job {0} ended {1} (exit code {2})", jobId, state, exitCode)
        }
    }, dependencies);
    if (reportTrainingCliFailure(result, name, dependencies.log)) return null;
    if (result.finished?.cancelled !== false || result.mapping.savedPath == null) return null;
    const savedPath = result.mapping.savedPath;
    const chat = vscode.l10n.t("Chat with It");
    void vscode.window.showInformationMessage(vscode.l10n.t("Trained model saved: {0}", savedPath), chat).then((picked) => {
        if (picked === chat) void dependencies.chatWith(savedPath);
    });
    return savedPath;
}

