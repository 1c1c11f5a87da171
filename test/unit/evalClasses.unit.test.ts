import assert from "node:assert/strict";
import {evalClasses, matchEvalClass, normalizeClassName, otherEvalClasses} from "../../server/eval/evalClasses";

describe("evalClasses", () => {
    it("lists BELLE's eleven classes, translation included", () => {
        assert.deepEqual([...evalClasses].sort(), [
            "brainstorming", "classification", "closed qa", "code", "extract", "generation", "math", "open qa", "rewrite",
            "summarization", "translation"
        ]);
        assert.deepEqual(otherEvalClasses, ["math", "code"]);
    });

    it("matches every known class to itself", () => {
        for (const evalClass of evalClasses) assert.equal(matchEvalClass(evalClass), evalClass);
    });

    it("matches the spellings BELLE's own files use for the same class", () => {
        // eval_set.json writes "closed\u00a0qa"; eval_prompt.json writes "open QA" and "closed\u00a0QA"
        assert.equal(matchEvalClass("closed\u00a0qa"), "closed qa");
        assert.equal(matchEvalClass("closed\u00a0QA"), "closed qa");
        assert.equal(matchEvalClass("open QA"), "open qa");
    });

    it("ignores case, surrounding and inner Unicode whitespace, underscores and dashes", () => {
        const spellings: [string, string][] = [
            ["OPEN QA", "open qa"],
            ["  Open Qa\t", "open qa"],
            ["open\u3000qa", "open qa"],
            ["\u3000closed\u00a0\u00a0qa\u3000", "closed qa"],
            ["open_qa", "open qa"],
            ["Closed-QA", "closed qa"],
            ["closed\u2014qa", "closed qa"],
            ["openqa", "open qa"],
            ["ｏｐｅｎ\u3000ｑａ", "open qa"],
            ["Brain-Storming", "brainstorming"],
            ["\ufeffMath\u200b", "math"],
            ["Summarization\r\n", "summarization"]
        ];
        for (const [spelling, expected] of spellings)
            assert.equal(matchEvalClass(spelling), expected, `"${spelling}" should match ${expected}`);
    });

    it("calls anything else unknown rather than guessing", () => {
        for (const name of ["poetry", "qa", "open", "open qa?", "数学", "", "   ", "summary", "extraction", "closed qa 2"])
            assert.equal(matchEvalClass(name), null, `"${name}" should be unknown`);
    });

    it("normalises an unknown class name so spellings of it group together", () => {
        assert.equal(normalizeClassName("  Poetry_Writing\u3000"), "poetry writing");
        assert.equal(normalizeClassName("诗歌\u00a0创作"), "诗歌 创作");
    });
});
