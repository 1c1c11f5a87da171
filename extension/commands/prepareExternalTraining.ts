import {execFile} from "node:child_process";
import path from "node:path";
import {promisify} from "node:util";
import * as vscode from "vscode";
import type {ExternalTrainerPreset} from "../../server/train/external/externalTrainingFiles";
import {localJobId} from "../../server/train/external/SlurmSubmitLine";
import {reportTrainingCliFailure, runTrainingCliInView} from "../train/runTrainingCliInView";
import type {TrainModelDependencies} from "./trainModel";

const execFileAsync = promisify(execFile);

type Choices = {
    preset: ExternalTrainerPreset,
    finetuning: "lora" | "full",
    baseModel: string,
    gpus: number,
    belleTrainDir: string | null,
    slurm: boolean
};

/**
 * "BELLE: Prepare External Training (LLaMA-Factory / DeepSpeed)…" on a job spec: asks for the trainer, LoRA or full,
 * the Hugging Face base model, the GPUs and where to run; writes the trainer's files with `belle train external`
 * (see server/cli/trainExternalCommand.ts) into `<spec name>.<preset>/` next to the spec and opens run.sh; then,
 * when asked to, runs it (here, or on Slurm) with `--run --json-lines`, its loss in the training view.
 */
export async function prepareExternalTraining(specUri: vscode.Uri, dependencies: TrainModelDependencies): Promise<void> {
    const choices = await askChoices();
    if (choices == null) return;
    const name = path.basename(specUri.fsPath, ".json");
    const folder = path.join(path.dirname(specUri.fsPath), `${name}.${choices.preset}`);
    const args = ["train", "external", choices.preset, specUri.fsPath, "--out", folder, "--base-model", choices.baseModel,
        choices.finetuning === "full" ? "--full" : "--lora", "--gpus", String(choices.gpus),
        ...(choices.belleTrainDir == null ? [] : ["--belle-dir", choices.belleTrainDir]), ...(choices.slurm ? ["--slurm"] : [])];

    let prepared: string;
    try {
        prepared = (await execFileAsync(process.execPath, [dependencies.serverScriptPath, ...args], {
            cwd: path.dirname(specUri.fsPath), env: {...process.env, ELECTRON_RUN_AS_NODE: "1"}
        })).stdout;
    } catch (error) {
        // the CLI's own words (`belle: …`), without the usage that follows a usage error
        const reason = ((error as {stderr?: string}).stderr ?? "").trim().split("\n")[0] || (error as Error).message;
        dependencies.log.error(`[external] ${name}: ${reason}`);
        void vscode.window.showErrorMessage(vscode.l10n.t("Could not prepare the external training of {0}: {1}", name, reason));
        return;
    }
    dependencies.log.info(`[external] ${name}: ${prepared.trim()}`);
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, "run.sh")), {preview: false});
    if (choices.slurm)
        await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, "train.slurm.sh")), {preview: false, viewColumn: vscode.ViewColumn.Beside});
    const ggufCommand = ggufCommandFrom(prepared);

    const runNow = vscode.l10n.t("Run Now");
    const onlyPrepare = vscode.l10n.t("Only Prepare");
    const picked = await vscode.window.showInformationMessage(
        choices.slurm ? vscode.l10n.t("The files for {0} are in {1}. Submit the job to Slurm now?", name, folder)
            : vscode.l10n.t("The files for {0} are in {1}. Run the training on this machine now?", name, folder),
        runNow, onlyPrepare);
    if (picked !== runNow) return;
    // The user may have edited the scripts meanwhile: save them, and run them as they are
    for (const document of vscode.workspace.textDocuments)
        if (document.isDirty && path.dirname(document.uri.fsPath) === folder) await document.save();

    const result = await runTrainingCliInView({
        args: [...args, "--run", "--keep-files", "--json-lines"], cwd: path.dirname(specUri.fsPath), viewKey: folder, name, epochs: null, logTag: "[external]",
        title: choices.preset === "llamafactory" ? vscode.l10n.t("LLaMA-Factory: training {0}", name) : vscode.l10n.t("BELLE sft_train.py: training {0}", name),
        notes: {
            submitted: (jobId, logPath) => vscode.l10n.t("Submitted Slurm job {0}; its log: {1}", jobId, logPath),
            state: (jobId, state) => jobId === localJobId ? vscode.l10n.t("The trainer runs on this machine: {0}", state) : vscode.l10n.t("Slurm job {0}: {1}", jobId, state),
            ended: (jobId, state, exitCode) => jobId === localJobId
                ? exitCode == null || exitCode === 0 ? vscode.l10n.t("The trainer ended {0}", state) : vscode.l10n.t("The trainer ended {0} (exit code {1})", state, exitCode)
                : exitCode == null || exitCode === 0 ? vscode.l10n.t("Slurm job {0} ended {1}", jobId, state)
                    : vscode.l10n.t("Slurm job {0} ended {1} (exit code {2})", jobId, state, exitCode)
        }
    }, dependencies);
    if (reportTrainingCliFailure(result, name, dependencies.log) || result.finished?.cancelled !== false) return;
    const copy = vscode.l10n.t("Copy GGUF Conversion Command");
    const actions = ggufCommand == null ? [] : [copy];
    const done = await vscode.window.showInformationMessage(vscode.l10n.t("Training {0} finished: {1}. llama.cpp's conversion script turns it into a GGUF.",
        name, path.join(folder, "output")), ...actions);
    if (done === copy && ggufCommand != null) await vscode.env.clipboard.writeText(ggufCommand);
}

async function askChoices(): Promise<Choices | null> {
    const title = vscode.l10n.t("Prepare External Training");
    const preset = await vscode.window.showQuickPick([
        {label: "LLaMA-Factory", description: "llamafactory-cli train", preset: "llamafactory" as const},
        {label: vscode.l10n.t("BELLE sft_train.py"), description: vscode.l10n.t("torchrun or DeepSpeed, from a BELLE checkout"), preset: "belle-sft" as const}
    ], {title, placeHolder: vscode.l10n.t("Trainer")});
    if (preset == null) return null;
    const finetuning = await vscode.window.showQuickPick([
        {label: "LoRA", description: vscode.l10n.t("an adapter on top of the base model: little GPU memory"), finetuning: "lora" as const},
        {label: vscode.l10n.t("Full fine-tuning"), description: vscode.l10n.t("every weight: several large GPUs"), finetuning: "full" as const}
    ], {title, placeHolder: vscode.l10n.t("Fine-tuning")});
    if (finetuning == null) return null;
    const baseModel = await vscode.window.showInputBox({
        title, prompt: vscode.l10n.t("Base model: a Hugging Face id or a local checkpoint folder (not a GGUF)"),
        placeHolder: "Qwen/Qwen2.5-0.5B-Instruct", ignoreFocusOut: true,
        validateInput: (value) => value.trim() === "" ? vscode.l10n.t("Give the model to train.")
            : /\.gguf$/i.test(value.trim()) ? vscode.l10n.t("These trainers read Hugging Face checkpoints, not GGUF files.") : null
    });
    if (baseModel == null) return null;
    const gpus = await vscode.window.showQuickPick(["1", "2", "4", "8"].map((count) => ({label: count})), {title, placeHolder: vscode.l10n.t("GPUs per node")});
    if (gpus == null) return null;
    let belleTrainDir: string | null = null;
    if (preset.preset === "belle-sft") {
        const picked = await vscode.window.showOpenDialog({
            title: vscode.l10n.t("The train/ folder of a BELLE checkout"), canSelectFolders: true, canSelectFiles: false, canSelectMany: false
        });
        if (picked?.[0] == null) return null;
        belleTrainDir = picked[0].fsPath;
    }
    const where = await vscode.window.showQuickPick([
        {label: vscode.l10n.t("This machine"), slurm: false},
        {label: "Slurm", description: vscode.l10n.t("sbatch from this machine, a login node"), slurm: true}
    ], {title, placeHolder: vscode.l10n.t("Where to run")});
    if (where == null) return null;
    return {preset: preset.preset, finetuning: finetuning.finetuning, baseModel: baseModel.trim(), gpus: Number(gpus.label), belleTrainDir, slurm: where.slurm};
}

/** The llama.cpp command that `belle train external` prints after "Then convert the result to GGUF". */
function ggufCommandFrom(stdout: string): string | null {
    const lines = stdout.split("\n");
    const index = lines.findIndex((line) => line.startsWith("Then convert the result to GGUF"));
    return index < 0 ? null : lines[index + 1]?.trim() || null;
}
