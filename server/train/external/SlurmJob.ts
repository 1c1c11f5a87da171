import {execFile} from "node:child_process";
import {promisify} from "node:util";
import {parseSacctState, parseSbatchOutput, parseScontrolJobState, parseSqueueState, type SlurmJobStatus} from "./externalTrainerPresets";
import {FileTail} from "./FileTail";
import {parseJobOutputLine, type JobOutputEvent} from "./parseJobOutputLine";

const execFileAsync = promisify(execFile);

/** A Slurm command failed; `stderr` holds its own words ("sbatch: error: invalid partition specified: gpu"). */
export class SlurmCommandError extends Error {
    override name = "SlurmCommandError";
    public constructor(message: string, public readonly stderr: string) {
        super(message);
    }
}

/** The controller no longer knows the job and no accounting can say how it ended (MinJobAge passed, or a restart). */
export class SlurmJobLostError extends Error {
    override name = "SlurmJobLostError";
}

export type SlurmCommandOptions = {
    /** The environment of the Slurm client commands (SLURM_CONF picks the cluster); the submitted job inherits it. */
    env?: NodeJS.ProcessEnv
};

async function slurm(command: string, args: readonly string[], {env}: SlurmCommandOptions): Promise<string> {
    try {
        const {stdout} = await execFileAsync(command, args, {env: env ?? process.env, maxBuffer: 4 * 1024 * 1024});
        return stdout;
    } catch (error) {
        const {stderr, code} = error as {stderr?: string, code?: string | number};
        if (code === "ENOENT") throw new SlurmCommandError(`${command} not found: is this a Slurm login node?`, "");
        const words = (stderr ?? "").trim();
        throw new SlurmCommandError(`${command} failed${words === "" ? `: ${(error as Error).message}` : `: ${words}`}`, words);
    }
}

/** `sbatch --parsable <script>`; resolves with the job id. */
export async function submitSlurmJob(scriptPath: string, options: SlurmCommandOptions & {workDir?: string} = {}): Promise<string> {
    const args = ["--parsable", ...(options.workDir === undefined ? [] : [`--chdir=${options.workDir}`]), scriptPath];
    const output = await slurm("sbatch", args, options);
    const jobId = parseSbatchOutput(output);
    if (jobId == null) throw new SlurmCommandError(`sbatch printed no job id: ${output.trim()}`, output);
    return jobId;
}

/**
 * The job's state: squeue while the controller knows it (finished jobs included, for MinJobAge), then sacct, then
 * `scontrol show job`. Null when none of them knows the job.
 */
export async function querySlurmJobStatus(jobId: string, options: SlurmCommandOptions = {}): Promise<SlurmJobStatus | null> {
    const fromQueue = parseSqueueState(await slurm("squeue", ["-h", "-t", "all", "-j", jobId, "-o", "%T"], options)
        .catch((error: unknown) => invalidJobId(error)));
    // squeue has no exit code: for a finished job ask accounting, which has it
    if (fromQueue != null && !fromQueue.finished) return fromQueue;
    const fromAccounting = parseSacctState(await slurm("sacct", ["-n", "-P", "-X", "-j", jobId, "-o", "State,ExitCode"], options)
        .catch(() => "")); // no accounting database on this cluster ("accounting storage is disabled"): ask the controller
    if (fromAccounting != null && fromAccounting.state !== "UNKNOWN") return fromAccounting;
    const fromController = parseScontrolJobState(await slurm("scontrol", ["show", "job", "-o", jobId], options)
        .catch((error: unknown) => invalidJobId(error)));
    return fromController ?? fromQueue;
}

function invalidJobId(error: unknown): string {
    if (error instanceof SlurmCommandError && /Invalid job id/i.test(error.stderr)) return "";
    throw error;
}

export async function cancelSlurmJob(jobId: string, options: SlurmCommandOptions = {}): Promise<void> {
    await slurm("scancel", [jobId], options);
}

export type FollowSlurmJobOptions = SlurmCommandOptions & {
    /** The job's output file (its `--output`, with `%j` replaced), tailed while it runs. */
    logPath: string,
    /** Aborting cancels the job (scancel) and waits, up to cancelTimeoutMs, for Slurm to say it has ended. */
    signal?: AbortSignal,
    pollIntervalMs?: number,
    cancelTimeoutMs?: number,
    /** How many polls in a row may find no trace of the job (or fail) before it is given up as lost. */
    lostAfterPolls?: number,
    onState?(status: SlurmJobStatus): void,
    onEvent?(event: JobOutputEvent): void
};

export type SlurmJobResult = {jobId: string, status: SlurmJobStatus, cancelled: boolean};

/** Follows a submitted job to its end: state changes, and every line of its output file parsed as it grows. */
export async function followSlurmJob(jobId: string, {
    logPath, signal, env, pollIntervalMs = 1000, cancelTimeoutMs = 30_000, lostAfterPolls = 10, onState, onEvent
}: FollowSlurmJobOptions): Promise<SlurmJobResult> {
    const tail = new FileTail(logPath);
    const emitLines = (lines: readonly string[]) => {
        for (const line of lines) safeCall(onEvent, parseJobOutputLine(line));
    };
    let last: SlurmJobStatus | null = null;
    let cancelRequestedAt: number | null = null;
    let missingPolls = 0;
    let cancelError: unknown = null;
    let lastQueryError: SlurmCommandError | null = null;
    for (;;) {
        if (signal?.aborted === true && cancelRequestedAt == null) {
            cancelRequestedAt = performance.now();
            // A job that ended meanwhile makes scancel fail; the next poll says how it ended
            await cancelSlurmJob(jobId, {env}).catch((error: unknown) => { cancelError = error; });
        }
        let status: SlurmJobStatus | null = null;
        try {
            status = await querySlurmJobStatus(jobId, {env});
            lastQueryError = null;
        } catch (error) {
            // A busy or restarting controller ("Unable to contact slurm controller") is waited out, for a while
            if (!(error instanceof SlurmCommandError)) throw error;
            lastQueryError = error;
        }
        if (status == null) {
            if (++missingPolls >= lostAfterPolls)
                throw lastQueryError ?? new SlurmJobLostError(`Slurm job ${jobId} is unknown to squeue, sacct and scontrol.`);
        } else {
            missingPolls = 0;
            if (last == null || status.state !== last.state) safeCall(onState, status);
            last = status;
        }
        if (status?.finished === true) {
            emitLines(await tail.end());
            return {jobId, status, cancelled: cancelRequestedAt != null};
        }
        emitLines(await tail.read());
        if (cancelRequestedAt != null && performance.now() - cancelRequestedAt > cancelTimeoutMs) {
            if (cancelError != null) throw cancelError;
            emitLines(await tail.end());
            return {jobId, status: last ?? {state: "UNKNOWN", finished: false}, cancelled: true};
        }
        await sleep(pollIntervalMs, cancelRequestedAt == null ? signal : undefined);
    }
}

/** A listener that throws must not stop the job's supervision. */
function safeCall<T>(listener: ((value: T) => void) | undefined, value: T): void {
    try {
        listener?.(value);
    } catch (error) {
        process.emitWarning(`Slurm job listener threw: ${String(error)}`);
    }
}

/** Waits, waking early when the signal aborts (so that a cancel is sent at once). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (signal?.aborted === true) return resolve();
        const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener("abort", done, {once: true});
    });
}
