import fs from "node:fs/promises";
import path from "node:path";
import {parseArgs} from "node:util";
import {readTrainingFile} from "../train/data/readTrainingFile";
import {InvalidTrainerOptionsError, type BelleDataFormat, type SlurmJobState} from "../train/external/externalTrainerPresets";
import {externalTrainerPresets, externalTrainingFiles, type ExternalTrainerPreset, type ExternalTrainingFiles} from "../train/external/externalTrainingFiles";
import type {JobOutputEvent} from "../train/external/parseJobOutputLine";
import {runLocalJob} from "../train/external/runLocalJob";
import {followSlurmJob, submitSlurmJob} from "../train/external/SlurmJob";
import {localJobId, type SlurmSubmitLine} from "../train/external/SlurmSubmitLine";
import {readTrainJobSpec} from "../train/TrainJobSpec";
import {CliUsageError} from "./CliUsageError";
import {SlurmJobFailedError} from "./trainClusterCommand";

export const trainExternalUsage = `belle train external <llamafactory|belle-sft> <spec.json> --out <folder> --base-model <HF id or folder>
        [--lora | --full] [--gpus <n>] [--nodes <n>] [--deepspeed <config.json>] [--template <name>] [--belle-dir <BELLE/train>]
        [--slurm [--partition <name>] [--time <HH:MM:SS>] [--cpus <n>] [--gres <spec> | --gres none]] [--run [--keep-files]] [--json-lines]
    Prepares a run of LLaMA-Factory (\`llamafactory-cli train\`) or of BELLE's src/entry_point/sft_train.py (torchrun, or
    deepspeed with --deepspeed) on the spec's trainingFile (epochs, learningRate, contextTokens, validationSplit or
    validationFile, lossOn apply; baseModel, a GGUF, does not: --base-model is the Hugging Face checkpoint). Writes
    into --out the trainer's config (llamafactory.yaml, dataset_info.json), run.sh (its log goes to train.log) and,
    with --slurm, train.slurm.sh; prints the command to start it and llama.cpp's command that converts the result to
    GGUF. --run starts it (here, or sbatch with --slurm) and prints the trainer's loss as it logs it; Ctrl+C stops it
    (scancel on Slurm). --keep-files runs the files already in --out as they are (edited by hand). --json-lines
    prints \`train submit --json-lines\`'s lines (job id "local" for a run here).`;

export class ExternalTrainingFailedError extends Error {
    override name = "ExternalTrainingFailedError";
}

/** `belle train external`: an external trainer's files for a job spec, and optionally the run. */
export async function trainExternalCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({
        args: argv, allowPositionals: true, strict: true,
        options: {
            out: {type: "string"},
            "base-model": {type: "string"},
            lora: {type: "boolean", default: false},
            full: {type: "boolean", default: false},
            gpus: {type: "string", default: "1"},
            nodes: {type: "string", default: "1"},
            deepspeed: {type: "string"},
            template: {type: "string"},
            "belle-dir": {type: "string"},
            slurm: {type: "boolean", default: false},
            partition: {type: "string"},
            time: {type: "string", default: "24:00:00"},
            cpus: {type: "string"},
            gres: {type: "string"},
            run: {type: "boolean", default: false},
            "keep-files": {type: "boolean", default: false},
            "json-lines": {type: "boolean", default: false},
            "poll-interval-ms": {type: "string", default: "1000"}
        }
    });
    const [presetName, specArgument] = positionals;
    if (positionals.length !== 2 || !(externalTrainerPresets as readonly string[]).includes(presetName!))
        throw new CliUsageError(`external needs a preset (${externalTrainerPresets.join(" or ")}) and the job spec (a .json file).`);
    const preset = presetName as ExternalTrainerPreset;
    if (values.out === undefined) throw new CliUsageError("external needs --out <folder> for the files it writes.");
    if (values["base-model"] === undefined)
        throw new CliUsageError("external needs --base-model: the Hugging Face checkpoint to train (a hub id such as Qwen/Qwen2.5-0.5B-Instruct, " +
            "or a local folder). The spec's baseModel is a GGUF, which these trainers cannot read.");
    if (values.lora && values.full) throw new CliUsageError("--lora and --full exclude each other.");
    const gpusPerNode = positiveInteger(values.gpus, "--gpus");
    const nodes = positiveInteger(values.nodes, "--nodes");
    if (nodes > 1 && !values.slurm) throw new CliUsageError("--nodes above 1 needs --slurm: each node's rank comes from Slurm.");
    const cpusPerTask = values.cpus === undefined ? undefined : positiveInteger(values.cpus, "--cpus");
    const pollIntervalMs = Number(values["poll-interval-ms"]);
    if (!(Number.isFinite(pollIntervalMs) && pollIntervalMs >= 100)) throw new CliUsageError("--poll-interval-ms must be at least 100.");

    const specPath = path.resolve(specArgument!);
    const spec = await readTrainJobSpec(specPath);
    // Epochs and learning rate the spec leaves out get the trainer's defaults (BELLE's), not those of our own trainer
    const given = JSON.parse(await fs.readFile(specPath, "utf8")) as {epochs?: unknown, learningRate?: unknown};
    const baseModel = await resolveBaseModel(values["base-model"]);
    const folder = path.resolve(values.out);
    const name = path.basename(specPath, ".json");
    let plan: ExternalTrainingFiles;
    try {
        plan = externalTrainingFiles({
            preset, folder, name, baseModelIsDirectory: baseModel.isDirectory,
            trainer: {
                baseModel: baseModel.value,
                trainFiles: [{path: spec.trainingFile, format: await trainingFileFormat(spec.trainingFile)}],
                validationFile: spec.validationFile ?? undefined,
                finetuning: values.full ? "full" : "lora",
                epochs: given.epochs === undefined ? undefined : spec.epochs,
                learningRate: given.learningRate === undefined ? undefined : spec.learningRate,
                cutoffLength: spec.contextTokens,
                gpusPerNode, nodes,
                deepspeedConfig: values.deepspeed === undefined ? undefined : path.resolve(values.deepspeed),
                template: values.template
            },
            trainOnPrompt: spec.lossOn === "all",
            validationShare: spec.validationSplit,
            belleTrainDir: values["belle-dir"] === undefined ? undefined : path.resolve(values["belle-dir"]),
            slurm: values.slurm
                ? {partition: values.partition, time: values.time, cpusPerTask, gres: values.gres === "none" ? null : values.gres}
                : undefined
        });
    } catch (error) {
        if (error instanceof InvalidTrainerOptionsError) throw new CliUsageError(error.message);
        throw error;
    }

    await fs.mkdir(folder, {recursive: true});
    const written: string[] = [];
    const kept: string[] = [];
    for (const file of plan.files) {
        try {
            // --keep-files: a file already there may have been edited by hand (the editor shows run.sh before the run)
            await fs.writeFile(file.path, file.content, {mode: file.executable ? 0o755 : 0o644, flag: values["keep-files"] ? "wx" : "w"});
            written.push(path.relative(folder, file.path));
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
            kept.push(path.relative(folder, file.path));
        }
    }
    const jsonLines = values["json-lines"] && values.run;
    // With --json-lines stdout carries JSON only: the summary goes to stderr
    const say = (text: string) => (jsonLines ? process.stderr : process.stdout).write(`${text}\n`);
    if (written.length > 0) say(`Wrote ${written.join(", ")} into ${folder}`);
    if (kept.length > 0) say(`Kept ${kept.join(", ")} in ${folder} as they were`);
    say(`Start it: ${plan.startCommand}`);
    say(`Then convert the result to GGUF, from a llama.cpp checkout:\n  ${plan.ggufCommand}`);
    if (!values.run) return;

    const controller = new AbortController();
    const cancel = () => controller.abort();
    // `on`, not `once`: a second Ctrl+C (or Cancel) must not kill this process while it stops the trainer
    process.on("SIGINT", cancel);
    process.on("SIGTERM", cancel);
    try {
        if (plan.batchScriptPath != null) await runOnSlurm(plan, plan.batchScriptPath, {signal: controller.signal, jsonLines, pollIntervalMs});
        else await runHere(plan, {signal: controller.signal, jsonLines});
    } finally {
        process.off("SIGINT", cancel);
        process.off("SIGTERM", cancel);
    }
    say(`Trained: ${plan.outputDir}\nConvert it to GGUF, from a llama.cpp checkout:\n  ${plan.ggufCommand}`);
}

type RunOptions = {signal: AbortSignal, jsonLines: boolean};

async function runHere(plan: ExternalTrainingFiles, {signal, jsonLines}: RunOptions): Promise<void> {
    const print = (line: SlurmSubmitLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
    if (jsonLines) print({type: "state", jobId: localJobId, state: "RUNNING"});
    // run.sh tees the trainer's output to train.log and to its stdout, read here as it comes
    const result = await runLocalJob(["bash", plan.runScriptPath], {
        signal, processGroup: true,
        onEvent: (event) => {
            if (jsonLines) print({type: "output", event});
            else printEvent(event);
        }
    });
    const state: SlurmJobState = result.cancelled ? "CANCELLED" : result.exitCode === 0 ? "COMPLETED" : "FAILED";
    if (jsonLines) print({type: "finished", jobId: localJobId, state, exitCode: result.exitCode, cancelled: result.cancelled});
    if (state !== "COMPLETED")
        throw new ExternalTrainingFailedError(`the trainer ${result.cancelled ? "was stopped" : `failed (${result.exitCode == null ? `signal ${result.signal}` : `exit code ${result.exitCode}`})`}; ` +
            `the end of ${plan.logPath}:\n${await lastLines(plan.logPath)}`);
}

async function runOnSlurm(plan: ExternalTrainingFiles, scriptPath: string, {signal, jsonLines, pollIntervalMs}: RunOptions & {pollIntervalMs: number}): Promise<void> {
    const print = (line: SlurmSubmitLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
    const jobId = await submitSlurmJob(scriptPath, {workDir: path.dirname(scriptPath)});
    const logPath = plan.slurmLogPattern!.replaceAll("%j", jobId);
    if (jsonLines) print({type: "submitted", jobId, scriptPath, logPath});
    else process.stderr.write(`[slurm] submitted job ${jobId}; log ${logPath}\n`);
    const result = await followSlurmJob(jobId, {
        logPath, signal, pollIntervalMs,
        onState: ({state}) => {
            if (jsonLines) print({type: "state", jobId, state});
            else process.stderr.write(`[slurm] job ${jobId}: ${state}\n`);
        },
        onEvent: (event) => {
            if (jsonLines) print({type: "output", event});
            else printEvent(event);
        }
    });
    const {state, exitCode} = result.status;
    if (jsonLines) print({type: "finished", jobId, state, exitCode: exitCode ?? null, cancelled: result.cancelled});
    if (state !== "COMPLETED")
        throw new SlurmJobFailedError(`Slurm job ${jobId} ended ${state}${exitCode === undefined || exitCode === 0 ? "" : ` (exit code ${exitCode})`}` +
            `${result.cancelled ? ", cancelled" : ""}; the end of its log, ${logPath}:\n${await lastLines(logPath)}`);
    process.stderr.write(`[slurm] job ${jobId} COMPLETED\n`);
}

function printEvent(event: JobOutputEvent): void {
    if (event.kind === "text") {
        process.stderr.write(`[trainer] ${event.line}\n`);
        return;
    }
    if (event.kind === "belle") return;
    const record = event.record;
    if (record.kind === "train")
        process.stdout.write(`${record.step === undefined ? "" : `step ${record.step} `}epoch ${record.epoch}: loss ${record.loss}` +
            `${record.learningRate === undefined ? "" : `, learning rate ${record.learningRate}`}\n`);
    else if (record.kind === "eval") process.stdout.write(`epoch ${record.epoch}: eval loss ${record.evalLoss}\n`);
    else if (record.kind === "summary") process.stdout.write(`train loss ${record.trainLoss} in ${record.trainRuntimeSeconds} s\n`);
}

/** The last lines of a log, for the message of a failed run: its error is usually there. */
async function lastLines(filePath: string, count = 20, tailBytes = 64 * 1024): Promise<string> {
    let handle: fs.FileHandle;
    try {
        handle = await fs.open(filePath, "r");
    } catch (error) {
        return `(no log: ${(error as Error).message})`;
    }
    try {
        const {size} = await handle.stat();
        const start = Math.max(0, size - tailBytes);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        // tqdm redraws its bar with \r: keep what the terminal would show last on each line
        const lines = buffer.toString("utf8").split(/\r?\n/).map((line) => line.split("\r").at(-1)!).filter((line) => line.trim() !== "");
        return lines.slice(-count).map((line) => `  ${line}`).join("\n");
    } finally {
        await handle.close();
    }
}

/** A local folder (made absolute) or a Hugging Face id, which a trainer downloads. */
async function resolveBaseModel(argument: string): Promise<{value: string, isDirectory: boolean}> {
    const stats = await fs.stat(argument).catch(() => null);
    if (stats?.isDirectory() === true) return {value: path.resolve(argument), isDirectory: true};
    if (stats != null) throw new CliUsageError(`--base-model ${argument} is a file: give a Hugging Face checkpoint folder or a hub id.`);
    if (!/^[\w.-]+\/[\w.-]+$/.test(argument))
        throw new CliUsageError(`--base-model ${argument}: no such folder, and not a Hugging Face id (owner/name).`);
    return {value: argument, isDirectory: false};
}

/** The format of the first valid record: the trainers are told which one the whole file is. */
async function trainingFileFormat(filePath: string): Promise<BelleDataFormat> {
    const entries = readTrainingFile(filePath);
    try {
        for (let next = await entries.next(); next.done !== true; next = await entries.next())
            if (next.value.kind === "example") return next.value.example.singleTurn === undefined ? "multi-turn" : "single-turn";
    } finally {
        await entries.return(undefined as never);
    }
    throw new CliUsageError(`${filePath}: no valid training example; see \`belle train validate\`.`);
}

function positiveInteger(text: string, flag: string): number {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) throw new CliUsageError(`${flag} must be a whole number ≥ 1 (got "${text}").`);
    return value;
}
