import crypto from "node:crypto";

export const annotationField = "annotation";
export const difficulties = ["easy", "medium", "hard"] as const;
export type Difficulty = (typeof difficulties)[number];
export const verdicts = ["good", "bad"] as const;
export type Verdict = (typeof verdicts)[number];

/**
 * What a person recorded about an eval item, stored in the item itself under `annotation` (snake_case, as BELLE's
 * own fields are): their rating of a model answer, a note, the item's difficulty. Every field is optional.
 *
 * ```json
 * {"question": "…", "std_answer": "…", "class": "open qa",
 *  "annotation": {"human_score": 0.8, "verdict": "good", "rated_answer": "3f2a9c1b0d4e", "note": "…", "difficulty": "hard"}}
 * ```
 */
export type EvalAnnotation = {
    /** The person's score of the model answer, 0–1, on the judge's scale. */
    humanScore?: number,
    /** Good or bad, for agreement with the judge as a two-way call (Cohen's kappa). */
    verdict?: Verdict,
    /** `answerFingerprint` of the answer that was rated; absent: the rating is not tied to one answer. */
    ratedAnswer?: string,
    /** The run whose answer was rated. */
    ratedRun?: string,
    note?: string,
    difficulty?: Difficulty
};

/** The JSON field names under `annotation`. */
export const annotationKeys = {
    humanScore: "human_score", verdict: "verdict", ratedAnswer: "rated_answer", ratedRun: "rated_run", note: "note", difficulty: "difficulty"
} as const satisfies Record<keyof EvalAnnotation, string>;

/** The first 12 hex digits of the answer's sha256: enough to tell which answer a rating was about. */
export function answerFingerprint(answer: string): string {
    return crypto.createHash("sha256").update(answer).digest("hex").slice(0, 12);
}

/**
 * The annotation of an item from its fields, or null when it has none. Values of the wrong type or out of range are
 * left out (the eval-set diagnostics report them), so a hand-edited file never breaks a report.
 */
export function readEvalAnnotation(fields: Readonly<Record<string, unknown>>): EvalAnnotation | null {
    const raw = fields[annotationField];
    if (raw == null || typeof raw !== "object" || Array.isArray(raw)) return null;
    const value = raw as Record<string, unknown>;
    const annotation: EvalAnnotation = {};
    const humanScore = value[annotationKeys.humanScore];
    if (typeof humanScore === "number" && Number.isFinite(humanScore) && humanScore >= 0 && humanScore <= 1) annotation.humanScore = humanScore;
    const verdict = value[annotationKeys.verdict];
    if (typeof verdict === "string" && (verdicts as readonly string[]).includes(verdict)) annotation.verdict = verdict as Verdict;
    const ratedAnswer = value[annotationKeys.ratedAnswer];
    if (typeof ratedAnswer === "string" && ratedAnswer !== "") annotation.ratedAnswer = ratedAnswer;
    const ratedRun = value[annotationKeys.ratedRun];
    if (typeof ratedRun === "string" && ratedRun !== "") annotation.ratedRun = ratedRun;
    const note = value[annotationKeys.note];
    if (typeof note === "string" && note.trim() !== "") annotation.note = note;
    const difficulty = value[annotationKeys.difficulty];
    if (typeof difficulty === "string" && (difficulties as readonly string[]).includes(difficulty)) annotation.difficulty = difficulty as Difficulty;
    return Object.keys(annotation).length === 0 ? null : annotation;
}

/**
 * Whether a rating applies to a run's answer: a rating tied to an answer (`ratedAnswer`) counts only for that same
 * answer; an untied one counts for any answer.
 */
export function annotationRatesAnswer(annotation: EvalAnnotation, answer: string | null): boolean {
    if (answer == null) return false;
    return annotation.ratedAnswer == null || annotation.ratedAnswer === answerFingerprint(answer);
}
