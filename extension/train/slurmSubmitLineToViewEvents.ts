// `belle train submit --slurm --json-lines` lines as training view events: Slurm's side (submitted, state changes,
// the end) plus the job's output, whoever wrote it (our trainer's JSON lines, a Hugging Face Trainer's log dicts).
// No vscode here: the notes' wording comes in through `context.notes`, so the unit tests run in plain mocha.
import type {SlurmJobState} from "../../server/train/external/externalTrainerPresets";
import type {SlurmSubmitLine} from "../../server/train/external/SlurmSubmitLine";
import type {TrainingViewEvent} from "../../webview/protocol/trainProtocol";
import {nextTrainWorkerMappingContext, trainWorkerMessageToViewEvents, type TrainWorkerMappingContext} from "./trainWorkerMessageToViewEvents";

export interface SlurmNoteTexts {
    submitted(jobId: string, logPath: string): string,
    state(jobId: string, state: SlurmJobState): string,
    ended(jobId: string, state: SlurmJobState, exitCode: number | null): string
}

export interface SlurmMappingContext {
    /** For our own trainer's lines (`belle train run --json-lines` on the node). */
    worker: TrainWorkerMappingContext,
    /** The last step of a Trainer record: a record without a step (no tqdm bar on its line) is drawn one step on. */
    trainerStep: number,
    /** The last text line that reads as an error (`belle: …`, a Python exception): the message of a failed job. */
    lastErrorLine: string | null,
    savedPath: string | null,
    notes: SlurmNoteTexts
}

// `belle: <message>` is how our CLI fails; the others are how Python, torchrun and Slurm itself report a failure
const errorLinePattern = /^belle: |^\s*\w*(?:Error|Exception)\b|^Traceback |^slurmstepd(?:-\S+)?: error: /;

/** The events one line stands for, and the context for the lines after it. */
export function slurmSubmitLineToViewEvents(line: SlurmSubmitLine, context: SlurmMappingContext): {events: TrainingViewEvent[], context: SlurmMappingContext} {
    switch (line.type) {
        case "submitted":
            return {
                events: [{kind: "note", text: context.notes.submitted(line.jobId, line.logPath)}, {kind: "status", status: "starting", message: null, outputPath: null}],
                context
            };
        case "state": {
            const events: TrainingViewEvent[] = [{kind: "note", text: context.notes.state(line.jobId, line.state)}];
            if (line.state === "RUNNING") events.push({kind: "status", status: "running", message: null, outputPath: null});
            return {events, context};
        }
        case "output": {
            const event = line.event;
            if (event.kind === "text") return {events: [], context: errorLinePattern.test(event.line) ? {...context, lastErrorLine: event.line.trim()} : context};
            if (event.kind === "belle") {
                const events = trainWorkerMessageToViewEvents(event.message, context.worker);
                const savedPath = event.message.type === "saved" ? event.message.outputPath : context.savedPath;
                return {events, context: {...context, worker: nextTrainWorkerMappingContext(context.worker, event.message), savedPath}};
            }
            const record = event.record;
            if (record.kind === "train") {
                const step = record.step ?? context.trainerStep + 1;
                return {
                    events: [{
                        kind: "train", point: {step, epoch: record.epoch, loss: record.loss, accuracy: null},
                        learningRate: record.learningRate ?? null, tokensPerSecond: record.throughput ?? null
                    }],
                    context: {...context, trainerStep: step}
                };
            }
            if (record.kind === "eval") {
                const step = record.step ?? context.trainerStep;
                return {
                    events: [{kind: "validation", point: {step, epoch: record.epoch, loss: record.evalLoss, accuracy: record.metrics.accuracy ?? null}}],
                    context: {...context, trainerStep: step}
                };
            }
            return {events: [], context};
        }
        case "finished": {
            if (line.state === "COMPLETED")
                return {events: [{kind: "status", status: "saved", message: null, outputPath: context.savedPath}], context};
            const status = line.cancelled || line.state === "CANCELLED" ? "cancelled" : "failed";
            const ended = context.notes.ended(line.jobId, line.state, line.exitCode);
            return {
                events: [{kind: "status", status, message: status === "failed" && context.lastErrorLine != null ? `${ended}: ${context.lastErrorLine}` : ended, outputPath: null}],
                context
            };
        }
        default:
            return {events: [], context};
    }
}
