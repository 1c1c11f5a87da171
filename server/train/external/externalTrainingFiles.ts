import path from "node:path";
import {
    belleTrainCommand, InvalidTrainerOptionsError, llamaFactoryCommand, llamaFactoryConfig, llamaFactoryDatasetInfo, shellQuote, slurmBatchScript,
    toYaml, type ExternalTrainerOptions, type SlurmOptions
} from "./externalTrainerPresets";
import {ggufConversionCommand} from "./ggufConversionCommand";

export const externalTrainerPresets = ["llamafactory", "belle-sft"] as const;
export type ExternalTrainerPreset = typeof externalTrainerPresets[number];

export type ExternalTrainingFilesOptions = {
    preset: ExternalTrainerPreset,
    /** `outputDir` and `datasetDir` are set here, inside `folder`. */
    trainer: Omit<ExternalTrainerOptions, "outputDir" | "datasetDir">,
    /** Absolute; every file is written here, and the trainer saves into its `output/`. */
    folder: string,
    /** Names the GGUF file and the Slurm job. */
    name: string,
    /** `trainer.baseModel` is a local checkpoint folder (absolute), not a Hugging Face id. */
    baseModelIsDirectory: boolean,
    /** LLaMA-Factory: train on the prompts too (`train_on_prompt`), as the spec's `lossOn: "all"` asks. */
    trainOnPrompt?: boolean,
    /** LLaMA-Factory: hold out this share of the training data for evaluation (`val_size`). */
    validationShare?: number,
    /** BELLE's `train/` folder, where sft_train.py runs; absent: `$BELLE_TRAIN_DIR` at run time. */
    belleTrainDir?: string,
    /** With it, a Slurm batch script too. */
    slurm?: Omit<SlurmOptions, "jobName" | "logPath" | "workDir">
};

export type ExternalTrainingFile = {path: string, content: string, executable: boolean};

export type ExternalTrainingFiles = {
    files: ExternalTrainingFile[],
    /** `bash run.sh` runs the trainer here, its output also going to `logPath`. */
    runScriptPath: string,
    logPath: string,
    batchScriptPath: string | null,
    /** The batch script's `--output`; `%j` becomes the job id. */
    slurmLogPattern: string | null,
    /** What to type: `bash …/run.sh`, or `sbatch …/train.slurm.sh`. */
    startCommand: string,
    /** Where the trainer saves (the checkpoint or the LoRA adapter). */
    outputDir: string,
    ggufPath: string,
    /** llama.cpp's conversion of `outputDir` to `ggufPath`, to run after training. */
    ggufCommand: string
};

/**
 * Everything a run of an external trainer needs, as files to write into one folder: the trainer's config
 * (LLaMA-Factory: a YAML and the `dataset_info.json` that names the BELLE data), `run.sh` and, for Slurm, a batch
 * script. Pure: the caller writes the files.
 */
export function externalTrainingFiles(options: ExternalTrainingFilesOptions): ExternalTrainingFiles {
    const {preset, folder, name} = options;
    const file = (base: string) => path.join(folder, base);
    const outputDir = file("output");
    const trainer: ExternalTrainerOptions = {...options.trainer, outputDir, datasetDir: folder};
    const files: ExternalTrainingFile[] = [];
    let command: string;
    if (preset === "llamafactory") {
        const config = llamaFactoryConfig(trainer);
        if (options.trainOnPrompt === true) config.train_on_prompt = true;
        if (options.validationShare !== undefined && options.validationShare > 0) {
            if (trainer.validationFile !== undefined) throw new InvalidTrainerOptionsError("a validation share and a validation file exclude each other");
            Object.assign(config, {val_size: options.validationShare, per_device_eval_batch_size: config.per_device_train_batch_size ?? 1,
                eval_strategy: "steps", eval_steps: config.save_steps ?? 500});
        }
        const yamlPath = file("llamafactory.yaml");
        files.push({path: yamlPath, content: toYaml(config), executable: false});
        files.push({path: file("dataset_info.json"), content: JSON.stringify(llamaFactoryDatasetInfo(trainer), null, 2) + "\n", executable: false});
        command = llamaFactoryCommand(trainer, yamlPath);
    } else {
        if (options.validationShare !== undefined && options.validationShare > 0)
            throw new InvalidTrainerOptionsError("BELLE's sft_train.py takes a validation file, not a share: split the data with `belle train split` and set validationFile");
        command = belleTrainCommand(trainer);
    }
    // Multi-node runs get their rank from Slurm: run.sh is for this machine only
    const workDir = preset === "belle-sft" ? options.belleTrainDir ?? null : folder;
    const cd = workDir == null
        ? `cd "\${BELLE_TRAIN_DIR:?set BELLE_TRAIN_DIR to the train/ folder of a BELLE checkout}"`
        : `cd ${shellQuote(workDir)}`;

    const logPath = file("train.log");
    const ggufPath = file(`${name}${trainer.finetuning === "lora" ? "-lora" : ""}.gguf`);
    const ggufCommand = ggufConversionCommand({
        finetuning: trainer.finetuning, trainedDir: outputDir, outFile: ggufPath,
        baseModel: options.baseModelIsDirectory ? {directory: trainer.baseModel} : {id: trainer.baseModel}
    });
    const runScriptPath = file("run.sh");
    const trainerName = preset === "llamafactory" ? "LLaMA-Factory" : "BELLE's sft_train.py";
    files.push({
        path: runScriptPath, executable: true,
        content: [
            "#!/usr/bin/env bash",
            `# ${trainerName}: ${trainer.finetuning === "lora" ? "LoRA" : "full"} fine-tuning, written by \`belle train external\`.`,
            "set -euo pipefail",
            cd,
            // pipefail: the trainer's failure is the script's, although tee succeeds
            `${command} 2>&1 | tee ${shellQuote(logPath)}`,
            "",
            "# Then, from a llama.cpp checkout (pip install -r requirements.txt), convert the result to GGUF:",
            `# ${ggufCommand}`,
            ""
        ].join("\n")
    });

    let batchScriptPath: string | null = null;
    let slurmLogPattern: string | null = null;
    if (options.slurm !== undefined) {
        batchScriptPath = file("train.slurm.sh");
        slurmLogPattern = file("train-%j.log");
        // The trainer's command itself, not run.sh: on several nodes srun starts it once per node, with its rank
        const setup = workDir == null ? [cd] : [];
        const script = slurmBatchScript(trainer, {
            ...options.slurm, setup: [...setup, ...options.slurm.setup ?? []], jobName: `belle-${name}`, logPath: slurmLogPattern,
            workDir: workDir ?? undefined
        }, command);
        files.push({
            path: batchScriptPath, executable: true,
            content: `${script}\n# Then, from a llama.cpp checkout (pip install -r requirements.txt), convert the result to GGUF:\n# ${ggufCommand}\n`
        });
    }
    return {
        files, runScriptPath, logPath, batchScriptPath, slurmLogPattern, outputDir, ggufPath, ggufCommand,
        startCommand: batchScriptPath == null ? `bash ${shellQuote(runScriptPath)}` : `sbatch ${shellQuote(batchScriptPath)}`
    };
}
