import assert from "node:assert/strict";
import {closestEvalClasses} from "../../server/eval/annotation/closestEvalClasses";
import {answerFingerprint, readEvalAnnotation} from "../../server/eval/annotation/EvalAnnotation";
import {findItemProblems} from "../../server/eval/annotation/findItemProblems";
import {findNearDuplicates} from "../../server/eval/annotation/findNearDuplicates";
import {parseEvalSet} from "../../server/eval/readEvalSet";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {evalItemKey} from "../../server/eval/runEvalJob";

function record(itemKey: string, question: string, answer: string, score: number | null): EvalRunRecord {
    return {
        itemKey, index: 0, question, stdAnswer: "", className: "open qa", evalClass: "open qa", answer, score, judgeReason: null, judgeRaw: null,
        error: null, model: "m", judge: "j", finishedAt: "2026-11-24T00:00:00.000Z"
    };
}

describe("curator's problems of an eval set (findItemProblems)", () => {
    const lines = [
        {question: "中国的首都是哪里？", std_answer: "", class: "open qa"},
        {question: "写一首关于春天的诗", std_answer: "", class: "generation"},
        {question: "1+1等于几？", std_answer: "2", class: "math", annotation: {human_score: 1, verdict: "good"}},
        {question: "中国的首都是哪里 ?!", std_answer: "北京", class: "open qa"},
        {question: "翻译：你好", std_answer: "Hello", class: "translation", annotation: {human_score: 0.9, rated_answer: answerFingerprint("Hi")}},
        {question: "介绍一下长城", std_answer: "长城是……", class: "open qa", annotation: {verdict: "bad", human_score: 7, difficulty: "hard", note: "  "}}
    ];
    const parsed = parseEvalSet(lines.map((line) => JSON.stringify(line)).join("\n"), {filePath: "eval_set.jsonl"});
    const answers = new Map<number, [string, number]>([[2, ["3", 0.2]], [4, ["Hello!", 0.1]], [5, ["长城很长。", 0.9]]]);
    const records = new Map(parsed.items.filter((item) => answers.has(item.index)).map((item) => {
        const [answer, score] = answers.get(item.index)!;
        return [evalItemKey(item), record(evalItemKey(item), item.question, answer, score)];
    }));
    const problems = findItemProblems(parsed.items, {
        recordOf: (item) => records.get(evalItemKey(item)),
        nearDuplicates: findNearDuplicates(parsed.items.map((item) => item.question))
    });

    it("asks for a standard answer only where the class's judge prompt uses one", () => {
        const missing = problems.filter((problem) => problem.code === "missing_std_answer").map((problem) => problem.item.range.line);
        assert.deepEqual(missing, [1]); // open qa without std_answer; generation (line 2) is judged without one
    });

    it("reports a near-duplicate question at the later item, pointing at the earlier", () => {
        const near = problems.filter((problem) => problem.code === "near_duplicate_question");
        assert.equal(near.length, 1);
        assert.equal(near[0]!.item.range.line, 4);
        assert.equal(near[0]!.code === "near_duplicate_question" && near[0]!.other.range.line, 1);
    });

    it("flags judge–human disagreement only for ratings of the same answer", () => {
        const disagreements = problems.filter((problem) => problem.code === "judge_human_disagreement");
        // line 3: human 1 / good, judge 0.2 → disagree; line 5: rated the answer "Hi", the run answered "Hello!" → not
        // compared; line 6: human_score 7 is out of range (ignored) but verdict bad vs judge 0.9 → disagree
        assert.deepEqual(disagreements.map((problem) => problem.item.range.line), [3, 6]);
        const first = disagreements[0]!;
        assert.ok(first.code === "judge_human_disagreement" && first.humanScore === 1 && first.judgeScore === 0.2 && first.verdict === "good");
        const last = disagreements[1]!;
        assert.ok(last.code === "judge_human_disagreement" && last.humanScore === null && last.verdict === "bad");
    });

    it("reads annotations leniently: out-of-range and blank values are left out", () => {
        assert.deepEqual(readEvalAnnotation(parsed.items[5]!.fields), {verdict: "bad", difficulty: "hard"});
        assert.equal(readEvalAnnotation(parsed.items[0]!.fields), null);
        assert.equal(readEvalAnnotation({annotation: [1, 2]}), null);
    });
});

describe("closest known classes for an unknown one", () => {
    it("suggests by shared characters, and Chinese names by meaning", () => {
        assert.equal(closestEvalClasses("open-qa-ish")[0], "open qa");
        assert.equal(closestEvalClasses("summarisation")[0], "summarization");
        assert.equal(closestEvalClasses("头脑风暴")[0], "brainstorming");
        assert.equal(closestEvalClasses("开放式问答")[0], "open qa");
        assert.equal(closestEvalClasses("翻译", 5).length, 5);
    });
});
