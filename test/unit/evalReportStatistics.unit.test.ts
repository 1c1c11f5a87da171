import assert from "node:assert/strict";
import {bootstrapStratifiedMeans} from "../../server/eval/report/bootstrapStratifiedMeans";
import {computeEvalReport} from "../../server/eval/report/computeEvalReport";
import {createSeededRandom} from "../../server/eval/report/createSeededRandom";
import {EvalReportError} from "../../server/eval/report/EvalReportError";
import type {EvalRun, EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {wilcoxonSignedRank} from "../../server/eval/report/wilcoxonSignedRank";
import {evalRunRecord} from "../support/evalRunRecordFixture";

const record = evalRunRecord;

function runOf(records: EvalRunRecord[]): EvalRun {
    return {
        header: {kind: "header", runId: "run-1", evalSetPath: "eval_set.json", model: "belle-7b", modelHash: null, judge: "gpt-4", settings: {}, createdAt: "2024-05-01T00:00:00.000Z"},
        records
    };
}

// open qa 0.7, math 0.3, code 1, rewrite 0.9 (one failed): every mean below is worked out by hand from these
const handComputed = [
    record(0, "open qa", 1), record(1, "open qa", 0.5), record(2, "open qa", 0.6),
    record(3, "math", 0.2), record(4, "math", 0.4),
    record(5, "code", 1),
    record(6, "rewrite", 0.9), record(7, "rewrite", null)
];

/** Scores 0, 0.1, …, 1 repeated: a spread like a judge's, with a known mean of 0.5. */
function spreadScores(className: string, count: number, firstIndex = 0): EvalRunRecord[] {
    return Array.from({length: count}, (_, offset) => record(firstIndex + offset, className, (offset % 11) / 10));
}

function width(interval: {low: number, high: number} | null): number {
    assert.ok(interval != null);
    return interval.high - interval.low;
}

describe("computeEvalReport", () => {
    it("averages each class and BELLE's macro scores to the hand-computed values", () => {
        const report = computeEvalReport(runOf(handComputed));
        const means = Object.fromEntries(report.classes.map((classScore) => [classScore.key, classScore.mean]));
        assert.deepEqual(Object.keys(means), ["open qa", "rewrite", "math", "code"], "BELLE's class order");
        assertClose(means["open qa"]!, 0.7);
        assertClose(means.math!, 0.3);
        assertClose(means.code!, 1);
        assertClose(means.rewrite!, 0.9);
        // BELLE's papers: math and code items form one category, "others", so the macro average is over 9 categories
        assertClose(report.others.mean!, (0.2 + 0.4 + 1) / 3, "the others category pools its items");
        assert.deepEqual(report.others.classes, ["math", "code"]);
        assert.equal(report.others.scoredCount, 3);
        assertClose(report.overall.mean!, (0.7 + 0.9 + 1.6 / 3) / 3);
        assert.deepEqual(report.overall.classes, ["open qa", "rewrite", "others"]);
        assertClose(report.classMacro.mean!, (0.7 + 0.3 + 1 + 0.9) / 4, "the mean of class means, math and code apart");
        assertClose(report.withoutOthers.mean!, (0.7 + 0.9) / 2);
        assert.deepEqual(report.withoutOthers.classes, ["open qa", "rewrite"]);
        assertClose(report.itemMean.mean!, 4.6 / 7);
        assert.equal(report.itemCount, 8);
        assert.equal(report.scoredCount, 7);
        assert.equal(report.failedCount, 1);
    });

    it("leaves failed items out of every mean instead of scoring them 0", () => {
        const report = computeEvalReport(runOf([
            ...handComputed,
            record(8, "rewrite", Number.NaN, {error: null}),
            record(9, "rewrite", 1.5, {error: null}),
            record(10, "rewrite", null, {answer: null, error: "Generation failed: the engine stopped."})
        ]));
        const rewrite = report.classes.find((classScore) => classScore.key === "rewrite")!;
        assert.equal(rewrite.mean, 0.9, "0.9 alone, not (0.9 + 0 + 0 + 0 + 0) / 5");
        assert.deepEqual([rewrite.itemCount, rewrite.scoredCount, rewrite.failedCount], [5, 1, 4]);
        assertClose(report.itemMean.mean!, 4.6 / 7);
        assert.deepEqual(report.failedItems.map((item) => [item.index, item.error]), [
            [7, "The judge gave no score."],
            [8, "The score null is not a number from 0 to 1."],
            [9, "The score 1.5 is not a number from 0 to 1."],
            [10, "Generation failed: the engine stopped."]
        ]);
    });

    it("keeps a class whose items all failed in the table and names it as missing from the score", () => {
        const report = computeEvalReport(runOf([...handComputed, record(8, "summarization", null), record(9, "summarization", null)]));
        const summarization = report.classes.find((classScore) => classScore.key === "summarization")!;
        assert.equal(summarization.mean, null);
        assert.equal(summarization.ci, null);
        assert.equal(summarization.failedCount, 2);
        assert.deepEqual(report.overall.classesWithoutScore, ["summarization"]);
        assert.deepEqual(report.withoutOthers.classesWithoutScore, ["summarization"]);
        assertClose(report.overall.mean!, (0.7 + 0.9 + 1.6 / 3) / 3, "the scored categories only");
    });

    it("gives intervals that contain the mean and narrow as the items quadruple", () => {
        const small = computeEvalReport(runOf([...spreadScores("open qa", 22), ...spreadScores("math", 22, 100)]));
        const large = computeEvalReport(runOf([...spreadScores("open qa", 88), ...spreadScores("math", 88, 100)]));
        for (const report of [small, large]) {
            for (const estimate of [report.overall, report.withoutOthers, report.others, report.classMacro, report.itemMean, ...report.classes]) {
                assert.ok(estimate.ci != null && estimate.ci.low <= estimate.mean! && estimate.mean! <= estimate.ci.high,
                    `${JSON.stringify(estimate.ci)} should contain ${estimate.mean}`);
                assert.equal(estimate.ci.level, 0.95);
            }
        }
        // Four times the items halves the standard error; allow for the bootstrap's own noise
        const ratio = width(large.overall.ci) / width(small.overall.ci);
        assert.ok(ratio > 0.4 && ratio < 0.6, `width ratio ${ratio}`);
        assert.ok(width(large.classes[0]!.ci) < width(small.classes[0]!.ci));
    });

    it("gives a class interval close to the textbook mean ± 1.96 standard errors for a large class", () => {
        const scores = spreadScores("open qa", 110); // 0, 0.1, …, 1 ten times over: mean 0.5, variance 0.1
        const report = computeEvalReport(runOf(scores), {resamples: 4_000});
        const standardError = Math.sqrt(0.1 / 110);
        const interval = report.classes[0]!.ci!;
        assertClose(interval.low, 0.5 - 1.96 * standardError, "low bound", 0.008);
        assertClose(interval.high, 0.5 + 1.96 * standardError, "high bound", 0.008);
    });

    it("gives the same intervals for the same seed whatever order the items finished in", () => {
        const records = [...spreadScores("open qa", 30), ...spreadScores("math", 12, 100), ...spreadScores("poetry", 9, 200)];
        const shuffled = [...records].sort((left, right) => (left.index * 7919) % 31 - (right.index * 7919) % 31);
        assert.notDeepEqual(shuffled.map((item) => item.index), records.map((item) => item.index));
        const first = computeEvalReport(runOf(records), {seed: 42});
        assert.deepEqual(computeEvalReport(runOf(records), {seed: 42}), first);
        assert.deepEqual(computeEvalReport(runOf(shuffled), {seed: 42}), first);
    });

    it("gives different intervals for a different seed and the same means", () => {
        const records = spreadScores("open qa", 40);
        const first = computeEvalReport(runOf(records), {seed: 1});
        const second = computeEvalReport(runOf(records), {seed: 2});
        assert.equal(first.overall.mean, second.overall.mean);
        assert.notDeepEqual(first.overall.ci, second.overall.ci);
        assert.deepEqual(second.bootstrap, {resamples: 2_000, seed: 2, confidenceLevel: 0.95, stratifiedBy: "class"});
    });

    it("counts the latest record of an item that the run file holds twice and reports the one it replaced", () => {
        const retried = record(7, "rewrite", 0.5, {finishedAt: "2024-05-02T00:00:00.000Z"});
        const report = computeEvalReport(runOf([...handComputed, retried]));
        assert.equal(report.itemCount, 8);
        assert.equal(report.supersededRecordCount, 1);
        assert.equal(report.failedCount, 0);
        assertClose(report.classes.find((classScore) => classScore.key === "rewrite")!.mean!, 0.7);
    });

    it("groups the spellings of a class together, BELLE's classes first in BELLE's order, then unknown ones by name", () => {
        const report = computeEvalReport(runOf([
            record(0, "Poetry ", 0.4), record(1, "Math", 0.2), record(2, "open QA", 1), record(3, "poetry", 0.6),
            record(4, "open\u00a0qa", 0.5, {evalClass: null}), record(5, "Acrostic", 0.3)
        ]));
        assert.deepEqual(report.classes.map((classScore) => [classScore.key, classScore.className, classScore.itemCount]), [
            ["open qa", "open qa", 2], ["math", "math", 1], ["acrostic", "Acrostic", 1], ["poetry", "Poetry", 2]
        ]);
        assert.deepEqual(report.classes.map((classScore) => classScore.isOther), [false, true, false, false]);
        assertClose(report.withoutOthers.mean!, (0.75 + 0.3 + 0.5) / 3);
    });

    it("gives no interval to a class of a single item rather than a zero-width one", () => {
        const report = computeEvalReport(runOf(handComputed));
        assert.equal(report.classes.find((classScore) => classScore.key === "code")!.ci, null);
        assert.equal(report.classes.find((classScore) => classScore.key === "rewrite")!.ci, null);
        assert.ok(report.classes.find((classScore) => classScore.key === "math")!.ci != null);
    });

    it("reports an empty run without means or intervals", () => {
        const report = computeEvalReport(runOf([]));
        assert.equal(report.overall.mean, null);
        assert.equal(report.overall.ci, null);
        assert.equal(report.itemMean.mean, null);
        assert.deepEqual(report.classes, []);
    });

    it("takes the model and judge from the records when the run file has no header", () => {
        const report = computeEvalReport({header: null, records: handComputed});
        assert.deepEqual(report.run, {runId: null, evalSetPath: null, model: "belle-7b", judge: "gpt-4", createdAt: null});
    });

    it("refuses resample counts and confidence levels that make no sense", () => {
        for (const options of [{resamples: 0}, {resamples: 1.5}, {confidenceLevel: 1}, {confidenceLevel: 0}, {seed: 0.5}])
            assert.throws(() => computeEvalReport(runOf(handComputed), options), (error: unknown) =>
                error instanceof EvalReportError && error.code === "invalid_report_option");
    });
});

describe("bootstrapStratifiedMeans", () => {
    it("resamples a two-value stratum into means of 0, 0.5 and 1 in the proportions 1 : 2 : 1", () => {
        // Resampled means of [0, 1] are 0, 0.5 and 1 with probabilities 1/4, 1/2, 1/4
        const {strata, statistics} = bootstrapStratifiedMeans([[0, 1]], {mean: (means) => means[0]!}, {resamples: 4_000, seed: 7});
        assert.deepEqual(strata[0], {low: 0, high: 1, level: 0.95});
        assert.deepEqual(statistics.mean, {low: 0, high: 1, level: 0.95});
        const narrower = bootstrapStratifiedMeans([[0, 1]], {mean: (means) => means[0]!}, {resamples: 4_000, seed: 7, confidenceLevel: 0.4});
        assert.deepEqual([narrower.strata[0]!.low, narrower.strata[0]!.high], [0.5, 0.5], "the middle 40% lies inside the half at 0.5");
        const wider = bootstrapStratifiedMeans([[0, 1]], {mean: (means) => means[0]!}, {resamples: 4_000, seed: 7, confidenceLevel: 0.6});
        assert.deepEqual([wider.strata[0]!.low, wider.strata[0]!.high], [0, 1], "the middle 60% reaches into the quarters at 0 and 1");
    });

    it("keeps a constant stratum constant in every resample", () => {
        const {strata, statistics} = bootstrapStratifiedMeans([[0.8, 0.8, 0.8], [0, 1]], {macro: (means) => (means[0]! + means[1]!) / 2});
        assertClose(strata[0]!.low, 0.8);
        assertClose(strata[0]!.high, 0.8);
        assertClose(statistics.macro!.low, 0.4);
        assertClose(statistics.macro!.high, 0.9);
    });
});

describe("createSeededRandom", () => {
    it("repeats its sequence for the same seed and differs for another", () => {
        const draw = (seed: number) => {
            const random = createSeededRandom(seed);
            return Array.from({length: 5}, () => random());
        };
        assert.deepEqual(draw(1), draw(1));
        assert.notDeepEqual(draw(1), draw(2));
        assert.notDeepEqual(draw(1), draw(1 + 2 ** 32));
    });

    it("draws evenly from 0 up to 1", () => {
        const random = createSeededRandom(123);
        const buckets = new Array<number>(10).fill(0);
        for (let i = 0; i < 100_000; i++) {
            const value = random();
            assert.ok(value >= 0 && value < 1);
            buckets[Math.floor(value * 10)]!++;
        }
        for (const count of buckets) assert.ok(Math.abs(count - 10_000) < 500, `bucket of ${count}`);
    });
});

describe("wilcoxonSignedRank", () => {
    it("matches the textbook result for Darwin's Zea mays data in Fisher's The Design of Experiments", () => {
        // Cross- minus self-fertilised plant heights (eighths of an inch); scipy.stats.wilcoxon(d, method="approx")
        // gives W− = 24 and p = 0.04088813291185591
        const differences = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
        const result = wilcoxonSignedRank(differences);
        assert.equal(result.rankSumNegative, 24);
        assert.equal(result.rankSumPositive, 96);
        assert.equal(result.nonZeroCount, 15);
        assertClose(result.z, (96 - 60) / Math.sqrt(310), "z", 1e-12);
        assertClose(result.pValue, 0.04088813291185591, "p", 1e-7);
    });

    it("drops zero differences, gives tied ones their mean rank and corrects the variance for the tie", () => {
        // Wikipedia's worked example: one zero, and two differences of 5 sharing ranks 1 and 2
        const differences = [15, -7, 5, 20, 0, -9, 17, -12, 5, -10];
        const result = wilcoxonSignedRank(differences);
        assert.equal(result.pairCount, 10);
        assert.equal(result.nonZeroCount, 9);
        assert.equal(result.rankSumPositive, 1.5 + 1.5 + 7 + 8 + 9);
        assert.equal(result.rankSumNegative, 3 + 4 + 5 + 6);
        // σ² = 9·10·19/24 − (2³ − 2)/48 = 71.125; scipy gives p = 0.5936305914425295
        assertClose(result.z, (27 - 22.5) / Math.sqrt(71.125), "z", 1e-12);
        assertClose(result.pValue, 0.5936305914425295, "p", 1e-7);
    });

    it("treats judge-score differences that differ only by floating-point error as ties", () => {
        const result = wilcoxonSignedRank([0.9 - 0.8, 0.8 - 0.7, 0.3 - 0.2, 0.2 - 0.2]);
        assert.equal(result.nonZeroCount, 3);
        assert.equal(result.rankSumPositive, 6, "three ties at rank 2");
        assertClose(result.z, (6 - 3) / Math.sqrt(3 * 4 * 7 / 24 - 24 / 48), "z", 1e-12);
    });

    it("finds nothing to test when every difference is zero", () => {
        assert.deepEqual(wilcoxonSignedRank([0, 0, 0]), {pairCount: 3, nonZeroCount: 0, rankSumPositive: 0, rankSumNegative: 0, z: 0, pValue: 1});
        assert.equal(wilcoxonSignedRank([]).pValue, 1);
    });

    it("gives a tiny p-value to a large consistent improvement without a floor", () => {
        const result = wilcoxonSignedRank(Array.from({length: 500}, (_, index) => 0.1 + (index % 3) / 10));
        assert.ok(result.pValue > 0 && result.pValue < 1e-50, `p = ${result.pValue}`);
    });
});

function assertClose(actual: number, expected: number, message = "", tolerance = 1e-12) {
    assert.ok(Math.abs(actual - expected) <= tolerance, `${message} expected ${expected}, got ${actual}`);
}
