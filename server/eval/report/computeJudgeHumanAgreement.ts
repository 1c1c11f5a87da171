import {annotationRatesAnswer, type EvalAnnotation} from "../annotation/EvalAnnotation";
import {recordScore, type EvalRunRecord} from "./EvalRunRecord";
import type {AgreementTable, GoodOrBad, JudgeHumanAgreement, JudgeHumanDisagreement} from "./JudgeHumanAgreement";
import {latestRecordPerItem} from "./latestRecordPerItem";
import {reportClassOf} from "./ReportClass";

export type {AgreementTable, GoodOrBad, JudgeHumanAgreement, JudgeHumanDisagreement} from "./JudgeHumanAgreement";

const goodThreshold = 0.5;
const disagreementGap = 0.5;
/**
 * Scores are decimals in binary floating point: 0.7 − 0.2 is 0.49999999999999994. Gaps are rounded to this many
 * places, so two scores a person reads as 0.5 apart are 0.5 apart, on the disagreement line and in the export.
 */
const gapDecimals = 9;
const spearmanMinimumPairs = 3;

type Pair = {record: EvalRunRecord, judgeScore: number, humanScore: number | null, humanVerdict: GoodOrBad};

/**
 * How the judge's scores agree with people's ratings (`annotations`, by item key) over one run's records: Spearman's
 * rank correlation of the scores, Cohen's kappa of the good/bad calls, and the items where they disagree.
 *
 * A record counts when the judge scored it and the item's annotation has a score or a verdict that rates this
 * record's answer (`annotationRatesAnswer`): a rating of another model's answer says nothing about this judge
 * call. Of a record written twice, the latest counts, as in the report.
 */
export function computeJudgeHumanAgreement(records: readonly EvalRunRecord[], annotations: ReadonlyMap<string, EvalAnnotation>): JudgeHumanAgreement {
    const pairs: Pair[] = [];
    const skipped = {ratedOtherAnswer: 0, notScored: 0};
    for (const record of latestRecordPerItem(records).records) {
        const annotation = annotations.get(record.itemKey);
        if (annotation == null || (annotation.humanScore == null && annotation.verdict == null)) continue;
        const judgeScore = recordScore(record);
        if (judgeScore == null) skipped.notScored++;
        else if (!annotationRatesAnswer(annotation, record.answer)) skipped.ratedOtherAnswer++;
        else pairs.push({
            record, judgeScore, humanScore: annotation.humanScore ?? null,
            // A person's explicit call counts before the reading of their score
            humanVerdict: annotation.verdict ?? callOf(annotation.humanScore!)
        });
    }

    const scored = pairs.filter((pair) => pair.humanScore != null);
    return {
        pairCount: pairs.length,
        spearman: spearmanCorrelation(scored.map((pair) => pair.judgeScore), scored.map((pair) => pair.humanScore!)),
        kappa: cohensKappa(pairs),
        disagreements: pairs.flatMap(disagreementOf).sort((left, right) => right.gap - left.gap || left.index - right.index),
        skipped,
        goodThreshold,
        disagreementGap
    };
}

function callOf(score: number): GoodOrBad {
    return score >= goodThreshold ? "good" : "bad";
}

function disagreementOf({record, judgeScore, humanScore, humanVerdict}: Pair): JudgeHumanDisagreement[] {
    const judgeVerdict = callOf(judgeScore);
    const gap = Number(Math.abs(judgeScore - (humanScore ?? (humanVerdict === "good" ? 1 : 0))).toFixed(gapDecimals));
    const scoresApart = humanScore != null && gap >= disagreementGap;
    if (judgeVerdict === humanVerdict && !scoresApart) return [];
    return [{
        itemKey: record.itemKey, index: record.index, className: reportClassOf(record).className,
        judgeScore, humanScore, judgeVerdict, humanVerdict, gap
    }];
}

/** Pearson's correlation of the ranks, ties given the average of the ranks they span. */
export function spearmanCorrelation(xs: readonly number[], ys: readonly number[]): JudgeHumanAgreement["spearman"] {
    const pairCount = xs.length;
    if (pairCount < spearmanMinimumPairs) return {rho: null, pairCount, undefinedReason: "tooFewPairs"};
    const xRanks = averageRanks(xs);
    const yRanks = averageRanks(ys);
    const meanRank = (pairCount + 1) / 2;
    let covariance = 0, xVariance = 0, yVariance = 0;
    for (let index = 0; index < pairCount; index++) {
        const dx = xRanks[index]! - meanRank;
        const dy = yRanks[index]! - meanRank;
        covariance += dx * dy;
        xVariance += dx * dx;
        yVariance += dy * dy;
    }
    if (xVariance === 0 || yVariance === 0) return {rho: null, pairCount, undefinedReason: "noVariance"};
    // Rounding can carry a perfect correlation a hair past ±1
    const rho = Math.max(-1, Math.min(1, covariance / Math.sqrt(xVariance * yVariance)));
    return {rho, pairCount, undefinedReason: null};
}

/** 1-based ranks in ascending order; equal values share the mean of the ranks they occupy. */
export function averageRanks(values: readonly number[]): number[] {
    const order = values.map((value, index) => ({value, index})).sort((left, right) => left.value - right.value);
    const ranks = new Array<number>(values.length);
    for (let start = 0; start < order.length;) {
        let end = start + 1;
        while (end < order.length && order[end]!.value === order[start]!.value) end++;
        // Positions start…end−1 are ranks start+1…end; their mean
        const rank = (start + 1 + end) / 2;
        for (let position = start; position < end; position++) ranks[order[position]!.index] = rank;
        start = end;
    }
    return ranks;
}

function cohensKappa(pairs: readonly Pair[]): JudgeHumanAgreement["kappa"] {
    const table: AgreementTable = {judgeGoodHumanGood: 0, judgeGoodHumanBad: 0, judgeBadHumanGood: 0, judgeBadHumanBad: 0};
    for (const pair of pairs) {
        const judgeGood = callOf(pair.judgeScore) === "good";
        const humanGood = pair.humanVerdict === "good";
        if (judgeGood) table[humanGood ? "judgeGoodHumanGood" : "judgeGoodHumanBad"]++;
        else table[humanGood ? "judgeBadHumanGood" : "judgeBadHumanBad"]++;
    }
    const count = pairs.length;
    if (count === 0) return {kappa: null, observedAgreement: null, expectedAgreement: null, table, undefinedReason: "noPairs"};
    const {judgeGoodHumanGood: a, judgeGoodHumanBad: b, judgeBadHumanGood: c, judgeBadHumanBad: d} = table;
    // In whole counts (times count²), so the test for chance agreement of exactly 1 is exact
    const chanceTimesCountSquared = (a + b) * (a + c) + (c + d) * (b + d);
    const observedAgreement = (a + d) / count;
    const expectedAgreement = chanceTimesCountSquared / (count * count);
    if (chanceTimesCountSquared === count * count)
        return {kappa: null, observedAgreement, expectedAgreement, table, undefinedReason: "singleCategory"};
    return {kappa: (observedAgreement - expectedAgreement) / (1 - expectedAgreement), observedAgreement, expectedAgreement, table, undefinedReason: null};
}
