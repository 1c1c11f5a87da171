import {isRecord} from "./isRecord";
import {commandType, isMessageToExtension, isMessageToWebview, isNoParams, notificationType, type IncomingToExtension,
    type IncomingToWebview, type NotificationOf, defineWebviewProtocol} from "./webviewMessages";

// The contract between the training view webview and the extension host: types, descriptors and their field
// guards only (no DOM, no Node, no vscode), so it compiles under every tsconfig. The envelope is webviewMessages.ts's.
//
// One view shows one training job, whoever runs it: the built-in trainer (`belle train run --json-lines`) or an
// external trainer (Hugging Face Trainer / LLaMA-Factory log lines, locally or under Slurm). Both are turned into
// TrainingViewEvents on the extension side; the view keeps a TrainingViewState built from them.
//
// extension → webview: `train/state` (after `ready`, the whole state: on open and on restore), `train/events`
// (the events since the last message, in order; the host batches them so a fast job does not flood the view).
// Neither is queued before `ready`: the state sent in answer to it holds everything so far.
// webview → extension: `ready` (first), `train/action` (a button).

/** One point of a curve. x is the optimizer step counted from the start of the job. */
export interface TrainingPoint {
    step: number,
    /** Fractional epoch at this step (1.5 = half way through the second epoch). */
    epoch: number,
    loss: number,
    /** Share of trained tokens predicted right, when the trainer reports it. */
    accuracy: number | null
}

export type TrainingJobStatus = "starting" | "running" | "saved" | "failed" | "cancelled";

export type TrainingViewEvent =
    /** What the job will do, once known: steps per epoch and epochs (null when the trainer does not say). */
    | {kind: "plan", epochs: number | null, stepsPerEpoch: number | null, validation: boolean}
    /** A training loss point: per step (running mean of the epoch so far for the built-in trainer) or per log line. */
    | {kind: "train", point: TrainingPoint, learningRate: number | null, tokensPerSecond: number | null}
    /** A validation loss point (end of an epoch, or a trainer's eval log line). */
    | {kind: "validation", point: TrainingPoint}
    /** A line worth showing under the chart ("converted the F16 base to F32", a Slurm state change…). */
    | {kind: "note", text: string}
    | {kind: "status", status: TrainingJobStatus, message: string | null, outputPath: string | null};

export interface TrainingViewState {
    /** The job's name (its spec's file name without .json). */
    name: string,
    source: "built-in" | "external",
    status: TrainingJobStatus,
    statusMessage: string | null,
    epochs: number | null,
    stepsPerEpoch: number | null,
    validation: boolean,
    step: number,
    epoch: number,
    tokensPerSecond: number | null,
    learningRate: number | null,
    /** Milliseconds since the job started, as the host measured it when it sent the state. */
    elapsedMs: number,
    train: TrainingPoint[],
    validationPoints: TrainingPoint[],
    notes: string[],
    /** The saved GGUF, once there is one. */
    outputPath: string | null
}

/** The buttons: cancel a running job; chat with, evaluate, or reveal the saved model. */
export type TrainingViewAction = "cancel" | "chat" | "evaluate" | "reveal";
export const trainingViewActions: readonly TrainingViewAction[] = ["cancel", "chat", "evaluate", "reveal"];

export interface TrainingViewStateParams {
    state: TrainingViewState,
    strings: Record<string, string>,
    /** The buttons this host can serve (no "evaluate" when it cannot evaluate a model); each shows when the status allows it. */
    actions: TrainingViewAction[]
}

export interface TrainingViewEventsParams {
    events: TrainingViewEvent[],
    elapsedMs: number
}

export function isTrainingViewAction(value: unknown): value is TrainingViewAction {
    return typeof value === "string" && (trainingViewActions as readonly string[]).includes(value);
}

const isNumber = (value: unknown): value is number => typeof value === "number";
const isNumberOrNull = (value: unknown): value is number | null => value === null || typeof value === "number";
const isStringOrNull = (value: unknown): value is string | null => value === null || typeof value === "string";
const jobStatuses: readonly string[] = ["starting", "running", "saved", "failed", "cancelled"] satisfies TrainingJobStatus[];
const isJobStatus = (value: unknown): value is TrainingJobStatus => jobStatuses.includes(value as string);

/**
 * A loss that diverged (NaN, Infinity) crosses postMessage's JSON as null: such a point passes, and
 * applyTrainingViewEvent drops it (its `Number.isFinite` check), as it did before the message was checked.
 */
const isJsonNumber = (value: unknown): value is number => value === null || typeof value === "number";

export function isTrainingPoint(value: unknown): value is TrainingPoint {
    return isRecord(value) && isJsonNumber(value.step) && isJsonNumber(value.epoch) && isJsonNumber(value.loss) && isNumberOrNull(value.accuracy);
}

export function isTrainingViewEvent(value: unknown): value is TrainingViewEvent {
    if (!isRecord(value)) return false;
    switch (value.kind) {
        case "plan": return isNumberOrNull(value.epochs) && isNumberOrNull(value.stepsPerEpoch) && typeof value.validation === "boolean";
        case "train": return isTrainingPoint(value.point) && isNumberOrNull(value.learningRate) && isNumberOrNull(value.tokensPerSecond);
        case "validation": return isTrainingPoint(value.point);
        case "note": return typeof value.text === "string";
        case "status": return isJobStatus(value.status) && isStringOrNull(value.message) && isStringOrNull(value.outputPath);
        default: return false;
    }
}

export function isTrainingViewState(value: unknown): value is TrainingViewState {
    return isRecord(value) && typeof value.name === "string" && (value.source === "built-in" || value.source === "external") &&
        isJobStatus(value.status) && isStringOrNull(value.statusMessage) && isNumberOrNull(value.epochs) &&
        isNumberOrNull(value.stepsPerEpoch) && typeof value.validation === "boolean" && isJsonNumber(value.step) && isJsonNumber(value.epoch) &&
        isNumberOrNull(value.tokensPerSecond) && isNumberOrNull(value.learningRate) && isNumber(value.elapsedMs) &&
        Array.isArray(value.train) && value.train.every(isTrainingPoint) &&
        Array.isArray(value.validationPoints) && value.validationPoints.every(isTrainingPoint) &&
        Array.isArray(value.notes) && value.notes.every((note) => typeof note === "string") && isStringOrNull(value.outputPath);
}

export const trainingViewCommands = {
    ready: commandType("ready", isNoParams),
    action: commandType("train/action", (value: unknown): value is {action: TrainingViewAction} => isRecord(value) && isTrainingViewAction(value.action))
};

export const trainingViewNotifications = {
    state: notificationType("train/state", (value: unknown): value is TrainingViewStateParams =>
        isRecord(value) && isTrainingViewState(value.state) && isRecord(value.strings) &&
        Object.values(value.strings).every((text) => typeof text === "string") &&
        Array.isArray(value.actions) && value.actions.every(isTrainingViewAction), {beforeReady: "drop"}),
    events: notificationType("train/events", (value: unknown): value is TrainingViewEventsParams =>
        isRecord(value) && Array.isArray(value.events) && value.events.every(isTrainingViewEvent) && isNumber(value.elapsedMs),
    {beforeReady: "drop"})
};

export const trainingViewProtocol = defineWebviewProtocol(trainingViewCommands, {}, trainingViewNotifications);

export type TrainingViewToExtensionMessage = IncomingToExtension<typeof trainingViewProtocol>;
export type ExtensionToTrainingViewMessage = IncomingToWebview<typeof trainingViewProtocol>;
export type TrainingViewNotificationMessage = NotificationOf<typeof trainingViewProtocol>;

export function isTrainingViewToExtensionMessage(value: unknown): value is TrainingViewToExtensionMessage {
    return isMessageToExtension(trainingViewProtocol, value);
}

export function isExtensionToTrainingViewMessage(value: unknown): value is ExtensionToTrainingViewMessage {
    return isMessageToWebview(trainingViewProtocol, value);
}
