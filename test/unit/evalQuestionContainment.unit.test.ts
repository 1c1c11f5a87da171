import assert from "node:assert/strict";
import {EvalQuestionContainment} from "../../server/train/data/EvalQuestionContainment";

describe("EvalQuestionContainment: eval questions inside longer texts", () => {
    const questions = ["中国的首都是哪里？请说明理由。", "计算 12 × 8 等于多少？", "你好", "What is the capital of France?"];
    const index = new EvalQuestionContainment();
    for (const question of questions) index.add(question);

    it("finds a question at the start, middle and end of a text, whatever its width, case, spacing and punctuation", () => {
        assert.equal(index.find("中国的首都是哪里?请说明理由!后面还有很多别的内容。")?.index, 0);
        assert.equal(index.find("前面是一段无关的话。中国的首都是哪里 请说明理由 后面也是。")?.index, 0);
        assert.equal(index.find("先做一道题：计算１２×８等于多少")?.index, 1);
        assert.equal(index.find("Quiz time! WHAT IS THE CAPITAL OF FRANCE — answer in one word.")?.index, 3);
    });

    it("finds nothing in a text that holds a question only in part, or only a question too short to count", () => {
        assert.equal(index.find("中国的首都是哪里？不用说明。"), null);
        assert.equal(index.find("计算 12 × 9 等于多少？"), null);
        assert.equal(index.find("你好，今天天气不错，我们去公园吧。"), null, "a short question is not indexed");
        assert.equal(index.find(""), null);
    });

    it("gives the longest question a text contains, and the share of the text it covers", () => {
        const nested = new EvalQuestionContainment();
        nested.add("请介绍一下北京的历史");
        nested.add("请介绍一下北京的历史和文化名胜");
        const found = nested.find("请介绍一下北京的历史和文化名胜。");
        assert.equal(found?.index, 1);
        assert.equal(found?.coverage, 1);
        assert.equal(nested.find("题目：请介绍一下北京的历史，谢谢")?.index, 0);
        assert.ok(Math.abs(nested.find("题目：请介绍一下北京的历史，谢谢")!.coverage - 10 / 14) < 1e-9);
    });

    it("agrees with a plain substring search on random texts (rolling hash check)", () => {
        const alphabet = [..."的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年ab1"];
        let seed = 7;
        const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
        const word = (length: number) => Array.from({length}, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
        const pool = Array.from({length: 200}, () => word(10 + Math.floor(random() * 10)));
        const random_index = new EvalQuestionContainment();
        for (const question of pool) random_index.add(question);
        for (let trial = 0; trial < 500; trial++) {
            const text = random() < 0.5 ? word(30) + pool[Math.floor(random() * pool.length)] + word(30) : word(80);
            const expected = pool.map((question, position) => ({question, position})).filter(({question}) => text.includes(question))
                .sort((a, b) => b.question.length - a.question.length)[0];
            assert.equal(random_index.find(text)?.index ?? null, expected == null ? null : random_index.find(text)!.index, text);
            if (expected != null) assert.equal(pool[random_index.find(text)!.index]!.length, expected.question.length, text);
            else assert.equal(random_index.find(text), null, text);
        }
    });
});
