/**
 * Parses one line of a Hugging Face Trainer or LLaMA-Factory log. Pure; never throws.
 *
 * The Trainer logs Python dict reprs (`{'loss': 1.86, 'grad_norm': 0.52, 'learning_rate': 1.9e-05, 'epoch': 0.05}`),
 * often glued to a tqdm bar on the same line by carriage returns; LLaMA-Factory's `trainer_log.jsonl` uses JSON
 * with `current_steps`/`total_steps`. Values we cannot read as a number (`tensor(0.5, device='cuda:0')`) are skipped.
 */

export type TrainerLogTrainLine = {
    kind: "train",
    step?: number,
    totalSteps?: number,
    epoch: number,
    loss: number,
    learningRate?: number,
    gradNorm?: number,
    throughput?: number
};
export type TrainerLogEvalLine = {
    kind: "eval",
    step?: number,
    epoch: number,
    evalLoss: number,
    evalRuntimeSeconds?: number,
    evalSamplesPerSecond?: number,
    evalStepsPerSecond?: number,
    /** every `eval_*` number on the line, keyed without the prefix (`accuracy`, `loss`, …) */
    metrics: Record<string, number>
};
export type TrainerLogSummaryLine = {
    kind: "summary",
    trainRuntimeSeconds: number,
    trainLoss: number,
    trainSamplesPerSecond?: number,
    trainStepsPerSecond?: number,
    totalFlos?: number,
    epoch?: number
};
export type TrainerLogProgressLine = {kind: "progress", current: number, total: number};
export type TrainerLogLine = TrainerLogTrainLine | TrainerLogEvalLine | TrainerLogSummaryLine | TrainerLogProgressLine;

const numberPattern = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
// tqdm: `10/200 [00:30<09:30,  3.00s/it]`
const progressPattern = /(\d+)\/(\d+)\s*\[/g;

export function parseTrainerLogLine(line: string): TrainerLogLine | null {
    try {
        return parseLine(line);
    } catch {
        // A log line must never break the job that reads the log; an unreadable line is simply not an event.
        return null;
    }
}

function parseLine(line: string): TrainerLogLine | null {
    const progress = lastProgress(line);
    const dict = lastDict(line);
    if (dict != null) {
        const event = classify(dict, progress);
        if (event != null) return event;
    }
    return progress;
}

function lastProgress(line: string): TrainerLogProgressLine | null {
    let found: TrainerLogProgressLine | null = null;
    for (const match of line.matchAll(progressPattern)) {
        const current = Number(match[1]);
        const total = Number(match[2]);
        if (Number.isSafeInteger(current) && Number.isSafeInteger(total) && total > 0 && current <= total)
            found = {kind: "progress", current, total};
    }
    return found;
}

function classify(values: Map<string, number>, progress: TrainerLogProgressLine | null): TrainerLogLine | null {
    const get = (key: string) => values.get(key);
    const epoch = get("epoch");
    const stepFromLog = get("current_steps") ?? get("step");
    const step = stepFromLog ?? progress?.current;

    const trainRuntimeSeconds = get("train_runtime");
    const trainLoss = get("train_loss");
    if (trainRuntimeSeconds !== undefined && trainLoss !== undefined)
        return dropUndefined<TrainerLogSummaryLine>({
            kind: "summary",
            trainRuntimeSeconds,
            trainLoss,
            trainSamplesPerSecond: get("train_samples_per_second"),
            trainStepsPerSecond: get("train_steps_per_second"),
            totalFlos: get("total_flos"),
            epoch
        });

    const evalLoss = get("eval_loss");
    if (evalLoss !== undefined && epoch !== undefined) {
        const metrics: Record<string, number> = {};
        for (const [key, value] of values)
            if (key.startsWith("eval_")) metrics[key.slice("eval_".length)] = value;
        return dropUndefined<TrainerLogEvalLine>({
            kind: "eval",
            step,
            epoch,
            evalLoss,
            evalRuntimeSeconds: get("eval_runtime"),
            evalSamplesPerSecond: get("eval_samples_per_second"),
            evalStepsPerSecond: get("eval_steps_per_second"),
            metrics
        });
    }

    const loss = get("loss");
    if (loss !== undefined && epoch !== undefined)
        return dropUndefined<TrainerLogTrainLine>({
            kind: "train",
            step,
            totalSteps: get("total_steps") ?? (stepFromLog === undefined ? progress?.total : undefined),
            epoch,
            loss,
            learningRate: get("learning_rate") ?? get("lr"),
            gradNorm: get("grad_norm"),
            throughput: get("throughput")
        });
    return null;
}

function dropUndefined<T extends object>(value: T): T {
    for (const key of Object.keys(value) as (keyof T)[])
        if (value[key] === undefined) delete value[key];
    return value;
}

/** The last `{…}` on the line whose entries are `'key': value` or `"key": value`, as numbers by key. */
function lastDict(line: string): Map<string, number> | null {
    // lastIndexOf with a negative position searches from 0 again, so stop explicitly after index 0.
    for (let start = line.lastIndexOf("{"); start >= 0; start = start === 0 ? -1 : line.lastIndexOf("{", start - 1)) {
        const body = dictBody(line, start);
        if (body == null) continue;
        const values = parseEntries(body);
        if (values != null && values.size > 0) return values;
    }
    return null;
}

function dictBody(line: string, start: number): string | null {
    let depth = 0;
    let quote: string | null = null;
    for (let i = start; i < line.length; i++) {
        const char = line[i]!;
        if (quote != null) {
            if (char === "\\") i++;
            else if (char === quote) quote = null;
            continue;
        }
        if (char === "'" || char === '"') quote = char;
        else if (char === "{" || char === "(" || char === "[") depth++;
        else if (char === "}" || char === ")" || char === "]") {
            depth--;
            if (depth === 0) return char === "}" ? line.slice(start + 1, i) : null;
        }
    }
    return null;
}

function parseEntries(body: string): Map<string, number> | null {
    const values = new Map<string, number>();
    let sawKey = false;
    for (const entry of splitTopLevel(body)) {
        const match = /^\s*(['"])([^'"]+)\1\s*:\s*([\s\S]*?)\s*$/.exec(entry);
        if (match == null) {
            if (entry.trim() === "") continue;
            return null;
        }
        sawKey = true;
        const value = parseNumber(match[3]!);
        if (value !== undefined) values.set(match[2]!, value);
    }
    return sawKey ? values : null;
}

function splitTopLevel(body: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let quote: string | null = null;
    let from = 0;
    for (let i = 0; i < body.length; i++) {
        const char = body[i]!;
        if (quote != null) {
            if (char === "\\") i++;
            else if (char === quote) quote = null;
        } else if (char === "'" || char === '"') quote = char;
        else if (char === "(" || char === "[" || char === "{") depth++;
        else if (char === ")" || char === "]" || char === "}") depth--;
        else if (char === "," && depth === 0) {
            parts.push(body.slice(from, i));
            from = i + 1;
        }
    }
    parts.push(body.slice(from));
    return parts;
}

function parseNumber(text: string): number | undefined {
    const lower = text.toLowerCase();
    if (lower === "nan" || lower === "-nan" || lower === "+nan") return NaN;
    if (lower === "inf" || lower === "+inf" || lower === "infinity") return Infinity;
    if (lower === "-inf" || lower === "-infinity") return -Infinity;
    if (!numberPattern.test(text)) return undefined;
    return Number(text);
}
