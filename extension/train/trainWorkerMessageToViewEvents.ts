// The built-in trainer's JSON lines (`belle train run --json-lines`) as training view events. No vscode here: the
// notes' wording comes in through `context.notes`, so the unit tests run in plain mocha.
import type {TrainWorkerMessage} from "../../server/train/trainer/trainWorker";
import type {TrainingViewEvent} from "../../webview/protocol/trainProtocol";

export interface TrainWorkerMappingContext {
    /** The job spec's epochs (the worker does not restate them); null when unknown. */
    epochs: number | null,
    /** Training windows per epoch, from the `dataset` line (one optimizer step per window); null before it. */
    stepsPerEpoch: number | null,
    /** Tokens per training window, from the `dataset` line: turns a batch's elapsed time into tokens/s. */
    contextTokens: number | null,
    notes: TrainWorkerNoteTexts
}

export interface TrainWorkerNoteTexts {
    /** `repeated`: the examples were fewer than one window and repeated to fill it. */
    dataset(windows: number, contextTokens: number, validationWindows: number, repeated: boolean): string,
    converted(from: string): string
}

/** A number from a line that may come from an older worker without the field: anything else is null. */
function numberOrNull(value: unknown): number | null {
    return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * The events one worker line stands for. Steps count from 1 across epochs; the epoch coordinate is fractional, so
 * the end of the first epoch is at 1. A batch line's `batch` is llama.cpp's 1-based count of windows done
 * (llama_opt_epoch_iter calls back with `idata + 1`), so step = epoch × batches + batch; it is clamped to
 * 1…batches, so a 0-based count would shift a point by one step, never into the previous epoch.
 * The caller updates `context` from the `dataset` line (see nextTrainWorkerMappingContext).
 */
export function trainWorkerMessageToViewEvents(message: TrainWorkerMessage, context: TrainWorkerMappingContext): TrainingViewEvent[] {
    switch (message.type) {
        case "dataset": {
            const validationWindows = numberOrNull(message.validationWindows) ?? 0;
            return [
                {kind: "plan", epochs: context.epochs, stepsPerEpoch: message.windows, validation: validationWindows > 0},
                {kind: "note", text: context.notes.dataset(message.windows, message.contextTokens, validationWindows, message.repeated === true)},
                {kind: "status", status: "running", message: null, outputPath: null}
            ];
        }
        case "converted":
            return [{kind: "note", text: context.notes.converted(message.from)}];
        case "batch": {
            const events: TrainingViewEvent[] = [];
            if (context.stepsPerEpoch !== message.batches)
                events.push({kind: "plan", epochs: context.epochs, stepsPerEpoch: message.batches, validation: false});
            // A worker from before the running loss sends batch lines with counts only: nothing to draw
            const loss = numberOrNull(message.loss);
            if (loss == null) return events;
            const batchesDone = Math.min(Math.max(message.batch, 1), message.batches);
            const elapsedSeconds = numberOrNull(message.elapsedSeconds);
            const tokensPerSecond = context.contextTokens == null || elapsedSeconds == null || elapsedSeconds <= 0 ? null
                : batchesDone * context.contextTokens / elapsedSeconds;
            events.push({
                kind: "train",
                point: {
                    step: message.epoch * message.batches + batchesDone,
                    epoch: message.epoch + batchesDone / message.batches,
                    loss,
                    accuracy: numberOrNull(message.accuracy)
                },
                learningRate: null,
                tokensPerSecond
            });
            return events;
        }
        case "epoch": {
            // Without a plan (an older worker sends no batch lines and no window count) an epoch is one step
            const stepsPerEpoch = context.stepsPerEpoch ?? 1;
            const step = (message.epoch + 1) * stepsPerEpoch;
            const events: TrainingViewEvent[] = [{
                kind: "train",
                point: {step, epoch: message.epoch + 1, loss: message.loss, accuracy: numberOrNull(message.accuracy)},
                learningRate: numberOrNull(message.learningRate),
                tokensPerSecond: numberOrNull(message.tokensPerSecond)
            }];
            const validationLoss = numberOrNull(message.validationLoss);
            if (validationLoss != null) {
                events.push({
                    kind: "validation",
                    point: {step, epoch: message.epoch + 1, loss: validationLoss, accuracy: numberOrNull(message.validationAccuracy)}
                });
            }
            return events;
        }
        case "saved":
            return [{kind: "status", status: "saved", message: null, outputPath: message.outputPath}];
        case "error":
            return [{kind: "status", status: "failed", message: `${message.name}: ${message.message}`, outputPath: null}];
        default:
            return [];
    }
}

/** The context for the lines after `message`: a `dataset` line sets the window count and size. */
export function nextTrainWorkerMappingContext(context: TrainWorkerMappingContext, message: TrainWorkerMessage): TrainWorkerMappingContext {
    if (message.type === "dataset") return {...context, stepsPerEpoch: message.windows, contextTokens: message.contextTokens};
    if (message.type === "batch" && context.stepsPerEpoch !== message.batches) return {...context, stepsPerEpoch: message.batches};
    return context;
}
