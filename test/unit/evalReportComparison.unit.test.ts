import assert from "node:assert/strict";
import {compareEvalRuns} from "../../server/eval/report/compareEvalRuns";
import {EvalReportError} from "../../server/eval/report/EvalReportError";
import type {EvalRun, EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {evalRunRecord} from "../support/evalRunRecordFixture";

const record: typeof evalRunRecord = (index, className, score, fields = {}) => evalRunRecord(index, className, score, {model: "m", ...fields});

function runOf(runId: string, model: string, records: EvalRunRecord[], header: {judge?: string, evalSetPath?: string} = {}): EvalRun {
    return {
        header: {
            kind: "header", runId, evalSetPath: header.evalSetPath ?? "eval_set.json", model, modelHash: null,
            judge: header.judge ?? "gpt-4", settings: {}, createdAt: "2024-05-01T00:00:00.000Z"
        },
        records: records.map((item) => ({...item, model, judge: header.judge ?? "gpt-4"}))
    };
}

// open qa: 0.5 0.5 0.5 → 0.8 0.6 0.5 (differences 0.3 0.1 0); math: 0.2 0.4 → 0.4 0.4 (0.2 0)
const baseline = runOf("a", "base", [
    record(0, "open qa", 0.5), record(1, "open qa", 0.5), record(2, "open qa", 0.5), record(3, "math", 0.2), record(4, "math", 0.4)
]);
const candidate = runOf("b", "tuned", [
    record(4, "math", 0.4), record(0, "open qa", 0.8), record(3, "math", 0.4), record(2, "open qa", 0.5), record(1, "open qa", 0.6)
]);

/** 60 items over two classes whose scores swing widely, and a candidate that adds 0, 0.1 or 0.2 to each. */
function improvedPair(): [EvalRun, EvalRun] {
    const baseScores = Array.from({length: 60}, (_, index) => ((index * 7) % 9) / 10);
    const classOf = (index: number) => index < 40 ? "open qa" : "code";
    return [
        runOf("a", "base", baseScores.map((score, index) => record(index, classOf(index), score))),
        runOf("b", "tuned", baseScores.map((score, index) => record(index, classOf(index), score + (index % 3) / 10)))
    ];
}

describe("compareEvalRuns", () => {
    it("reports per-class and BELLE-score deltas of the later run against the first", () => {
        const [comparison] = compareEvalRuns([baseline, candidate]).comparisons;
        assert.ok(comparison != null);
        const openQa = comparison.classes.find((classDelta) => classDelta.key === "open qa")!;
        const math = comparison.classes.find((classDelta) => classDelta.key === "math")!;
        assertClose(openQa.baselineMean!, 0.5);
        assertClose(openQa.candidateMean!, 1.9 / 3);
        assertClose(openQa.delta!, 0.4 / 3);
        assertClose(math.delta!, 0.1);
        assertClose(comparison.overall.delta!, (0.4 / 3 + 0.1) / 2);
        assertClose(comparison.overall.baselineMean!, (0.5 + 0.3) / 2);
        assertClose(comparison.withoutOthers.delta!, 0.4 / 3);
        assert.deepEqual(comparison.withoutOthers.classes, ["open qa"]);
        assertClose(comparison.itemMean.delta!, 0.6 / 5);
        assert.equal(comparison.itemMean.pairedCount, 5);
        assert.deepEqual(comparison.baseline.model, "base");
        assert.deepEqual(comparison.candidate.model, "tuned");
    });

    it("counts wins, ties and losses per item, calling differences within the tie tolerance ties", () => {
        const exact = compareEvalRuns([baseline, candidate]).comparisons[0]!;
        assert.deepEqual(exact.outcomes, {wins: 3, ties: 2, losses: 0});
        assert.deepEqual(exact.classes.map((classDelta) => classDelta.outcomes), [{wins: 2, ties: 1, losses: 0}, {wins: 1, ties: 1, losses: 0}]);
        // 0.6 − 0.5 is 0.09999999999999998 in floating point and still a tie at a tolerance of 0.1
        const tolerant = compareEvalRuns([baseline, candidate], {tieTolerance: 0.1}).comparisons[0]!;
        assert.deepEqual(tolerant.outcomes, {wins: 2, ties: 3, losses: 0});
        const reversed = compareEvalRuns([candidate, baseline]).comparisons[0]!;
        assert.deepEqual(reversed.outcomes, {wins: 0, ties: 2, losses: 3});
        assertClose(reversed.itemMean.delta!, -0.12);
    });

    it("lists items missing from a run or failed in one and leaves them out of the deltas", () => {
        const withGaps = runOf("c", "gappy", [
            record(0, "open qa", 0.8), record(1, "open qa", null), record(2, "open qa", 0.5), record(3, "math", null),
            record(9, "code", 1)
        ]);
        const baselineWithFailure = runOf("a", "base", [...baseline.records.filter((item) => item.index !== 3), record(3, "math", null)]);
        const comparison = compareEvalRuns([baselineWithFailure, withGaps]).comparisons[0]!;
        assert.deepEqual(comparison.unpairedItems.map((item) => [item.index, item.className, item.reason]), [
            [1, "open qa", "failedInCandidate"], [3, "math", "failedInBoth"], [4, "math", "onlyInBaseline"], [9, "code", "onlyInCandidate"]
        ]);
        assert.equal(comparison.unpairedItems[0]!.question, "问题 1");
        assert.equal(comparison.itemMean.pairedCount, 2);
        assertClose(comparison.itemMean.delta!, 0.15);
        assert.deepEqual(comparison.classes.map((classDelta) => classDelta.key), ["open qa"]);

        const failedInBaseline = compareEvalRuns([baselineWithFailure, candidate]).comparisons[0]!;
        assert.deepEqual(failedInBaseline.unpairedItems.map((item) => item.reason), ["failedInBaseline"]);
    });

    it("finds a consistent improvement significant, with a paired interval above zero that contains the delta", () => {
        const comparison = compareEvalRuns(improvedPair()).comparisons[0]!;
        assertClose(comparison.itemMean.delta!, 0.1);
        assert.ok(comparison.itemMean.ci!.low > 0.05 && comparison.itemMean.ci!.high < 0.15, JSON.stringify(comparison.itemMean.ci));
        for (const delta of [comparison.overall, comparison.withoutOthers, comparison.itemMean, ...comparison.classes])
            assert.ok(delta.ci!.low <= delta.delta! && delta.delta! <= delta.ci!.high, `${JSON.stringify(delta.ci)} should contain ${delta.delta}`);
        assert.deepEqual(comparison.outcomes, {wins: 40, ties: 20, losses: 0});
        assert.equal(comparison.test.nonZeroCount, 40);
        assert.equal(comparison.test.rankSumNegative, 0);
        assert.ok(comparison.test.pValue < 1e-6, `p = ${comparison.test.pValue}`);
        assert.ok(comparison.test.z > 0);
    });

    it("pairs the interval: swings shared by both runs do not widen it", () => {
        const result = compareEvalRuns(improvedPair());
        const deltaInterval = result.comparisons[0]!.itemMean.ci!;
        const baselineInterval = result.reports[0]!.itemMean.ci!;
        // The baseline's own interval reflects how much items differ; the delta's reflects only how the changes differ
        assert.ok(deltaInterval.high - deltaInterval.low < (baselineInterval.high - baselineInterval.low) / 3);
    });

    it("finds no difference between a run and a copy of itself", () => {
        const comparison = compareEvalRuns([baseline, runOf("a2", "base", baseline.records.slice())]).comparisons[0]!;
        assert.equal(comparison.itemMean.delta, 0);
        assert.deepEqual(comparison.outcomes, {wins: 0, ties: 5, losses: 0});
        assert.equal(comparison.test.pValue, 1);
        assert.deepEqual(comparison.unpairedItems, []);
    });

    it("compares every later run with the first and reports each run on its own", () => {
        const third = runOf("c", "other", baseline.records.map((item) => ({...item, score: 1})));
        const result = compareEvalRuns([baseline, candidate, third]);
        assert.deepEqual(result.comparisons.map((comparison) => [comparison.baseline.runId, comparison.candidate.runId, comparison.candidateIndex]), [
            ["a", "b", 1], ["a", "c", 2]
        ]);
        assert.deepEqual(result.reports.map((report) => report.run.runId), ["a", "b", "c"]);
        assertClose(result.comparisons[1]!.itemMean.delta!, 1 - 2.1 / 5);
        assert.deepEqual(result.warnings, []);
    });

    it("warns when the runs had different judges or eval sets, or no item in common", () => {
        const otherJudge = runOf("b", "tuned", candidate.records.slice(), {judge: "qwen-judge"});
        const otherSet = runOf("c", "tuned", [record(50, "open qa", 1)], {evalSetPath: "my_set.jsonl"});
        const {warnings} = compareEvalRuns([baseline, otherJudge, otherSet]);
        assert.equal(warnings.length, 3);
        assert.match(warnings[0]!, /judged by qwen-judge, the baseline by gpt-4/u);
        assert.match(warnings[1]!, /ran my_set\.jsonl, the baseline eval_set\.json/u);
        assert.match(warnings[2]!, /no item scored in both/u);
    });

    it("gives the same comparison for the same seed", () => {
        assert.deepEqual(compareEvalRuns(improvedPair(), {seed: 9}), compareEvalRuns(improvedPair(), {seed: 9}));
    });

    it("refuses to compare fewer than two runs or to use a negative tie tolerance", () => {
        assert.throws(() => compareEvalRuns([baseline]), (error: unknown) => error instanceof EvalReportError && error.code === "too_few_runs");
        assert.throws(() => compareEvalRuns([baseline, candidate], {tieTolerance: -0.1}),
            (error: unknown) => error instanceof EvalReportError && error.code === "invalid_report_option");
    });
});

function assertClose(actual: number, expected: number, tolerance = 1e-9) {
    assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}
