import fs from "node:fs/promises";
import path from "node:path";
import {parseArgs} from "node:util";
import {belleTrainRunBatchScript} from "../train/external/belleTrainRunBatchScript";
import {InvalidTrainerOptionsError} from "../train/external/externalTrainerPresets";
import type {JobOutputEvent} from "../train/external/parseJobOutputLine";
import {followSlurmJob, submitSlurmJob} from "../train/external/SlurmJob";
import type {SlurmSubmitLine} from "../train/external/SlurmSubmitLine";
import {readTrainJobSpec} from "../train/TrainJobSpec";
import {CliUsageError} from "./CliUsageError";

export const trainSubmitUsage = `belle train submit <spec.json> --slurm [--partition <name>] [--time <HH:MM:SS>] [--cpus <n>] [--json-lines] [--print-script]
    Runs \`belle train run <spec.json>\` as a Slurm job: writes <name>.slurm.sh next to the spec, submits it (sbatch),
    follows its state (squeue, sacct) and tails its log (<name>.slurm-<job id>.log) to the end. Ctrl+C cancels the job
    (scancel). The exit status is non-zero unless the job COMPLETED. --print-script prints the script only.`;

export class SlurmJobFailedError extends Error {
    override name = "SlurmJobFailedError";
}

/** `belle train submit`: a training job on a Slurm cluster, followed from the login node. */
export async function trainSubmitCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({
        args: argv, allowPositionals: true, strict: true,
        options: {
            slurm: {type: "boolean", default: false},
            partition: {type: "string"},
            time: {type: "string", default: "24:00:00"},
            cpus: {type: "string"},
            "json-lines": {type: "boolean", default: false},
            "print-script": {type: "boolean", default: false},
            "poll-interval-ms": {type: "string", default: "1000"}
        }
    });
    if (!values.slurm) throw new CliUsageError("submit needs --slurm (the only scheduler so far); `belle train run` trains here.");
    if (positionals.length !== 1) throw new CliUsageError("submit needs the job spec (a .json file).");
    const specPath = path.resolve(positionals[0]!);
    const cpusPerTask = values.cpus === undefined ? undefined : Number(values.cpus);
    const pollIntervalMs = Number(values["poll-interval-ms"]);
    if (!(Number.isFinite(pollIntervalMs) && pollIntervalMs >= 100)) throw new CliUsageError("--poll-interval-ms must be at least 100.");
    // A spec that cannot run is refused here, not after the job has waited in the queue
    const spec = await readTrainJobSpec(specPath);

    const folder = path.dirname(specPath);
    const name = path.basename(specPath, ".json");
    const scriptPath = path.join(folder, `${name}.slurm.sh`);
    const logPattern = path.join(folder, `${name}.slurm-%j.log`);
    let script: string;
    try {
        script = belleTrainRunBatchScript({
            jobName: `belle-${name}`, specPath, logPath: logPattern, workDir: folder, partition: values.partition, time: values.time,
            cpusPerTask,
            // the node runs this very `belle` (a shared file system): node's absolute path and our entry script's
            belleCommand: [process.execPath, path.resolve(process.argv[1]!)]
        });
    } catch (error) {
        if (error instanceof InvalidTrainerOptionsError) throw new CliUsageError(error.message);
        throw error;
    }
    if (values["print-script"]) {
        process.stdout.write(script);
        return;
    }
    await fs.writeFile(scriptPath, script, {mode: 0o755});

    const jsonLines = values["json-lines"];
    const print = (line: SlurmSubmitLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
    const controller = new AbortController();
    const cancel = () => controller.abort();
    process.once("SIGINT", cancel);
    process.once("SIGTERM", cancel);
    try {
        const jobId = await submitSlurmJob(scriptPath, {workDir: folder});
        const logPath = logPattern.replaceAll("%j", jobId);
        if (jsonLines) print({type: "submitted", jobId, scriptPath, logPath});
        else process.stderr.write(`[slurm] submitted job ${jobId}; log ${logPath}\n`);

        const result = await followSlurmJob(jobId, {
            logPath, signal: controller.signal, pollIntervalMs,
            onState: ({state}) => {
                if (jsonLines) print({type: "state", jobId, state});
                else process.stderr.write(`[slurm] job ${jobId}: ${state}\n`);
            },
            onEvent: (event) => {
                if (jsonLines) print({type: "output", event});
                else printEvent(event, spec.epochs);
            }
        });
        const {state, exitCode} = result.status;
        if (jsonLines) print({type: "finished", jobId, state, exitCode: exitCode ?? null, cancelled: result.cancelled});
        if (state !== "COMPLETED")
            throw new SlurmJobFailedError(`Slurm job ${jobId} ended ${state}${exitCode === undefined || exitCode === 0 ? "" : ` (exit code ${exitCode})`}` +
                `${result.cancelled ? ", cancelled" : ""}; its log: ${logPath}`);
        process.stderr.write(`[slurm] job ${jobId} COMPLETED\n`);
    } finally {
        process.off("SIGINT", cancel);
        process.off("SIGTERM", cancel);
    }
}

function printEvent(event: JobOutputEvent, epochs: number): void {
    if (event.kind === "text") {
        process.stderr.write(`[job] ${event.line}\n`);
        return;
    }
    if (event.kind === "trainer") {
        const record = event.record;
        if (record.kind === "train")
            process.stdout.write(`${record.step === undefined ? "" : `step ${record.step} `}epoch ${record.epoch}: loss ${record.loss}\n`);
        else if (record.kind === "eval") process.stdout.write(`epoch ${record.epoch}: eval loss ${record.evalLoss}\n`);
        else if (record.kind === "summary") process.stdout.write(`train loss ${record.trainLoss} in ${record.trainRuntimeSeconds} s\n`);
        return;
    }
    const message = event.message;
    if (message.type === "dataset")
        process.stdout.write(`${message.windows} windows of ${message.contextTokens} tokens (${message.tokens} tokens)\n`);
    else if (message.type === "epoch")
        process.stdout.write(`epoch ${message.epoch + 1}/${epochs}: loss ${message.loss.toFixed(4)}, accuracy ${message.accuracy.toFixed(3)}, ${message.tokensPerSecond.toFixed(0)} tok/s\n`);
    else if (message.type === "saved") process.stdout.write(`saved ${message.outputPath}\n`);
    else if (message.type === "error") process.stderr.write(`[job] ${message.name}: ${message.message}\n`);
}
