import assert from "node:assert/strict";
import {referenceUnits, scoreAgainstReference} from "../../server/eval/scoreAgainstReference";

function scoreOf(answer: string, stdAnswer: string): number {
    const result = scoreAgainstReference(answer, stdAnswer);
    assert.ok(result.ok, `expected a score for ${JSON.stringify(answer)} against ${JSON.stringify(stdAnswer)}, got ${JSON.stringify(result)}`);
    return result.score;
}

describe("scoreAgainstReference (the offline reference judge)", () => {
    it("counts CJK characters one by one and runs of other letters and digits as words, dropping spaces, punctuation and symbols", () => {
        assert.deepEqual(referenceUnits("Hello, 世界! GPT-4o 🌏"), ["hello", "世", "界", "gpt", "4o"]);
        assert.deepEqual(referenceUnits("Python3很好用。"), ["python3", "很", "好", "用"]);
        assert.deepEqual(referenceUnits("  ，。！?  "), []);
    });

    it("gives 1 to an answer that is the standard answer, with the reason in words", () => {
        assert.deepEqual(scoreAgainstReference("北京", "北京"),
            {ok: true, score: 1, precision: 1, recall: 1, reason: "reference F1 1.00 (precision 1.00, recall 1.00)"});
    });

    it("scores the F1 of the characters both share: a longer answer loses precision, not recall", () => {
        // 2 of the answer's 8 characters are the standard answer's 2: precision 0.25, recall 1, F1 2·0.25/1.25
        assert.equal(scoreOf("北京是中国的首都", "北京"), 0.4);
        const result = scoreAgainstReference("北京欢迎", "北京");
        assert.ok(result.ok);
        assert.equal(result.reason, "reference F1 0.67 (precision 0.50, recall 1.00)");
        // Half the standard answer: precision 1, recall 0.5
        assert.ok(Math.abs(scoreOf("北京", "北京上海") - 2 / 3) < 1e-12);
        assert.equal(scoreOf("上海", "北京"), 0);
    });

    it("counts a repeated character only as often as the standard answer has it", () => {
        // One of three 好 matches: precision 1/3, recall 1, F1 0.5
        assert.equal(scoreOf("好好好", "好"), 0.5);
    });

    it("scores mixed Chinese and Latin text by characters and words", () => {
        // python, 3, 很, 好, 用 against python3, 很, 好: 2 shared, precision 2/5, recall 2/3, F1 0.5
        assert.ok(Math.abs(scoreOf("Python 3 很好用", "python3很好") - 0.5) < 1e-12);
        assert.equal(scoreOf("The weather is nice today.", "the weather is NICE today"), 1);
    });

    it("ignores full-width forms, case, spacing and punctuation", () => {
        assert.equal(scoreOf("ＡＢＣ，北京！", "abc 北京"), 1);
        assert.equal(scoreOf("“正面。”", "正面"), 1);
        assert.equal(scoreOf("１２３", "123"), 1);
    });

    it("gives 0 to an empty answer or one of punctuation only", () => {
        assert.deepEqual(scoreAgainstReference("", "北京"),
            {ok: true, score: 0, precision: 0, recall: 0, reason: "reference F1 0.00 (precision 0.00, recall 0.00)"});
        assert.equal(scoreOf("。。。", "北京"), 0);
    });

    it("gives no score to an item without a standard answer, and says what to do", () => {
        for (const stdAnswer of ["", "   ", "。"]) {
            const result = scoreAgainstReference("北京", stdAnswer);
            assert.equal(result.ok, false);
            if (!result.ok) assert.equal(result.error, "no standard answer to compare with: write one, or use a judge model");
        }
    });
});
