/**
 * One finished item of an evaluation run: a line of the run file (JSONL) after its header line. The eval runner
 * appends these as items finish, so their order in the file is the order they finished, not the eval set's.
 */
export interface EvalRunRecord {
    /** Stable id of the item across runs of the same eval set: `${index}:${sha256(question).slice(0, 12)}`. */
    itemKey: string,
    index: number,
    question: string,
    stdAnswer: string,
    /** The class as the eval set writes it. */
    className: string,
    /** The known BELLE class `className` matched, or null for a class that is not BELLE's. */
    evalClass: string | null,
    /** The candidate model's answer; null when generation failed. */
    answer: string | null,
    /** 0–1; null when the judge failed or gave no parsable score. */
    score: number | null,
    judgeReason: string | null,
    judgeRaw: string | null,
    /** What failed for this item (generation or judge), else null. */
    error: string | null,
    model: string,
    judge: string,
    /** ISO 8601. */
    finishedAt: string
}

/** The first line of a run file. */
export interface EvalRunHeader {
    kind: "header",
    runId: string,
    evalSetPath: string,
    model: string,
    modelHash: string | null,
    judge: string,
    settings: Record<string, unknown>,
    /** ISO 8601. */
    createdAt: string
}

/** A run as the report reads it: its header (null for a run file that has none) and its records in file order. */
export interface EvalRun {
    header: EvalRunHeader | null,
    records: readonly EvalRunRecord[]
}

/**
 * The score a record counts with, or null when the item failed. A score that is not a number in 0–1 (a hand-edited
 * or corrupt run file) is a failure too: it must not enter a mean, and must not become a silent 0 either.
 */
export function recordScore(record: EvalRunRecord): number | null {
    const {score} = record;
    return typeof score === "number" && score >= 0 && score <= 1 ? score : null;
}

/**
 * Whether an item was answered but, by design, not scored: the reference judge needs a standard answer and the item
 * has none (BELLE's eval set leaves it empty for generation, brainstorming, rewrite…). Not a failure: such items are
 * counted apart, and not offered as errors to fix.
 */
export function recordNotScored(record: EvalRunRecord): boolean {
    return record.score == null && record.answer != null && record.judge === "reference" && record.stdAnswer.trim() === "";
}

/** Why a record has no usable score, in words for a report: the runner's error, or what is missing. */
export function describeFailure(record: EvalRunRecord): string {
    if (record.error != null && record.error.trim() !== "") return record.error;
    if (record.score == null) return record.answer == null ? "No answer was generated." : "The judge gave no score.";
    return `The score ${JSON.stringify(record.score)} is not a number from 0 to 1.`;
}
