import type {SlurmJobState} from "./externalTrainerPresets";
import type {JobOutputEvent} from "./parseJobOutputLine";

/**
 * One line of `belle train submit --slurm --json-lines`: the job was submitted, changed state, wrote a line (parsed:
 * our trainer's own JSON message, a Trainer log record, or text), and how it ended. The extension reads these.
 */
export type SlurmSubmitLine =
    | {type: "submitted", jobId: string, scriptPath: string, logPath: string}
    | {type: "state", jobId: string, state: SlurmJobState}
    | {type: "output", event: JobOutputEvent}
    | {type: "finished", jobId: string, state: SlurmJobState, exitCode: number | null, cancelled: boolean};

/** The job id of these lines when `belle train external --run` runs the trainer on this machine, not on Slurm. */
export const localJobId = "local";

export function isSlurmSubmitLine(value: unknown): value is SlurmSubmitLine {
    if (value == null || typeof value !== "object") return false;
    const type = (value as {type?: unknown}).type;
    return type === "submitted" || type === "state" || type === "output" || type === "finished";
}
