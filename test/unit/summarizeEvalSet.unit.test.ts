import assert from "node:assert/strict";
import {summarizeEvalSet} from "../../server/eval/annotation/summarizeEvalSet";
import type {EvalItem} from "../../server/eval/EvalItem";
import {parseEvalSet} from "../../server/eval/readEvalSet";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {evalRunRecord} from "../support/evalRunRecordFixture";

/** The valid items of a JSONL eval set, one line per item. */
function itemsOf(lines: Array<Record<string, unknown>>): EvalItem[] {
    const text = lines.map((fields) => JSON.stringify({std_answer: "", ...fields})).join("\n") + "\n";
    return parseEvalSet(text, {filePath: "eval_set.jsonl"}).items;
}

/** A run's records of the items at the given indices (null: the judge failed), looked up by index. */
function runOf(scores: Record<number, number | null>): (item: EvalItem) => EvalRunRecord | undefined {
    const records = new Map(Object.entries(scores).map(([index, score]) => [Number(index), evalRunRecord(Number(index), "", score)]));
    return (item) => records.get(item.index);
}

const items = itemsOf([
    {question: "q0", class: "open qa", annotation: {difficulty: "easy", human_score: 0.9}},
    {question: "q1", class: "math"},
    {question: "q2", class: "open qa", annotation: {note: "看一下"}},
    {question: "q3", class: "poetry", annotation: {difficulty: "hard"}},
    {question: "q4", class: "open qa"},
    {question: "q5", class: "Open QA", annotation: {difficulty: "extreme"}},
    {question: "q6", class: "math", annotation: {difficulty: "hard", verdict: "good"}}
]);

describe("summarizeEvalSet", () => {
    it("groups items by class as the file writes it, in order of first appearance, marking unknown classes", () => {
        const summary = summarizeEvalSet(items);
        assert.equal(summary.itemCount, 7);
        assert.deepEqual(summary.classes.map((group) => [group.className, group.known, group.items.map((item) => item.question)]), [
            ["open qa", true, ["q0", "q2", "q4"]],
            ["math", true, ["q1", "q6"]],
            ["poetry", false, ["q3"]],
            // Spelled otherwise, but BELLE's class all the same
            ["Open QA", true, ["q5"]]
        ]);
    });

    it("has no means when the eval set has no run", () => {
        const summary = summarizeEvalSet(items, null);
        for (const group of summary.classes) {
            assert.equal(group.meanScore, null, group.className);
            assert.equal(group.scoredCount, 0, group.className);
        }
    });

    it("averages the run's scores of each class, leaving out failed and unevaluated items", () => {
        // open qa: q0 0.9, q2 0.4, q4 failed → (0.9 + 0.4) / 2 = 0.65
        // math: q1 0.2, q6 0.7 → 0.45;  poetry: q3 1 → 1;  Open QA: q5 not in the run → no mean
        const summary = summarizeEvalSet(items, runOf({0: 0.9, 1: 0.2, 2: 0.4, 3: 1, 4: null, 6: 0.7}));
        const means = summary.classes.map((group) => [group.className, group.scoredCount, group.meanScore]);
        assert.equal(means.length, 4);
        assert.deepEqual(means.map(([name, count]) => [name, count]), [["open qa", 2], ["math", 2], ["poetry", 1], ["Open QA", 0]]);
        assert.ok(Math.abs((means[0]![2] as number) - 0.65) < 1e-12);
        assert.ok(Math.abs((means[1]![2] as number) - 0.45) < 1e-12);
        assert.equal(means[2]![2], 1);
        assert.equal(means[3]![2], null);
    });

    it("does not count a score outside 0–1 from a damaged run file", () => {
        // q1 says 7 (not a score): math is q6 alone, 0.7
        const math = summarizeEvalSet(items, runOf({1: 7, 6: 0.7})).classes.find((group) => group.className === "math")!;
        assert.equal(math.scoredCount, 1);
        assert.equal(math.meanScore, 0.7);
    });

    it("spreads the items over easy, medium, hard and not marked, an unknown difficulty counting as not marked", () => {
        const spread = summarizeEvalSet(items).difficulties.map((group) => [group.difficulty, group.items.map((item) => item.question)]);
        assert.deepEqual(spread, [["easy", ["q0"]], ["medium", []], ["hard", ["q3", "q6"]], [null, ["q1", "q2", "q4", "q5"]]]);
    });

    it("lists the items with no annotation, an annotation of only invalid values counting as none", () => {
        assert.deepEqual(summarizeEvalSet(items).unannotated.map((item) => item.question), ["q1", "q4", "q5"]);
    });

    it("summarizes an empty eval set", () => {
        const summary = summarizeEvalSet([]);
        assert.deepEqual(summary.classes, []);
        assert.deepEqual(summary.unannotated, []);
        assert.deepEqual(summary.difficulties.map((group) => [group.difficulty, group.items.length]), [["easy", 0], ["medium", 0], ["hard", 0], [null, 0]]);
    });

    it("summarizes 10,000 items in well under a second (one pass, no quadratic lookups)", () => {
        const many = itemsOf(Array.from({length: 10_000}, (_, index) => ({question: `问题 ${index}`, class: index % 3 === 0 ? "math" : "open qa"})));
        const scores = Object.fromEntries(many.map((item) => [item.index, (item.index % 10) / 10]));
        const started = performance.now();
        const summary = summarizeEvalSet(many, runOf(scores));
        const elapsedMs = performance.now() - started;
        assert.deepEqual(summary.classes.map((group) => [group.className, group.items.length]), [["math", 3334], ["open qa", 6666]]);
        assert.ok(elapsedMs < 500, `took ${elapsedMs.toFixed(0)} ms`);
    });
});
