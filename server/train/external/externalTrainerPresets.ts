/**
 * Presets for training outside the extension: a LLaMA-Factory config, BELLE's own `sft_train.py` command line,
 * and a Slurm batch script, all built from one options object; plus parsers for sbatch/squeue/sacct output.
 * Pure: nothing here touches the file system or spawns a process.
 */

export type BelleDataFormat = "single-turn" | "multi-turn";
export type TrainingFileRef = {path: string, format: BelleDataFormat};

export type ExternalTrainerOptions = {
    /** a local checkpoint directory or a Hugging Face id */
    baseModel: string,
    trainFiles: readonly TrainingFileRef[],
    validationFile?: string,
    outputDir: string,
    /** where `dataset_info.json` (and usually the YAML) will be written */
    datasetDir: string,
    finetuning: "lora" | "full",
    epochs?: number,
    /** defaults to BELLE's: 3e-4 for LoRA, 8e-6 for full fine-tuning */
    learningRate?: number,
    cutoffLength?: number,
    perDeviceBatchSize?: number,
    gradientAccumulationSteps?: number,
    gpusPerNode?: number,
    nodes?: number,
    /** path of a DeepSpeed JSON config, or undefined for none */
    deepspeedConfig?: string,
    /** LLaMA-Factory chat template name */
    template?: string,
    loggingSteps?: number,
    saveSteps?: number
};

export class InvalidTrainerOptionsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidTrainerOptionsError";
    }
}

type ResolvedOptions = Required<Omit<ExternalTrainerOptions, "validationFile" | "deepspeedConfig">>
    & Pick<ExternalTrainerOptions, "validationFile" | "deepspeedConfig">;

function resolveOptions(options: ExternalTrainerOptions): ResolvedOptions {
    const resolved: ResolvedOptions = {
        epochs: 3,
        learningRate: options.finetuning === "lora" ? 3e-4 : 8e-6,
        cutoffLength: 1024,
        perDeviceBatchSize: 1,
        gradientAccumulationSteps: 8,
        gpusPerNode: 1,
        nodes: 1,
        template: "default",
        loggingSteps: 10,
        saveSteps: 500,
        ...stripUndefined(options),
        baseModel: options.baseModel,
        trainFiles: options.trainFiles,
        outputDir: options.outputDir,
        datasetDir: options.datasetDir,
        finetuning: options.finetuning
    };
    if (resolved.trainFiles.length === 0) throw new InvalidTrainerOptionsError("at least one training file is needed");
    for (const [name, value] of [["epochs", resolved.epochs], ["learningRate", resolved.learningRate]] as const)
        if (!(Number.isFinite(value) && value > 0)) throw new InvalidTrainerOptionsError(`${name} must be a positive number`);
    for (const name of ["cutoffLength", "perDeviceBatchSize", "gradientAccumulationSteps", "gpusPerNode", "nodes",
        "loggingSteps", "saveSteps"] as const)
        if (!(Number.isSafeInteger(resolved[name]) && resolved[name] > 0))
            throw new InvalidTrainerOptionsError(`${name} must be a positive integer`);
    return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------- shell and YAML quoting

/** Quotes one word for POSIX sh/bash; safe words stay bare so commands remain readable. */
export function shellQuote(word: string): string {
    if (word !== "" && /^[A-Za-z0-9_\-.,:/@%+=]+$/.test(word)) return word;
    return "'" + word.replaceAll("'", "'\\''") + "'";
}

export type YamlScalar = string | number | boolean;

/** Serialises a flat mapping. Strings are always double-quoted (JSON escaping is valid YAML). */
export function toYaml(mapping: Readonly<Record<string, YamlScalar>>): string {
    return Object.entries(mapping).map(([key, value]) => `${key}: ${yamlScalar(value)}`).join("\n") + "\n";
}

function yamlScalar(value: YamlScalar): string {
    if (typeof value === "boolean") return value ? "true" : "false";
    if (typeof value === "string") return JSON.stringify(value);
    if (Number.isNaN(value)) return ".nan";
    if (!Number.isFinite(value)) return value > 0 ? ".inf" : "-.inf";
    if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
    // PyYAML (YAML 1.1) reads `3e-4` as a string; it needs a dot in the mantissa and a signed exponent: `3.0e-4`.
    const text = String(value);
    const exponent = /^(-?\d+)(\.\d+)?e([-+]\d+)$/.exec(text);
    if (exponent == null) return text;
    return `${exponent[1]}${exponent[2] ?? ".0"}e${exponent[3]}`;
}

// ---------------------------------------------------------------- LLaMA-Factory

export type DatasetInfoEntry = {
    file_name: string,
    formatting: "alpaca" | "sharegpt",
    columns: Record<string, string>,
    tags?: Record<string, string>
};

export function datasetName(index: number): string {
    return `belle_train_${index}`;
}
export const validationDatasetName = "belle_validation";

export function datasetInfoEntry(file: TrainingFileRef): DatasetInfoEntry {
    if (file.format === "single-turn")
        return {
            file_name: file.path,
            formatting: "alpaca",
            columns: {prompt: "instruction", query: "input", response: "output"}
        };
    return {
        file_name: file.path,
        formatting: "sharegpt",
        columns: {messages: "conversations"},
        tags: {role_tag: "from", content_tag: "value", user_tag: "human", assistant_tag: "assistant"}
    };
}

/** The contents of `dataset_info.json` for `datasetDir`; paths are kept absolute-as-given (LLaMA-Factory joins). */
export function llamaFactoryDatasetInfo(options: ExternalTrainerOptions): Record<string, DatasetInfoEntry> {
    const info: Record<string, DatasetInfoEntry> = {};
    options.trainFiles.forEach((file, index) => {
        info[datasetName(index)] = datasetInfoEntry(file);
    });
    if (options.validationFile !== undefined)
        info[validationDatasetName] = datasetInfoEntry({path: options.validationFile, format: options.trainFiles[0]?.format ?? "single-turn"});
    return info;
}

export function llamaFactoryConfig(options: ExternalTrainerOptions): Record<string, YamlScalar> {
    const o = resolveOptions(options);
    const config: Record<string, YamlScalar> = {
        model_name_or_path: o.baseModel,
        trust_remote_code: true,
        stage: "sft",
        do_train: true,
        finetuning_type: o.finetuning
    };
    if (o.finetuning === "lora")
        Object.assign(config, {lora_target: "all", lora_rank: 16, lora_alpha: 32, lora_dropout: 0.05});
    if (o.deepspeedConfig !== undefined) config.deepspeed = o.deepspeedConfig;
    Object.assign(config, {
        dataset: o.trainFiles.map((_, index) => datasetName(index)).join(","),
        dataset_dir: o.datasetDir,
        template: o.template,
        cutoff_len: o.cutoffLength,
        overwrite_cache: true,
        preprocessing_num_workers: 16,
        output_dir: o.outputDir,
        logging_steps: o.loggingSteps,
        save_steps: o.saveSteps,
        plot_loss: true,
        overwrite_output_dir: true,
        per_device_train_batch_size: o.perDeviceBatchSize,
        gradient_accumulation_steps: o.gradientAccumulationSteps,
        learning_rate: o.learningRate,
        num_train_epochs: o.epochs,
        lr_scheduler_type: "cosine",
        warmup_ratio: 0.1,
        bf16: true,
        ddp_timeout: 180000000
    });
    if (o.validationFile !== undefined)
        Object.assign(config, {
            eval_dataset: validationDatasetName,
            per_device_eval_batch_size: o.perDeviceBatchSize,
            eval_strategy: "steps",
            eval_steps: o.saveSteps
        });
    return config;
}

export function llamaFactoryYaml(options: ExternalTrainerOptions): string {
    return toYaml(llamaFactoryConfig(options));
}

/**
 * `llamafactory-cli train <yaml>`; with more than one GPU or node LLaMA-Factory must be told to use torchrun.
 * On several nodes the rank and master come from the environment (see `slurmBatchScript`).
 */
export function llamaFactoryCommand(options: ExternalTrainerOptions, yamlPath: string): string {
    const o = resolveOptions(options);
    const command = `llamafactory-cli train ${shellQuote(yamlPath)}`;
    if (o.nodes === 1 && o.gpusPerNode === 1) return command;
    const env = [`FORCE_TORCHRUN=1`, `NNODES=${o.nodes}`, `NPROC_PER_NODE=${o.gpusPerNode}`];
    if (o.nodes > 1) env.push(`NODE_RANK="$SLURM_NODEID"`, `MASTER_ADDR="$MASTER_ADDR"`, `MASTER_PORT="$MASTER_PORT"`);
    return `${env.join(" ")} ${command}`;
}

// ---------------------------------------------------------------- BELLE's own trainer

export type BelleCommandOptions = {
    /** relative to BELLE's `train/` directory */
    script?: string,
    loraConfig?: string,
    /** BELLE's scripts want `--llama` for LLaMA-family checkpoints */
    llama?: boolean,
    launcher?: "torchrun" | "deepspeed"
};

/** The command line of BELLE's `train/scripts/run_sft.sh`, as one string (run it from BELLE's `train/`). */
export function belleTrainCommand(options: ExternalTrainerOptions, belle: BelleCommandOptions = {}): string {
    const o = resolveOptions(options);
    const {script = "src/entry_point/sft_train.py", loraConfig = "configs/lora_config_llama.json", llama = true} = belle;
    const launcher = belle.launcher ?? (o.deepspeedConfig !== undefined && o.nodes === 1 ? "deepspeed" : "torchrun");
    if (o.trainFiles.length > 1)
        throw new InvalidTrainerOptionsError("BELLE's trainer takes one --train_file; merge the files first");
    const args: string[] = launcher === "deepspeed"
        ? ["deepspeed", "--num_gpus", String(o.gpusPerNode), script]
        : ["torchrun", "--nproc_per_node", String(o.gpusPerNode),
            ...(o.nodes > 1 ? ["--nnodes", String(o.nodes), "--node_rank", '"$SLURM_NODEID"',
                "--master_addr", '"$MASTER_ADDR"', "--master_port", '"$MASTER_PORT"'] : []),
            script];
    const flag = (name: string, value?: string | number) => {
        args.push(`--${name}`);
        if (value !== undefined) args.push(typeof value === "number" ? String(value) : shellQuote(value));
    };
    flag("ddp_timeout", 36000);
    flag("model_name_or_path", o.baseModel);
    if (llama) flag("llama");
    if (o.finetuning === "lora") {
        flag("use_lora");
        flag("lora_config", loraConfig);
    }
    if (o.deepspeedConfig !== undefined) flag("deepspeed", o.deepspeedConfig);
    flag("train_file", o.trainFiles[0]!.path);
    if (o.validationFile !== undefined) flag("validation_file", o.validationFile);
    flag("per_device_train_batch_size", o.perDeviceBatchSize);
    flag("per_device_eval_batch_size", o.perDeviceBatchSize);
    flag("gradient_accumulation_steps", o.gradientAccumulationSteps);
    flag("num_train_epochs", o.epochs);
    flag("model_max_length", o.cutoffLength);
    flag("save_strategy", "steps");
    flag("save_steps", o.saveSteps);
    flag("save_total_limit", 3);
    flag("learning_rate", String(o.learningRate));
    flag("weight_decay", "0.00001");
    flag("warmup_ratio", "0.01");
    flag("lr_scheduler_type", "cosine");
    flag("logging_steps", o.loggingSteps);
    if (o.validationFile !== undefined) flag("evaluation_strategy", "steps");
    flag("torch_dtype", "bfloat16");
    flag("bf16");
    flag("seed", 1234);
    flag("gradient_checkpointing");
    flag("output_dir", o.outputDir);
    return args.join(" ");
}

// ---------------------------------------------------------------- Slurm

export type SlurmOptions = {
    jobName: string,
    /** `HH:MM:SS` or `D-HH:MM:SS` */
    time?: string,
    cpusPerTask?: number,
    /** log file; `%j` becomes the job id */
    logPath: string,
    partition?: string,
    workDir?: string,
    /** lines run before the command (module load, conda activate) */
    setup?: readonly string[],
    masterPort?: number,
    /** `--gres` (default `gpu:<gpusPerNode>`, or a typed one such as `gpu:a100:4`); null for none, where GPUs are not gres */
    gres?: string | null
};

/** A batch script that runs `command` (built with the same options), once per node under srun when multi-node. */
export function slurmBatchScript(options: ExternalTrainerOptions, slurm: SlurmOptions, command: string): string {
    const o = resolveOptions(options);
    const {time = "24:00:00", cpusPerTask = 8 * o.gpusPerNode, masterPort = 29500, gres = `gpu:${o.gpusPerNode}`} = slurm;
    if (!/^(\d+-)?\d{1,3}:\d{2}:\d{2}$/.test(time)) throw new InvalidTrainerOptionsError(`bad Slurm time ${time}`);
    // sbatch reads #SBATCH lines itself, not through a shell: keep the job name to safe characters.
    const jobName = slurm.jobName.replace(/[^A-Za-z0-9_.-]+/g, "_") || "belle-train";
    const lines = [
        "#!/bin/bash",
        `#SBATCH --job-name=${jobName}`,
        `#SBATCH --nodes=${o.nodes}`,
        "#SBATCH --ntasks-per-node=1",
        ...(gres == null ? [] : [`#SBATCH --gres=${sbatchValue(gres)}`]),
        `#SBATCH --cpus-per-task=${cpusPerTask}`,
        `#SBATCH --time=${time}`,
        `#SBATCH --output=${sbatchValue(slurm.logPath)}`
    ];
    if (slurm.partition !== undefined) lines.push(`#SBATCH --partition=${sbatchValue(slurm.partition)}`);
    lines.push("", "set -euo pipefail");
    if (slurm.workDir !== undefined) lines.push(`cd ${shellQuote(slurm.workDir)}`);
    lines.push(...(slurm.setup ?? []));
    if (o.nodes > 1) {
        lines.push(
            `export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)"`,
            `export MASTER_PORT=${masterPort}`,
            // The per-node rank ($SLURM_NODEID) must expand inside each srun task, not in the batch shell.
            `srun bash -c ${shellQuote(command)}`
        );
    } else lines.push(command);
    return lines.join("\n") + "\n";
}

/** A `#SBATCH` option value: sbatch reads these lines itself, so double quotes (not shell quoting) protect spaces. */
export function sbatchValue(value: string): string {
    return /^[^\s"'\\]+$/.test(value) ? value : JSON.stringify(value);
}

/** The job id from sbatch's `Submitted batch job 12345` (or `--parsable`'s `12345[;cluster]`), else null. */
export function parseSbatchOutput(output: string): string | null {
    const submitted = /Submitted batch job (\d+)/.exec(output);
    if (submitted != null) return submitted[1]!;
    const parsable = /^\s*(\d+)(?:;\S+)?\s*$/.exec(output);
    return parsable?.[1] ?? null;
}

export const slurmJobStates = ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING",
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE",
    "UNKNOWN"] as const;
export type SlurmJobState = typeof slurmJobStates[number];
const finishedStates = new Set<SlurmJobState>(["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY",
    "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE"]);

export type SlurmJobStatus = {state: SlurmJobState, finished: boolean, exitCode?: number, signal?: number};

function normalizeState(text: string): SlurmJobState {
    // sacct prints `CANCELLED by 1000` and may truncate or suffix with `+`.
    const word = text.trim().split(/\s+/)[0]?.replace(/\+$/, "").toUpperCase() ?? "";
    return (slurmJobStates as readonly string[]).includes(word) ? word as SlurmJobState : "UNKNOWN";
}

/**
 * `scontrol show job -o`: `JobState=FAILED Reason=NonZeroExitCode … ExitCode=3:0 …` on one line. What a cluster
 * without an accounting database (sacct: "Slurm accounting storage is disabled") still says about a finished job,
 * for MinJobAge seconds after it ended.
 */
export function parseScontrolJobState(output: string): SlurmJobStatus | null {
    const stateText = /(?:^|\s)JobState=(\S+)/.exec(output)?.[1];
    if (stateText === undefined) return null;
    const state = normalizeState(stateText);
    const status: SlurmJobStatus = {state, finished: finishedStates.has(state)};
    const exit = /(?:^|\s)ExitCode=(\d+):(\d+)/.exec(output);
    if (exit != null) {
        status.exitCode = Number(exit[1]);
        status.signal = Number(exit[2]);
    }
    return status;
}

/** squeue's `%T` output; empty output means the job has left the queue (ask sacct), so null. */
export function parseSqueueState(output: string): SlurmJobStatus | null {
    const line = output.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "");
    if (line === undefined) return null;
    const state = normalizeState(line);
    return {state, finished: finishedStates.has(state)};
}

/** sacct `-n -P -o State,ExitCode`: the first line is the job itself; later lines are its steps (batch, extern). */
export function parseSacctState(output: string): SlurmJobStatus | null {
    const line = output.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "");
    if (line === undefined) return null;
    const [stateText = "", exitText = ""] = line.split("|");
    const state = normalizeState(stateText);
    const status: SlurmJobStatus = {state, finished: finishedStates.has(state)};
    const exit = /^(\d+):(\d+)$/.exec(exitText.trim());
    if (exit != null) {
        status.exitCode = Number(exit[1]);
        status.signal = Number(exit[2]);
    }
    return status;
}
