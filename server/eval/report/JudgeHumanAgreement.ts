// Types only, and no import of EvalAnnotation.ts (it needs node:crypto): the report webview compiles against these.

/** A good/bad call, by the judge (score ≥ `goodThreshold`) or by a person (their verdict, else their score). */
export type GoodOrBad = "good" | "bad";

/** One item on which the judge and a person disagree. */
export type JudgeHumanDisagreement = {
    itemKey: string,
    index: number,
    className: string,
    judgeScore: number,
    /** The person's `human_score`; null when they gave only a verdict. */
    humanScore: number | null,
    judgeVerdict: GoodOrBad,
    humanVerdict: GoodOrBad,
    /**
     * How far apart the two are, the list's sort key: |judge − human score|, or for a verdict alone |judge − 1| for
     * good and |judge − 0| for bad.
     */
    gap: number
};

/** The 2×2 table of good/bad calls, judge by person. */
export type AgreementTable = {
    judgeGoodHumanGood: number,
    judgeGoodHumanBad: number,
    judgeBadHumanGood: number,
    judgeBadHumanBad: number
};

/**
 * How well the judge agrees with the people who annotated the eval set, over the items of one run that have both a
 * judge score and a person's rating of that same answer.
 */
export type JudgeHumanAgreement = {
    /** Items with a judge score and a person's score or verdict of the same answer. */
    pairCount: number,
    /** Spearman's rank correlation of the judge score with `human_score`, over the pairs that have a human score. */
    spearman: {
        /** Null when it is undefined, for `undefinedReason`. */
        rho: number | null,
        pairCount: number,
        /** `tooFewPairs`: under 3 pairs; `noVariance`: one side gives every pair the same score. */
        undefinedReason: "tooFewPairs" | "noVariance" | null
    },
    /** Cohen's kappa of the good/bad calls, over every pair. */
    kappa: {
        kappa: number | null,
        /** Share of pairs where both call the same, 0–1; null without pairs. */
        observedAgreement: number | null,
        /** The share of agreement the two sides' good/bad rates give by chance, 0–1; null without pairs. */
        expectedAgreement: number | null,
        table: AgreementTable,
        /** `noPairs`; `singleCategory`: both call every pair the same one way, so agreement by chance is already 1. */
        undefinedReason: "noPairs" | "singleCategory" | null
    },
    /** Calls that differ, or scores `disagreementGap` or more apart; the largest gap first, then by index. */
    disagreements: JudgeHumanDisagreement[],
    /** Annotated items left out, and why. */
    skipped: {
        /** The rating is tied (`rated_answer`) to another answer than this run's. */
        ratedOtherAnswer: number,
        /** The item has no judge score in this run (generation or judge failed). */
        notScored: number
    },
    /** A score at or above this is good, for both sides. */
    goodThreshold: number,
    /** Scores at least this far apart are a disagreement even when the calls match. */
    disagreementGap: number
};
