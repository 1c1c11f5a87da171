// The training view's state and how each TrainingViewEvent changes it. Shared by the extension (which keeps the
// state to send it whole after `ready`) and the webview (which applies the batched events). No DOM, no vscode.
import type {TrainingJobStatus, TrainingPoint, TrainingViewEvent, TrainingViewState} from "./trainProtocol";

/** Notes past this many drop the oldest: a long external job may log a state change every few minutes for days. */
export const maxTrainingViewNotes = 200;

export function createTrainingViewState(name: string, source: TrainingViewState["source"] = "built-in"): TrainingViewState {
    return {
        name, source, status: "starting", statusMessage: null, epochs: null, stepsPerEpoch: null, validation: false, step: 0, epoch: 0,
        tokensPerSecond: null, learningRate: null, elapsedMs: 0, train: [], validationPoints: [], notes: [], outputPath: null
    };
}

/** Whether the job has ended: no event but a note changes it any more. */
export function isFinishedTrainingStatus(status: TrainingJobStatus): boolean {
    return status === "saved" || status === "failed" || status === "cancelled";
}

/** Steps of the whole job, when the trainer said how many epochs and steps per epoch. */
export function totalTrainingSteps(state: Pick<TrainingViewState, "epochs" | "stepsPerEpoch">): number | null {
    return state.epochs == null || state.stepsPerEpoch == null ? null : state.epochs * state.stepsPerEpoch;
}

/**
 * Applies one event to `state` in place and returns it. In place, because a job sends a point per step: copying
 * 10,000 points for each of 10,000 steps would be quadratic. A point at the step of the curve's last point replaces
 * it (the built-in trainer's end-of-epoch report restates its last step with the learning rate and tokens/s).
 */
export function applyTrainingViewEvent(state: TrainingViewState, event: TrainingViewEvent): TrainingViewState {
    switch (event.kind) {
        case "plan":
            state.epochs = event.epochs ?? state.epochs;
            state.stepsPerEpoch = event.stepsPerEpoch ?? state.stepsPerEpoch;
            state.validation = state.validation || event.validation;
            break;
        case "train":
            if (isFinishedTrainingStatus(state.status)) break;
            if (state.status === "starting") state.status = "running";
            addPoint(state.train, event.point);
            state.step = Math.max(state.step, event.point.step);
            state.epoch = Math.max(state.epoch, event.point.epoch);
            state.learningRate = event.learningRate ?? state.learningRate;
            state.tokensPerSecond = event.tokensPerSecond ?? state.tokensPerSecond;
            break;
        case "validation":
            if (isFinishedTrainingStatus(state.status)) break;
            state.validation = true;
            addPoint(state.validationPoints, event.point);
            break;
        case "note":
            state.notes.push(event.text);
            if (state.notes.length > maxTrainingViewNotes) state.notes.splice(0, state.notes.length - maxTrainingViewNotes);
            break;
        case "status":
            // The first end wins: a process killed after it reported saving is still saved, a cancelled one stays cancelled
            if (isFinishedTrainingStatus(state.status)) break;
            state.status = event.status;
            state.statusMessage = event.message;
            state.outputPath = event.outputPath ?? state.outputPath;
            break;
    }
    return state;
}

function addPoint(points: TrainingPoint[], point: TrainingPoint): void {
    if (!Number.isFinite(point.step) || !Number.isFinite(point.loss)) return;
    const last = points.at(-1);
    if (last != null && last.step === point.step) points[points.length - 1] = point;
    else points.push(point);
}
