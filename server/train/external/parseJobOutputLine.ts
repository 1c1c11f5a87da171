import type {TrainWorkerMessage} from "../trainer/trainWorker";
import {parseTrainerLogLine, type TrainerLogLine} from "./parseTrainerLogLine";

/**
 * One line of a training job's output, whoever wrote it: our own trainer (`belle train run --json-lines`), a
 * Hugging Face Trainer or LLaMA-Factory (their log dicts and tqdm bars), or anything else (kept as text, so that an
 * error message reaches the user).
 */
export type JobOutputEvent =
    | {kind: "belle", message: TrainWorkerMessage}
    | {kind: "trainer", record: TrainerLogLine}
    | {kind: "text", line: string};

const belleMessageTypes = new Set<string>(["dataset", "converted", "batch", "epoch", "saved", "error"]);

/** Pure; never throws. */
export function parseJobOutputLine(line: string): JobOutputEvent {
    // our JSON lines also hold "loss" and "epoch", so they are recognised before the Trainer's dicts
    const trimmed = line.trim();
    if (trimmed.startsWith("{\"type\":")) {
        const message = parseBelleMessage(trimmed);
        if (message != null) return {kind: "belle", message};
    }
    const record = parseTrainerLogLine(line);
    if (record != null) return {kind: "trainer", record};
    return {kind: "text", line};
}

function parseBelleMessage(text: string): TrainWorkerMessage | null {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return null; // not JSON after all: the caller tries the other readings
    }
    if (value == null || typeof value !== "object" || Array.isArray(value)) return null;
    const type = (value as {type?: unknown}).type;
    return typeof type === "string" && belleMessageTypes.has(type) ? value as TrainWorkerMessage : null;
}
