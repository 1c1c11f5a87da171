import assert from "node:assert/strict";
import {answerFingerprint, type EvalAnnotation} from "../../server/eval/annotation/EvalAnnotation";
import {compareEvalRuns} from "../../server/eval/report/compareEvalRuns";
import {computeEvalReport} from "../../server/eval/report/computeEvalReport";
import {averageRanks, computeJudgeHumanAgreement} from "../../server/eval/report/computeJudgeHumanAgreement";
import type {EvalRun, EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {exportEvalReportJson, exportEvalReportMarkdown} from "../../server/eval/report/exportEvalReport";
import {evalRunRecord} from "../support/evalRunRecordFixture";

/** Records of the given judge scores, items 0, 1, 2, … of class open qa. */
function recordsOf(scores: Array<number | null>): EvalRunRecord[] {
    return scores.map((score, index) => evalRunRecord(index, "open qa", score));
}

/** Annotations for items 0, 1, 2, … (null: the item has none). */
function annotationsOf(annotations: Array<EvalAnnotation | null>): Map<string, EvalAnnotation> {
    const byKey = new Map<string, EvalAnnotation>();
    annotations.forEach((annotation, index) => {
        if (annotation != null) byKey.set(evalRunRecord(index, "open qa", 0).itemKey, annotation);
    });
    return byKey;
}

const close = (actual: number | null, expected: number, message?: string) => {
    assert.ok(actual != null, message ?? "a value, not null");
    assert.ok(Math.abs(actual - expected) < 1e-12, `${message ?? ""} ${actual} ≠ ${expected}`);
};

describe("computeJudgeHumanAgreement", () => {
    it("gives tied scores the average of their ranks", () => {
        // 1 → rank 1, 2 → rank 2, the three 3s span ranks 3, 4, 5 → 4 each
        assert.deepEqual(averageRanks([3, 1, 3, 2, 3]), [4, 1, 4, 2, 4]);
        assert.deepEqual(averageRanks([0.5, 0.5]), [1.5, 1.5]);
        assert.deepEqual(averageRanks([]), []);
    });

    it("computes Spearman's rho with ties on both sides as hand-computed: 55/68", () => {
        // judge x = 1.0, 0.8, 0.8, 0.5, 0.2, 0.0    human y = 0.9, 0.9, 0.6, 0.7, 0.1, 0.3
        // ranks x (ascending, ties averaged): 6, 4.5, 4.5, 3, 2, 1      (0.8 and 0.8 share ranks 4 and 5)
        // ranks y:                            5.5, 5.5, 3, 4, 1, 2      (0.9 and 0.9 share ranks 5 and 6)
        // mean rank (6 + 1) / 2 = 3.5, so dx = 2.5, 1, 1, −0.5, −1.5, −2.5 and dy = 2, 2, −0.5, 0.5, −2.5, −1.5
        // Σ dx·dy = 5 + 2 − 0.5 − 0.25 + 3.75 + 3.75 = 13.75;  Σ dx² = 17;  Σ dy² = 17
        // ρ = 13.75 / √(17 · 17) = 13.75 / 17 = 55/68 ≈ 0.8088 (scipy.stats.spearmanr gives the same)
        const agreement = computeJudgeHumanAgreement(recordsOf([1.0, 0.8, 0.8, 0.5, 0.2, 0.0]),
            annotationsOf([0.9, 0.9, 0.6, 0.7, 0.1, 0.3].map((humanScore) => ({humanScore}))));
        assert.equal(agreement.pairCount, 6);
        assert.equal(agreement.spearman.pairCount, 6);
        assert.equal(agreement.spearman.undefinedReason, null);
        close(agreement.spearman.rho, 55 / 68);
        // Calls (≥ 0.5 is good): judge g g g g b b, human g g g g b b: full agreement
        // p_o = 6/6 = 1; p_e = (4·4 + 2·2) / 36 = 20/36; κ = (1 − 20/36) / (1 − 20/36) = 1
        assert.deepEqual(agreement.kappa.table, {judgeGoodHumanGood: 4, judgeGoodHumanBad: 0, judgeBadHumanGood: 0, judgeBadHumanBad: 2});
        close(agreement.kappa.kappa, 1);
        close(agreement.kappa.expectedAgreement, 20 / 36);
        assert.deepEqual(agreement.disagreements, [], "no call differs and no gap reaches 0.5");
    });

    it("gives rho 1 for the same order and −1 for the reverse order, whatever the scale", () => {
        const judge = recordsOf([0.1, 0.4, 0.6, 0.9]);
        close(computeJudgeHumanAgreement(judge, annotationsOf([0.5, 0.6, 0.7, 1].map((humanScore) => ({humanScore})))).spearman.rho, 1);
        close(computeJudgeHumanAgreement(judge, annotationsOf([1, 0.7, 0.6, 0.5].map((humanScore) => ({humanScore})))).spearman.rho, -1);
    });

    it("computes Cohen's kappa from a 2×2 table as hand-computed: 0.4", () => {
        //                 human good   human bad
        // judge good          4            1        judge good: 5
        // judge bad           2            3        judge bad:  5
        //                human good: 6  human bad: 4       n = 10
        // p_o = (4 + 3) / 10 = 0.7;  p_e = (5·6 + 5·4) / 100 = 0.5;  κ = (0.7 − 0.5) / (1 − 0.5) = 0.4
        const judgeScores = [0.9, 0.8, 0.7, 0.6, 0.9, 0.1, 0.4, 0.2, 0.3, 0.0];
        const verdicts = ["good", "good", "good", "good", "bad", "good", "good", "bad", "bad", "bad"] as const;
        const agreement = computeJudgeHumanAgreement(recordsOf(judgeScores), annotationsOf(verdicts.map((verdict) => ({verdict}))));
        assert.equal(agreement.pairCount, 10);
        assert.deepEqual(agreement.kappa.table, {judgeGoodHumanGood: 4, judgeGoodHumanBad: 1, judgeBadHumanGood: 2, judgeBadHumanBad: 3});
        close(agreement.kappa.observedAgreement, 0.7);
        close(agreement.kappa.expectedAgreement, 0.5);
        close(agreement.kappa.kappa, 0.4);
        assert.equal(agreement.kappa.undefinedReason, null);
        // Verdicts only: no human score to rank
        assert.deepEqual(agreement.spearman, {rho: null, pairCount: 0, undefinedReason: "tooFewPairs"});
        // The three calls that differ; a verdict alone stands for 1 (good) or 0 (bad) in the gap:
        // item 4: |0.9 − 0| = 0.9;  item 5: |0.1 − 1| = 0.9;  item 6: |0.4 − 1| = 0.6. Equal gaps go by index.
        assert.deepEqual(agreement.disagreements.map(({index, judgeVerdict, humanVerdict, humanScore}) => ({index, judgeVerdict, humanVerdict, humanScore})), [
            {index: 4, judgeVerdict: "good", humanVerdict: "bad", humanScore: null},
            {index: 5, judgeVerdict: "bad", humanVerdict: "good", humanScore: null},
            {index: 6, judgeVerdict: "bad", humanVerdict: "good", humanScore: null}
        ]);
        close(agreement.disagreements[2]!.gap, 0.6);
    });

    it("reads a person's score as good from 0.5 up when there is no verdict, and takes the verdict over the score", () => {
        const agreement = computeJudgeHumanAgreement(recordsOf([0.6, 0.6, 0.6]), annotationsOf([
            {humanScore: 0.5}, // good by the score
            {humanScore: 0.49}, // bad by the score
            {humanScore: 0.3, verdict: "good"} // the verdict counts
        ]));
        assert.deepEqual(agreement.kappa.table, {judgeGoodHumanGood: 2, judgeGoodHumanBad: 1, judgeBadHumanGood: 0, judgeBadHumanBad: 0});
        assert.deepEqual(agreement.disagreements.map((item) => item.index), [1], "item 2's calls match and |0.6 − 0.3| < 0.5");
    });

    it("lists a disagreement when the scores are 0.5 apart, even with matching calls and decimal rounding", () => {
        const agreement = computeJudgeHumanAgreement(recordsOf([0.5, 0.7, 1, 0.9]), annotationsOf([
            {humanScore: 1}, // both good, |0.5 − 1| = 0.5 exactly
            {humanScore: 0.2, verdict: "good"}, // both good, |0.7 − 0.2| is 0.49999999999999994 in binary: still 0.5 apart
            {humanScore: 0.6}, // both good, 0.4 apart: agreement
            {humanScore: 0.1} // calls differ, 0.8 apart
        ]));
        assert.deepEqual(agreement.disagreements.map((item) => [item.index, item.judgeVerdict, item.humanVerdict]),
            [[3, "good", "bad"], [0, "good", "good"], [1, "good", "good"]]);
        close(agreement.disagreements[0]!.gap, 0.8);
        assert.equal(agreement.disagreements[1]!.humanScore, 1);
        assert.equal(agreement.disagreements[2]!.gap, 0.5, "rounded, not 0.49999999999999994");
    });

    it("counts a rating tied to this answer or to no answer, and leaves out one tied to another answer", () => {
        const records = recordsOf([0.8, 0.8, 0.8, 0.8]);
        const agreement = computeJudgeHumanAgreement(records, annotationsOf([
            {humanScore: 0.9}, // untied: rates whatever answer the item has
            {humanScore: 0.9, ratedAnswer: answerFingerprint(records[1]!.answer!)}, // tied to this very answer
            {humanScore: 0.1, ratedAnswer: answerFingerprint("另一个模型的回答")}, // tied to another answer
            {note: "只有备注", difficulty: "hard"} // no rating at all
        ]));
        assert.equal(agreement.pairCount, 2);
        assert.deepEqual(agreement.skipped, {ratedOtherAnswer: 1, notScored: 0});
        assert.deepEqual(agreement.disagreements, [], "the 0.1 for another answer would have been one");
    });

    it("leaves out items the judge did not score, and counts only an item's latest record", () => {
        const records = [
            evalRunRecord(0, "open qa", 0.9),
            evalRunRecord(1, "open qa", null),
            evalRunRecord(2, "open qa", 0.1),
            evalRunRecord(2, "open qa", 0.95) // a rerun of item 2: this one counts
        ];
        const agreement = computeJudgeHumanAgreement(records, annotationsOf([{verdict: "good"}, {verdict: "good"}, {verdict: "good"}]));
        assert.equal(agreement.pairCount, 2);
        assert.deepEqual(agreement.skipped, {ratedOtherAnswer: 0, notScored: 1});
        assert.deepEqual(agreement.disagreements, []);
    });

    it("has no rho under 3 pairs, yet still a kappa", () => {
        const agreement = computeJudgeHumanAgreement(recordsOf([0.9, 0.2]), annotationsOf([{humanScore: 0.8}, {humanScore: 0.7}]));
        assert.equal(agreement.pairCount, 2);
        assert.deepEqual(agreement.spearman, {rho: null, pairCount: 2, undefinedReason: "tooFewPairs"});
        // judge g b, human g g: p_o = 1/2; p_e = (1·2 + 1·0) / 4 = 1/2; κ = 0
        close(agreement.kappa.kappa, 0);
        close(agreement.kappa.observedAgreement, 0.5);
    });

    it("has no rho when one side gives every pair the same score", () => {
        const agreement = computeJudgeHumanAgreement(recordsOf([0.9, 0.5, 0.1]), annotationsOf([{humanScore: 0.8}, {humanScore: 0.8}, {humanScore: 0.8}]));
        assert.deepEqual(agreement.spearman, {rho: null, pairCount: 3, undefinedReason: "noVariance"});
    });

    it("has no kappa when both sides make the same call on every pair, or there are no pairs", () => {
        const same = computeJudgeHumanAgreement(recordsOf([0.9, 0.8, 0.7]), annotationsOf([{verdict: "good"}, {verdict: "good"}, {verdict: "good"}]));
        // p_e = (3·3 + 0·0) / 9 = 1: κ = (1 − 1) / (1 − 1) is 0/0
        assert.equal(same.kappa.kappa, null);
        assert.equal(same.kappa.undefinedReason, "singleCategory");
        assert.equal(same.kappa.observedAgreement, 1);
        // One side all good, the other all bad: p_e = 0, so κ is defined (0) even though they never agree
        const opposite = computeJudgeHumanAgreement(recordsOf([0.9, 0.8]), annotationsOf([{verdict: "bad"}, {verdict: "bad"}]));
        assert.equal(opposite.kappa.kappa, 0);
        const none = computeJudgeHumanAgreement(recordsOf([0.9]), new Map());
        assert.equal(none.pairCount, 0);
        assert.deepEqual(none.kappa, {
            kappa: null, observedAgreement: null, expectedAgreement: null, undefinedReason: "noPairs",
            table: {judgeGoodHumanGood: 0, judgeGoodHumanBad: 0, judgeBadHumanGood: 0, judgeBadHumanBad: 0}
        });
    });
});

describe("the judge–human agreement in the exported report", () => {
    const run = (model: string, records: EvalRunRecord[]): EvalRun => ({
        header: {kind: "header", runId: `run-${model}`, evalSetPath: "eval_set.json", model, modelHash: null, judge: "gpt-4", settings: {}, createdAt: "2024-05-01T08:00:00.000Z"},
        records: records.map((item) => ({...item, model}))
    });
    const records = recordsOf([0.9, 0.8, 0.7, 0.6, 0.9, 0.1, 0.4, 0.2, 0.3, 0.0]);
    const annotations = annotationsOf(["good", "good", "good", "good", "bad", "good", "good", "bad", "bad", "bad"].map((verdict) => ({verdict: verdict as "good" | "bad"})));

    it("adds a Markdown section with kappa, the 2×2 table and the disagreements, and puts the object in the JSON", () => {
        const report = computeEvalReport(run("belle-7b", records), {resamples: 100});
        report.agreement = computeJudgeHumanAgreement(records, annotations);
        const markdown = exportEvalReportMarkdown(report);
        assert.match(markdown, /## 评审与人工一致性 Judge–human agreement/);
        assert.match(markdown, /\| Cohen's κ（好\/差） Cohen's κ \(good\/bad\) \| 0\.400 \| 10 \|/);
        assert.match(markdown, /\| 好\/差一致率 Agreement on good\/bad \| 70% \| 10 \|/);
        assert.match(markdown, /Spearman ρ.* \| — \(人工打分的配对少于 3 个 fewer than 3 pairs with a human score\) \| 0 \|/);
        assert.match(markdown, /\| 评审：好 Judge: good \| 4 \| 1 \|\n\| 评审：差 Judge: bad \| 2 \| 3 \|/);
        assert.match(markdown, /### 评审与人工的分歧 Disagreements \(3\)/);
        assert.match(markdown, /\| 4 \| open qa \| 0\.900 \| — \| 差 bad \| 0\.900 \|/);
        const json = JSON.parse(exportEvalReportJson(report)) as {agreement: {pairCount: number, kappa: {kappa: number}}};
        assert.equal(json.agreement.pairCount, 10);
        close(json.agreement.kappa.kappa, 0.4);
    });

    it("leaves the section out without annotations, and gives each compared run with pairs its own", () => {
        const plain = computeEvalReport(run("belle-7b", records), {resamples: 100});
        assert.doesNotMatch(exportEvalReportMarkdown(plain), /Judge–human/);
        assert.equal("agreement" in JSON.parse(exportEvalReportJson(plain)), false);

        const comparison = compareEvalRuns([run("base", records), run("new", records)], {resamples: 100});
        comparison.reports[1]!.agreement = computeJudgeHumanAgreement(records, annotations);
        const markdown = exportEvalReportMarkdown(comparison);
        assert.equal(markdown.match(/## 评审与人工一致性/g)?.length, 1);
        assert.match(markdown, /## 评审与人工一致性：new \(run-new\) Judge–human agreement: new \(run-new\)/);
    });
});
