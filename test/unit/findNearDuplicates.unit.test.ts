import assert from "node:assert/strict";
import {findNearDuplicates} from "../../server/eval/annotation/findNearDuplicates";

describe("findNearDuplicates (eval-set questions)", () => {
    it("pairs questions that differ only in punctuation, width, case or a word, and nothing else", () => {
        const questions = [
            "中国的首都是哪里？",
            "请写一首关于秋天的诗。",
            "中国的首都是哪里 ?",
            "用Python打印hello world",
            "用ＰＹＴＨＯＮ打印 Hello World！",
            "请写一首关于春天的诗。",
            "列出三种水果。"
        ];
        const pairs = findNearDuplicates(questions, 0.8).map(({first, second}) => [first, second]);
        assert.deepEqual(pairs, [[0, 2], [3, 4]]);
        const looser = findNearDuplicates(questions, 0.5).map(({first, second}) => [first, second]);
        assert.deepEqual(looser, [[0, 2], [3, 4], [1, 5]], "秋天/春天 differ in one character of ten");
    });

    it("finds every planted near-duplicate among 10,000 generated questions, with exact similarities", () => {
        const alphabet = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研";
        let seed = 7;
        const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
        const questions = Array.from({length: 10_000}, () =>
            `${Array.from({length: 12 + Math.floor(random() * 40)}, () => alphabet[Math.floor(random() * alphabet.length)]).join("")}。`);
        const planted = [[12, 9_000], [4_321, 8_765], [77, 78]] as const;
        for (const [original, copy] of planted) questions[copy] = `${questions[original]!.replace("。", "")}！`;
        const found = findNearDuplicates(questions, 0.9);
        for (const [original, copy] of planted)
            assert.ok(found.some((pair) => pair.first === original && pair.second === copy && pair.similarity === 1), `${original}/${copy}`);
        assert.equal(found.length, planted.length, JSON.stringify(found.filter((pair) => !planted.some(([a, b]) => pair.first === a && pair.second === b)).slice(0, 3)));
    });

    it("names at most one earlier question per item, the most similar, and stays bounded on a templated set", () => {
        const questions = ["请写一首关于春天的诗。", "请写一首关于夏天的诗。", "请写一首关于春天的诗！"];
        assert.deepEqual(findNearDuplicates(questions, 0.5).map(({first, second}) => [first, second]), [[0, 1], [0, 2]]);
        // 10,000 questions on one template: every bucket is huge, yet each item is checked against a bounded few
        const templated = Array.from({length: 10_000}, (_, index) => `第${index + 1}题：请解释第${index % 97}个概念在机器学习中的作用，并举例说明（${index}）。`);
        const pairs = findNearDuplicates(templated, 0.8);
        assert.ok(pairs.every((pair, position) => pair.first < pair.second && (position === 0 || pairs[position - 1]!.second < pair.second)));
    });
});
