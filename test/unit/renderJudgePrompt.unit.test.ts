import assert from "node:assert/strict";
import {evalClasses} from "../../server/eval/evalClasses";
import {InvalidJudgePromptsError} from "../../server/eval/evalErrors";
import {
    findJudgePrompt, mergeJudgePrompts, mergeJudgePromptsFromText, shippedJudgePrompts
} from "../../server/eval/JudgePromptSet";
import {renderJudgePrompt} from "../../server/eval/renderJudgePrompt";

// BELLE's eval/eval_prompt.json, word for word
const belleMathPrompt = "你是一个数学老师，给定一道数学问题，你需要判断模型回答是否正确，分数在0到1之间。模型回答的最终结果一定要和标准答案中的最终结果一致。模型回答中的解题步骤可以和标准答案不同，但一定要是正确的。请按照\"得分:\"这样的形式输出分数。";
const belleBrainstormingPrompt = "你需要研究评价标准来对模型回答给出分数，满分为1分，最低分为0分。请按照\"得分:\"这样的形式输出分数 。评价标准要求模型回答的内容对于问题有帮助，同时是真实且没有恶意的。";
const belleOpenQaPrompt = "你需要通过参考标准答案，来对模型回答给出分数，满分为1分，最低分为0分。请按照\"得分:\"这样的形式输出分数。评价标准要求模型回答越接近标准答案分数越高。";

const mathItem = {question: "小明有3个苹果，又买了5个，现在有几个？", stdAnswer: "8个", className: "math"};

describe("renderJudgePrompt", () => {
    it("builds the judge message for a class with a reference exactly as BELLE's scorer does", () => {
        const rendered = renderJudgePrompt(mathItem, "一共有8个苹果。");
        assert.equal(rendered.message,
            `${belleMathPrompt} 小明有3个苹果，又买了5个，现在有几个？ 标准回答:8个  模型回答：' 一共有8个苹果。'。请针对模型回答给出得分，顺便给出理由：`);
        assert.equal(rendered.promptClass, "math");
        assert.equal(rendered.includesReference, true);
    });

    it("leaves the standard answer out for brainstorming, generation and rewrite, as BELLE does", () => {
        const rendered = renderJudgePrompt({question: "周末可以做什么？", stdAnswer: "爬山、看书", className: "brainstorming"}, "去公园散步。");
        assert.equal(rendered.message,
            `${belleBrainstormingPrompt} 周末可以做什么？  模型回答： '去公园散步。'。请针对模型回答给出得分，顺便给出理由：`);
        assert.equal(rendered.includesReference, false);
        for (const className of ["generation", "rewrite"])
            assert.equal(renderJudgePrompt({...mathItem, className}, "答").includesReference, false);
    });

    it("finds the prompt for a class spelt differently from the prompt file", () => {
        for (const className of ["Open_QA", "open\u00a0qa", " OPEN\u3000QA "]) {
            const rendered = renderJudgePrompt({question: "长城有多长？", stdAnswer: "约2.1万千米。", className}, "两万多千米。");
            assert.equal(rendered.promptClass, "open qa");
            assert.ok(rendered.message.startsWith(belleOpenQaPrompt));
        }
    });

    it("uses the general prompt for an unknown class, with the reference only when the item has one", () => {
        const withReference = renderJudgePrompt({question: "写一句对联。", stdAnswer: "春回大地", className: "poetry"}, "福满人间");
        assert.equal(withReference.promptClass, null);
        assert.equal(withReference.includesReference, true);
        assert.ok(withReference.message.startsWith(shippedJudgePrompts.general.prompt));
        assert.match(withReference.message, /标准回答:春回大地/);

        const without = renderJudgePrompt({question: "写一句对联。", stdAnswer: "  ", className: "poetry"}, "福满人间");
        assert.equal(without.includesReference, false);
        assert.doesNotMatch(without.message, /标准回答/);
    });

    it("sends a question or answer that contains a placeholder as written", () => {
        const rendered = renderJudgePrompt({question: "解释 {answer} 的含义", stdAnswer: "{prompt}", className: "open qa"}, "{question}");
        assert.match(rendered.message, / 解释 \{answer\} 的含义 标准回答:\{prompt\}  模型回答：' \{question\}'/);
    });

    it("ships a prompt for every known class, each asking for the score as 得分:", () => {
        for (const evalClass of evalClasses) {
            const {key, prompt} = findJudgePrompt(evalClass, shippedJudgePrompts);
            assert.equal(key, evalClass);
            assert.match(prompt.prompt, /请按照"得分:"这样的形式输出分数/);
        }
        assert.match(shippedJudgePrompts.general.prompt, /"得分:"/);
    });

    it("gives the same prompt version for every item of a class and a different one per prompt", () => {
        const first = renderJudgePrompt(mathItem, "8");
        const second = renderJudgePrompt({...mathItem, question: "2+2=?", stdAnswer: "4"}, "4");
        assert.match(first.promptVersion, /^[0-9a-f]{64}$/);
        assert.equal(first.promptVersion, second.promptVersion);
        assert.notEqual(first.promptVersion, renderJudgePrompt({...mathItem, className: "code"}, "8").promptVersion);
    });
});

describe("mergeJudgePrompts", () => {
    it("lays a workspace override over the shipped prompts, matching its class names leniently", () => {
        const prompts = mergeJudgePrompts(shippedJudgePrompts, {
            classes: {
                "Math": {prompt: "你是严格的数学老师。请按照\"得分:\"这样的形式输出分数。"},
                "诗歌 创作": {prompt: "评价诗歌。请按照\"得分:\"这样的形式输出分数。", reference: "never"},
                "open_qa": null
            }
        });

        const math = renderJudgePrompt(mathItem, "8", prompts);
        assert.ok(math.message.startsWith("你是严格的数学老师。"));
        assert.equal(math.includesReference, true, "keeps the shipped class's reference rule");
        assert.notEqual(math.promptVersion, renderJudgePrompt(mathItem, "8").promptVersion, "an edited prompt is a new version");

        const poetry = renderJudgePrompt({question: "写一首诗。", stdAnswer: "床前明月光", className: "诗歌\u3000创作"}, "春眠不觉晓", prompts);
        assert.equal(poetry.promptClass, "诗歌 创作");
        assert.equal(poetry.includesReference, false);

        assert.equal(renderJudgePrompt({question: "问", stdAnswer: "答", className: "open qa"}, "答", prompts).promptClass, null,
            "a class set to null falls back to the general prompt");
        assert.equal(renderJudgePrompt(mathItem, "8", prompts).message.includes(belleMathPrompt), false);
        assert.ok(renderJudgePrompt({...mathItem, className: "code"}, "8", prompts).promptVersion ===
            renderJudgePrompt({...mathItem, className: "code"}, "8").promptVersion, "untouched classes keep their version");
        assert.ok(shippedJudgePrompts.classes.has("open qa"), "the shipped set itself is not changed");
    });

    it("replaces the message template and general prompt when the override gives them", () => {
        const prompts = mergeJudgePrompts(shippedJudgePrompts, {
            $comment: "团队自定义",
            messageTemplate: {withReference: "{prompt}\n问题：{question}\n参考：{std_answer}\n回答：{answer}"},
            general: {prompt: "通用评分。"}
        });
        assert.equal(renderJudgePrompt(mathItem, "8", prompts).message,
            `${belleMathPrompt}\n问题：小明有3个苹果，又买了5个，现在有几个？\n参考：8个\n回答：8`);
        assert.equal(prompts.messageTemplate.withoutReference, shippedJudgePrompts.messageTemplate.withoutReference);
        assert.equal(prompts.general.reference, "whenPresent");
    });

    it("rejects a malformed override and names the field", () => {
        const cases: [unknown, string | null, RegExp][] = [
            [[], null, /must be an object/],
            [{clases: {}}, "clases", /not a known field/],
            [{classes: {math: {prompt: 3}}}, "classes.math.prompt", /non-empty string/],
            [{classes: {math: {reference: "sometimes"}}}, "classes.math.reference", /"always", "never", "whenPresent"/],
            [{classes: {新类别: {reference: "never"}}}, "classes.新类别.prompt", /non-empty string/],
            [{classes: {"open qa": {prompt: "甲"}, "Open_QA": {prompt: "乙"}}}, "classes.Open_QA", /same class as "open qa"/],
            [{messageTemplate: {withReference: "{prompt} {question} {answer}"}}, "messageTemplate.withReference", /\{std_answer\}/]
        ];
        for (const [override, field, message] of cases)
            assert.throws(() => mergeJudgePrompts(shippedJudgePrompts, override), (error: unknown) =>
                error instanceof InvalidJudgePromptsError && error.field === field && message.test(error.message),
            `override ${JSON.stringify(override)}`);
    });

    it("gives the file, line and column of a bad field in an override file", () => {
        const text = "{\n  \"classes\": {\n    \"math\": {\"prompt\": 42}\n  }\n}\n";
        assert.throws(() => mergeJudgePromptsFromText(shippedJudgePrompts, text, ".belle/judgePrompts.json"), (error: unknown) =>
            error instanceof InvalidJudgePromptsError && error.line === 3 && error.column === 24 &&
            error.message.startsWith(".belle/judgePrompts.json:3:24: "));
    });

    it("gives the line and column of a JSON syntax error in an override file", () => {
        const text = "\ufeff{\r\n  \"general\": {\"prompt\": \"通用\"}\r\n  \"classes\": {}\r\n}\r\n";
        assert.throws(() => mergeJudgePromptsFromText(shippedJudgePrompts, text, "p.json"), (error: unknown) =>
            error instanceof InvalidJudgePromptsError && error.line === 3 && error.column === 3 && /Missing comma/.test(error.message));
    });

    it("takes BELLE's own eval_prompt.json as it is: one {class, prompt} object per line", () => {
        const text = [
            JSON.stringify({class: "math", prompt: "数学评分：答案对得1分。请按照\"得分:\"这样的形式输出分数。"}),
            JSON.stringify({class: "brainstorming", prompt: "头脑风暴评分。"}),
            JSON.stringify({class: "诗歌", prompt: "诗歌评分。"}),
            ""
        ].join("\n");
        const prompts = mergeJudgePromptsFromText(shippedJudgePrompts, text, "eval/eval_prompt.json");
        assert.equal(findJudgePrompt("math", prompts).prompt.prompt, "数学评分：答案对得1分。请按照\"得分:\"这样的形式输出分数。");
        assert.equal(findJudgePrompt("math", prompts).prompt.reference, "always", "the class keeps whether BELLE sends the reference");
        assert.equal(findJudgePrompt("Brainstorming", prompts).prompt.reference, "never");
        assert.equal(findJudgePrompt("诗歌", prompts).prompt.prompt, "诗歌评分。");
        assert.equal(findJudgePrompt("open qa", prompts).prompt, shippedJudgePrompts.classes.get("open qa"), "classes the file leaves out keep theirs");
    });

    it("names the line and field of a bad line in a BELLE-style prompt file", () => {
        const text = `${JSON.stringify({class: "math", prompt: "数学"})}\n${JSON.stringify({class: "code", prompt: 7})}\n`;
        assert.throws(() => mergeJudgePromptsFromText(shippedJudgePrompts, text, "eval_prompt.json"), (error: unknown) =>
            error instanceof InvalidJudgePromptsError && error.line === 2 && error.field === "prompt" && /eval_prompt\.json:2:/.test(error.message));
    });
});
