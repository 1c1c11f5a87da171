// The contract between the training view webview and the extension host. Types and plain guards only (no DOM,
// no Node, no vscode), so it compiles under every tsconfig.
//
// One view shows one training job, whoever runs it: the built-in trainer (`belle train run --json-lines`) or an
// external trainer (Hugging Face Trainer / LLaMA-Factory log lines, locally or under Slurm). Both are turned into
// TrainingViewEvents on the extension side; the view keeps a TrainingViewState built from them.
//
// extension → webview: `train/state` (after `ready`, the whole state: on open and on restore), `train/events`
// (the events since the last message, in order; the host batches them so a fast job does not flood the view).
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

export type ExtensionToTrainingViewMessage =
    /** `actions`: the buttons this host can serve (no "evaluate" when it cannot evaluate a model); each shows when the status allows it. */
    | {method: "train/state", params: {state: TrainingViewState, strings: Record<string, string>, actions: TrainingViewAction[]}}
    | {method: "train/events", params: {events: TrainingViewEvent[], elapsedMs: number}};

export type TrainingViewToExtensionMessage =
    | {method: "ready"}
    | {method: "train/action", params: {action: TrainingViewAction}};

export function isTrainingViewAction(value: unknown): value is TrainingViewAction {
    return typeof value === "string" && (trainingViewActions as readonly string[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isTrainingViewToExtensionMessage(value: unknown): value is TrainingViewToExtensionMessage {
    if (!isRecord(value)) return false;
    if (value.method === "ready") return Object.keys(value).length === 1;
    return value.method === "train/action" && isRecord(value.params) && isTrainingViewAction(value.params.action);
}

export function isExtensionToTrainingViewMessage(value: unknown): value is ExtensionToTrainingViewMessage {
    if (!isRecord(value) || !isRecord(value.params)) return false;
    if (value.method === "train/state")
        return isRecord(value.params.state) && Array.isArray(value.params.state.train) && isRecord(value.params.strings) &&
            Array.isArray(value.params.actions) && value.params.actions.every(isTrainingViewAction);
    if (value.method === "train/events")
        return Array.isArray(value.params.events) && typeof value.params.elapsedMs === "number";
    return false;
}
