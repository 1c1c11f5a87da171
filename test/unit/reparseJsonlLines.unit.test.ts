import assert from "node:assert/strict";
import {parseEvalSet} from "../../server/eval/readEvalSet";
import {reparseJsonlLines} from "../../server/eval/reparseJsonlLines";

describe("reparseJsonlLines (typing in a JSONL eval set)", () => {
    const classes = ["open qa", "generation", "math", "poetry", "Open_QA"];
    const questions = ["中国的首都是哪里？", "写一首关于春天的诗", "1+1 等于几？", "把“你好”翻译成英文 😀", "  中国的首都是哪里？ "];

    function randomLine(random: () => number): string {
        const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
        switch (Math.floor(random() * 8)) {
            case 0: return "{\"question\": \"缺少逗号\" \"std_answer\": \"\", \"class\": \"open qa\"}";
            case 1: return JSON.stringify({question: pick(questions), std_answer: 2, class: pick(classes)});
            case 2: return JSON.stringify({question: "", std_answer: "", class: pick(classes)});
            case 3: return JSON.stringify({std_answer: "", class: pick(classes)});
            default: return JSON.stringify({question: `${pick(questions)}${random() < 0.5 ? "" : Math.floor(random() * 5)}`, std_answer: random() < 0.3 ? "" : "答案", class: pick(classes)});
        }
    }

    it("gives what a full parse gives, after each of 400 random one-line edits", () => {
        let seed = 11;
        const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
        const lines = Array.from({length: 120}, (_, index) => index % 17 === 16 ? "" : randomLine(random));
        let previous = parseEvalSet(lines.join("\n"), {filePath: "eval_set.jsonl"});
        let incremental = 0;
        for (let step = 0; step < 400; step++) {
            const changed = new Set(Array.from({length: 1 + Math.floor(random() * 2)}, () => 1 + Math.floor(random() * lines.length)));
            for (const line of changed) if (lines[line - 1] !== "" || random() < 0.1) lines[line - 1] = random() < 0.05 ? "" : randomLine(random);
            const full = parseEvalSet(lines.join("\n"), {filePath: "eval_set.jsonl"});
            const result = reparseJsonlLines(previous, (line) => lines[line - 1]!, changed);
            if (result != null) {
                incremental++;
                assert.deepEqual(result, full, `step ${step}, lines ${[...changed].join(", ")}`);
            }
            previous = full;
        }
        assert.ok(incremental > 300, `only ${incremental} of 400 edits were re-parsed line by line`);
    });

    it("declines what changes item numbering or whole-file problems", () => {
        const text = [JSON.stringify({question: "a", std_answer: "", class: "open qa"}), "", JSON.stringify({question: "b", std_answer: "", class: "open qa"})];
        const previous = parseEvalSet(text.join("\n"), {filePath: "x.jsonl"});
        assert.equal(reparseJsonlLines(previous, (line) => line === 2 ? JSON.stringify({question: "c", std_answer: "", class: "open qa"}) : text[line - 1]!, [2]), null);
        assert.equal(reparseJsonlLines(previous, (line) => line === 1 ? "" : text[line - 1]!, [1]), null);
        assert.equal(reparseJsonlLines(parseEvalSet("", {filePath: "x.jsonl"}), () => "{}", [1]), null);
        assert.equal(reparseJsonlLines(parseEvalSet("[]", {filePath: "x.json"}), () => "[]", [1]), null);
    });
});
