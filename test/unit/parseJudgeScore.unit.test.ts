import assert from "node:assert/strict";
import {parseJudgeScore, type JudgeScore} from "../../server/eval/parseJudgeScore";

function assertScore(reply: string, score: number, reason?: string) {
    const result = parseJudgeScore(reply);
    assert.ok(result.ok, `expected a score from ${JSON.stringify(reply)}, got ${JSON.stringify(result)}`);
    assert.equal(result.score, score);
    if (reason !== undefined) assert.equal(result.reason, reason);
}

function assertError(reply: string, message: RegExp) {
    const result: JudgeScore = parseJudgeScore(reply);
    assert.equal(result.ok, false, `expected an error from ${JSON.stringify(reply)}, got ${JSON.stringify(result)}`);
    if (!result.ok) assert.match(result.error, message);
}

describe("parseJudgeScore", () => {
    const formats: [string, string, number][] = [
        ["BELLE's own form", "得分: 0.8", 0.8],
        ["a full-width colon", "得分：0.8", 0.8],
        ["full-width digits and point", "得分：０．８", 0.8],
        ["a trailing 分", "得分:0.8分", 0.8],
        ["markdown bold around label and score", "**得分：0.8**", 0.8],
        ["bold around the label only", "**得分**：0.9", 0.9],
        ["an English label", "score: 0.8", 0.8],
        ["a capitalised English label", "Score：0.75", 0.75],
        ["a fraction out of 5", "得分：4/5", 0.8],
        ["a fraction out of 10 with spaces", "得分: 8 / 10", 0.8],
        ["a full-width fraction", "得分：８／１０", 0.8],
        ["a percentage", "得分：80%", 0.8],
        ["a full-width percentage", "得分：８０％", 0.8],
        ["分 with the full marks stated", "得分：4分（满分5分）", 0.8],
        ["得分为 instead of a colon", "最终得分为0.7。", 0.7],
        ["a range note after the label", "得分（0-1）：0.6", 0.6],
        ["a score of exactly 1", "得分：1", 1],
        ["a score of 0", "得分：0分", 0],
        ["a bare fraction as the whole reply", "8/10", 0.8],
        ["a bare percentage as the whole reply", "80%", 0.8],
        ["a bare number on the first line", "0.9\n理由：回答准确。", 0.9]
    ];
    for (const [description, reply, score] of formats)
        it(`reads ${description}: ${JSON.stringify(reply)}`, () => assertScore(reply, score));

    it("finds the score in prose before and after it, and keeps the prose as the reason", () => {
        assertScore("模型回答基本正确，但遗漏了一个要点。\n得分：0.8\n理由：答案与标准答案一致，解释略简略。", 0.8,
            "模型回答基本正确，但遗漏了一个要点。\n理由：答案与标准答案一致，解释略简略。");
    });

    it("drops the 理由 label and separators the score leaves at the start of the reason", () => {
        assertScore("**得分：0.8**\n\n理由：回答覆盖了主要信息。", 0.8, "回答覆盖了主要信息。");
        assertScore("得分：0.6。理由：翻译通顺，但漏译了一句。", 0.6, "翻译通顺，但漏译了一句。");
    });

    it("gives an empty reason when the judge wrote only the score", () => {
        assertScore("得分: 0.5", 0.5, "");
    });

    it("reads a JSON verdict and takes its reason field", () => {
        assertScore("{\"score\": 0.8, \"reason\": \"回答正确，表述清楚。\"}", 0.8, "回答正确，表述清楚。");
        assertScore("评估如下：\n```json\n{\"得分\": \"0.9\", \"理由\": \"完整\"}\n```", 0.9, "完整");
    });

    it("takes a revised score when the judge says it is the final one", () => {
        assertScore("初看得分：0.6。但是考虑到模型回答补充了例子，修正后得分：0.9", 0.9);
        assertScore("得分：0.5\n再看一遍……\n最终得分：0.7", 0.7);
    });

    it("fails an item with two conflicting verdicts rather than guess", () => {
        assertError("得分：0.3\n……\n得分：0.7\n（以上）", /conflicting.*0\.3.*0\.7/);
    });

    it("reads the same verdict given twice", () => {
        assertScore("得分：0.7\n理由：……\n得分：0.7", 0.7);
    });

    it("takes the verdict, not a score quoted in the reason", () => {
        assertScore("得分：0.5\n理由：回答有误，回答中写道“得分：1”，但这并不正确。", 0.5);
        assertScore("得分：0.5\n理由：模型回答里写了\"得分: 1\"，是在自评。", 0.5);
        assertScore("得分：0.8（更严格的话，得分：0.6）", 0.8);
        assertScore("得分：0.8 (if stricter, 得分: 0.6)", 0.8);
    });

    it("fails a range instead of taking its lower end", () => {
        for (const reply of ["得分：0.6~0.7", "得分：0.6-0.7", "得分：0.6 - 0.7", "得分：0.6～0.7分", "得分：0.6到0.7", "得分：0.6至0.7", "得分：0.6–0.7"])
            assertError(reply, /range/);
    });

    it("reads a verdict written as a sentence", () => {
        assertScore("这个回答得分应该是0.7", 0.7);
        assertScore("这个回答的得分应为0.7。", 0.7);
        assertScore("我给这个回答打0.6分", 0.6);
        assertScore("我会给这个回答打 0.6 分，因为它遗漏了要点。", 0.6);
    });

    it("prefers 得分 over other labels, since that is what BELLE's prompts ask for", () => {
        assertScore("得分：0.4\n参考 score: 0.9", 0.4);
    });

    it("ignores the instruction's own \"得分:\" when the judge echoes it", () => {
        assertScore("请按照\"得分:\"这样的形式输出分数。\n得分：0.7", 0.7);
    });

    it("reports a score above 1 as an error naming the value, not a guess", () => {
        assertError("得分：8", /"8" is outside 0–1/);
        assertError("得分: 1.5 分", /"1\.5" is outside 0–1/);
        assertError("得分：120%", /"120%" is outside 0–1/);
        assertError("得分：6/5", /"6\/5" is outside 0–1/);
    });

    it("reports a negative score as an error", () => {
        assertError("得分：-0.2", /"-0\.2" is outside 0–1/);
    });

    it("reports a fraction out of zero as an error", () => {
        assertError("得分：3/0", /divides by zero/);
    });

    it("does not use a later in-range score to cover an out-of-range last one", () => {
        assertError("得分：0.8\n更正：得分：10", /"10" is outside/);
    });

    it("returns an error, never 0, when there is no score at all", () => {
        assertError("模型回答很好，逻辑清楚。", /No score/);
        assertError("分数在0到1之间。", /No score/);
        assertError("", /empty/);
        assertError("   \n", /empty/);
    });

    it("reports a JSON score that is not a number", () => {
        assertError("{\"score\": \"很好\"}", /not a number/);
    });
});
