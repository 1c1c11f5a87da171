import assert from "node:assert/strict";
import {mkdtemp, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {EvalSetReadError} from "../../server/eval/evalErrors";
import {formatEvalSetDiagnostic, type EvalSetDiagnostic} from "../../server/eval/EvalSetDiagnostic";
import {parseEvalSet, readEvalSetEntries, readEvalSetFile} from "../../server/eval/readEvalSet";

const jsonlItems = [
    {question: "中国的首都是哪里？", std_answer: "北京。", class: "open qa"},
    {question: "写一首关于春天的短诗。", std_answer: "", class: "generation"},
    {question: "计算 12 × 8 等于多少？", std_answer: "96", class: "math"}
];

function jsonl(items: readonly unknown[], lineBreak = "\n"): string {
    return items.map((item) => JSON.stringify(item)).join(lineBreak) + lineBreak;
}

function onlyDiagnostic(diagnostics: readonly EvalSetDiagnostic[], code: EvalSetDiagnostic["code"]): EvalSetDiagnostic {
    const matching = diagnostics.filter((diagnostic) => diagnostic.code === code);
    assert.equal(matching.length, 1, `expected one ${code}, got ${JSON.stringify(diagnostics, null, 2)}`);
    return matching[0]!;
}

describe("parseEvalSet", () => {
    it("reads BELLE's JSONL layout with a byte-order mark and CRLF line endings", () => {
        const result = parseEvalSet("\ufeff" + jsonl(jsonlItems, "\r\n"), {filePath: "eval_set.json"});

        assert.equal(result.format, "jsonl");
        assert.deepEqual(result.diagnostics, []);
        assert.deepEqual(result.items.map((item) => [item.index, item.question, item.stdAnswer, item.className, item.evalClass]), [
            [0, "中国的首都是哪里？", "北京。", "open qa", "open qa"],
            [1, "写一首关于春天的短诗。", "", "generation", "generation"],
            [2, "计算 12 × 8 等于多少？", "96", "math", "math"]
        ]);
        const firstLine = JSON.stringify(jsonlItems[0]);
        // The mark is not counted, as editors do not show it; the range ends before the "\r"
        assert.deepEqual(result.items[0]!.range, {line: 1, column: 1, endLine: 1, endColumn: firstLine.length + 1});
        assert.equal(result.items[2]!.range.line, 3);
    });

    it("accepts an empty std_answer, since open-ended items are judged on criteria alone", () => {
        const result = parseEvalSet(jsonl([{question: "给我三个周末活动的建议。", std_answer: "", class: "brainstorming"}]), {filePath: "a.jsonl"});
        assert.equal(result.items.length, 1);
        assert.equal(result.items[0]!.stdAnswer, "");
        assert.deepEqual(result.diagnostics, []);
    });

    it("keeps extra fields such as annotation untouched on the item", () => {
        const annotation = {来源: "人工", 难度: 3, 标签: ["地理", "常识"]};
        const result = parseEvalSet(jsonl([{...jsonlItems[0], annotation}]), {filePath: "a.jsonl"});
        assert.deepEqual(result.items[0]!.fields, {...jsonlItems[0], annotation});
    });

    it("skips blank lines without counting them as items", () => {
        const text = `${JSON.stringify(jsonlItems[0])}\n\n   \n${JSON.stringify(jsonlItems[1])}\n`;
        const result = parseEvalSet(text, {filePath: "a.jsonl"});
        assert.deepEqual(result.items.map((item) => [item.index, item.range.line]), [[0, 1], [1, 4]]);
    });

    it("reports a JSONL line that is not JSON at its line and column and still returns the other lines", () => {
        const broken = "{\"question\": \"天空为什么是蓝色的？\", \"std_answer\": \"瑞利散射。\", \"class\": \"open qa\",}";
        const text = [JSON.stringify(jsonlItems[0]), broken, JSON.stringify(jsonlItems[2])].join("\n");
        const result = parseEvalSet(text, {filePath: "/data/eval_set.json"});

        assert.deepEqual(result.items.map((item) => item.index), [0, 2]);
        const diagnostic = onlyDiagnostic(result.diagnostics, "invalid_json");
        assert.equal(diagnostic.severity, "error");
        assert.equal(diagnostic.filePath, "/data/eval_set.json");
        assert.equal(diagnostic.line, 2);
        assert.equal(diagnostic.column, broken.lastIndexOf(",") + 1, "points at the trailing comma to delete");
        assert.equal(diagnostic.itemIndex, 1);
        assert.match(diagnostic.message, /Trailing comma/);
    });

    it("tells the user to make a pretty-printed file a JSON array when a JSONL line holds only part of an item", () => {
        const text = "{\n  \"question\": \"你好\",\n  \"std_answer\": \"\",\n  \"class\": \"open qa\"\n}\n";
        const result = parseEvalSet(text, {filePath: "a.jsonl"});
        assert.equal(result.items.length, 0);
        assert.ok(result.diagnostics.length > 0);
        assert.match(result.diagnostics[0]!.message, /make the file a JSON array/);
    });

    it("reads a JSON array and gives each item the range it spans", () => {
        const oneLineItem = "  {\"question\": \"列出三种水果。\", \"std_answer\": \"\", \"class\": \"brainstorming\"}";
        const text = "[\n" +
            "  {\n    \"question\": \"把“我爱你”翻译成英文。\",\n    \"std_answer\": \"I love you.\",\n    \"class\": \"translation\"\n  },\n" +
            `${oneLineItem}\n` +
            "]\n";
        const result = parseEvalSet(text, {filePath: "set.json"});

        assert.equal(result.format, "json-array");
        assert.deepEqual(result.diagnostics, []);
        assert.deepEqual(result.items.map((item) => item.range), [
            {line: 2, column: 3, endLine: 6, endColumn: 4},
            {line: 7, column: 3, endLine: 7, endColumn: oneLineItem.length + 1}
        ]);
    });

    it("reports a syntax error in a JSON array at its line and column and keeps the items around it", () => {
        const text = "\ufeff[\r\n" +
            "  {\"question\": \"你好\", \"std_answer\": \"你好！\", \"class\": \"open qa\"},\r\n" +
            "  {\"question\": \"再见\" \"std_answer\": \"\", \"class\": \"open qa\"},\r\n" +
            "  {\"question\": \"一加一等于几？\", \"std_answer\": \"二\", \"class\": \"math\"}\r\n" +
            "]\r\n";
        const result = parseEvalSet(text, {filePath: "set.json"});

        assert.deepEqual(result.items.map((item) => [item.index, item.question]), [[0, "你好"], [2, "一加一等于几？"]]);
        const diagnostic = onlyDiagnostic(result.diagnostics, "invalid_json");
        // Line 3 is `  {"question": "再见" "std_answer": …`: the comma is missing before the quote in column 21
        assert.deepEqual([diagnostic.line, diagnostic.column], [3, 21]);
        assert.equal(diagnostic.itemIndex, 1);
        assert.match(diagnostic.message, /Missing comma/);
        assert.equal(formatEvalSetDiagnostic(diagnostic).startsWith("set.json:3:21: error: Missing comma"), true);
    });

    it("reads on after a missing comma between the items of an array", () => {
        const text = `[\n${JSON.stringify(jsonlItems[0])}\n${JSON.stringify(jsonlItems[1])}\n]`;
        const result = parseEvalSet(text, {filePath: "set.json"});
        assert.equal(result.items.length, 2);
        const diagnostic = onlyDiagnostic(result.diagnostics, "invalid_json");
        assert.deepEqual([diagnostic.line, diagnostic.column], [3, 1]);
    });

    it("reports an array that is never closed at the end of the file", () => {
        const text = `[\n${JSON.stringify(jsonlItems[0])},\n`;
        const result = parseEvalSet(text, {filePath: "set.json"});
        assert.equal(result.items.length, 1);
        assert.match(onlyDiagnostic(result.diagnostics, "invalid_json").message, /not closed/);
    });

    it("reports a missing field with the item's index and the field's name, and skips only that item", () => {
        const text = jsonl([jsonlItems[0], {question: "谁写了《红楼梦》？", answer: "曹雪芹", class: "open qa"}, jsonlItems[2]]);
        const result = parseEvalSet(text, {filePath: "a.jsonl"});

        assert.deepEqual(result.items.map((item) => item.index), [0, 2]);
        const diagnostic = onlyDiagnostic(result.diagnostics, "missing_field");
        assert.equal(diagnostic.severity, "error");
        assert.deepEqual([diagnostic.line, diagnostic.column, diagnostic.itemIndex, diagnostic.field], [2, 1, 1, "std_answer"]);
        assert.match(diagnostic.message, /no "std_answer"/);
        assert.match(diagnostic.message, /"answer"/, "names the field that is probably misspelt");
        assert.match(diagnostic.message, /"std_answer": ""/, "says how to mark an item without a reference");
    });

    it("reports fields of the wrong type at the value's column", () => {
        const lines = [
            "{\"question\": 42, \"std_answer\": \"四十二\", \"class\": \"math\"}",
            "{\"question\": \"北京有多少个区？\", \"std_answer\": null, \"class\": \"closed qa\"}",
            "{\"question\": \"把句子改写得更正式。\", \"std_answer\": \"\", \"class\": [\"rewrite\"]}"
        ];
        const result = parseEvalSet(lines.join("\n"), {filePath: "a.jsonl"});

        assert.equal(result.items.length, 0);
        const wrongTypes = result.diagnostics.filter((diagnostic) => diagnostic.code === "wrong_type");
        assert.deepEqual(wrongTypes.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.field]), [
            [1, lines[0]!.indexOf("42") + 1, "question"],
            [2, lines[1]!.indexOf("null") + 1, "std_answer"],
            [3, lines[2]!.indexOf("[") + 1, "class"]
        ]);
        assert.match(wrongTypes[0]!.message, /Put it in quotes: "42"/);
        assert.match(wrongTypes[1]!.message, /Use "" for an item without a reference answer/);
    });

    it("reports an empty question, including one of full-width spaces, as an error", () => {
        const result = parseEvalSet(jsonl([
            {question: "", std_answer: "", class: "open qa"},
            {question: "\u3000\u3000", std_answer: "", class: "open qa"}
        ]), {filePath: "a.jsonl"});
        assert.equal(result.items.length, 0);
        assert.deepEqual(result.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.severity, diagnostic.line]), [
            ["empty_question", "error", 1],
            ["empty_question", "error", 2]
        ]);
    });

    it("reports an item that is not an object", () => {
        const result = parseEvalSet("[\"只有问题，没有字段\"]", {filePath: "set.json"});
        assert.equal(result.items.length, 0);
        assert.match(onlyDiagnostic(result.diagnostics, "not_an_object").message, /not a string/);
    });

    it("keeps an item of an unknown class and warns about it at the class's position", () => {
        const line = JSON.stringify({question: "写一首七言绝句。", std_answer: "", class: "poetry"});
        const result = parseEvalSet(line, {filePath: "a.jsonl"});

        assert.equal(result.items.length, 1);
        assert.equal(result.items[0]!.evalClass, null);
        assert.equal(result.items[0]!.className, "poetry");
        const diagnostic = onlyDiagnostic(result.diagnostics, "unknown_class");
        assert.equal(diagnostic.severity, "warning");
        assert.equal(diagnostic.column, line.indexOf("\"poetry\"") + 1);
        assert.match(diagnostic.message, /general prompt/);
    });

    it("matches classes that differ in case and Unicode whitespace without a warning", () => {
        const result = parseEvalSet(jsonl([
            {question: "问题一", std_answer: "答一", class: "Closed\u00a0QA"},
            {question: "问题二", std_answer: "答二", class: " open\u3000qa "}
        ]), {filePath: "a.jsonl"});
        assert.deepEqual(result.items.map((item) => item.evalClass), ["closed qa", "open qa"]);
        assert.deepEqual(result.diagnostics, []);
    });

    it("warns about a question repeated with different whitespace, names the first one's line, and keeps both", () => {
        const result = parseEvalSet(jsonl([
            {question: "介绍一下 长城。", std_answer: "", class: "open qa"},
            jsonlItems[1],
            {question: "  介绍一下\n长城。", std_answer: "", class: "open qa"}
        ]), {filePath: "a.jsonl"});

        assert.equal(result.items.length, 3);
        const diagnostic = onlyDiagnostic(result.diagnostics, "duplicate_question");
        assert.deepEqual([diagnostic.severity, diagnostic.line, diagnostic.itemIndex], ["warning", 3, 2]);
        assert.match(diagnostic.message, /line 1/);
    });

    it("reports an empty eval set", () => {
        const result = parseEvalSet("\ufeff\r\n", {filePath: "a.jsonl"});
        assert.equal(onlyDiagnostic(result.diagnostics, "empty_eval_set").severity, "error");
    });

    it("lists only the first diagnostics of a badly broken file and counts the rest", () => {
        const text = Array.from({length: 30}, () => "不是 JSON").join("\n");
        const result = parseEvalSet(text, {filePath: "a.jsonl", maxDiagnostics: 10});
        assert.equal(result.diagnostics.length, 11);
        const summary = result.diagnostics.at(-1)!;
        assert.equal(summary.code, "too_many_diagnostics");
        assert.match(summary.message, /^20 more problems \(20 errors, 0 warnings\)/);
    });
});

describe("readEvalSetFile", () => {
    let folder: string;

    beforeEach(async () => {
        folder = await mkdtemp(path.join(os.tmpdir(), "belle-eval-set-"));
    });

    afterEach(async () => {
        await rm(folder, {recursive: true, force: true});
    });

    it("streams a JSONL file with a byte-order mark and CRLF line endings", async () => {
        const filePath = path.join(folder, "eval_set.json");
        await writeFile(filePath, "\ufeff" + jsonl(jsonlItems, "\r\n"));
        const result = await readEvalSetFile(filePath);
        assert.equal(result.format, "jsonl");
        assert.deepEqual(result.diagnostics, []);
        assert.deepEqual(result.items.map((item) => item.question), jsonlItems.map((item) => item.question));
        assert.equal(result.items[0]!.range.column, 1);
    });

    it("streams 10,000 items one line at a time", async () => {
        const filePath = path.join(folder, "big.jsonl");
        const classes = ["open qa", "closed qa", "brainstorming", "rewrite", "generation", "math", "classification", "summarization", "code", "extract"];
        const lines = Array.from({length: 10_000}, (_, index) =>
            JSON.stringify({question: `第${index}题：请解释“机器学习”中的概念${index}。`, std_answer: index % 3 === 0 ? "" : `答案${index}`, class: classes[index % classes.length]}));
        await writeFile(filePath, lines.join("\r\n"));

        let items = 0;
        let diagnostics = 0;
        for await (const entry of readEvalSetEntries(filePath)) {
            if (entry.kind === "item") items++;
            else diagnostics++;
        }
        assert.equal(items, 10_000);
        assert.equal(diagnostics, 0);

        const result = await readEvalSetFile(filePath);
        assert.equal(result.items.at(-1)!.index, 9_999);
        assert.equal(result.items.at(-1)!.range.line, 10_000);
    });

    it("reads a JSON array file whole", async () => {
        const filePath = path.join(folder, "set.json");
        await writeFile(filePath, `\ufeff  [${jsonlItems.map((item) => JSON.stringify(item)).join(",")}]`);
        const result = await readEvalSetFile(filePath);
        assert.equal(result.format, "json-array");
        assert.equal(result.items.length, 3);
    });

    it("skips a line that is not UTF-8 and says to re-save a GBK file as UTF-8", async () => {
        const filePath = path.join(folder, "gbk.jsonl");
        const gbkLine = Buffer.from([0x7b, 0x22, 0x71, 0x22, 0x3a, 0x22, 0xc4, 0xe3, 0xba, 0xc3, 0x22, 0x7d]); // {"q":"你好"} in GBK
        await writeFile(filePath, Buffer.concat([
            Buffer.from(JSON.stringify(jsonlItems[0]) + "\n"), gbkLine, Buffer.from("\n" + JSON.stringify(jsonlItems[1]) + "\n")
        ]));
        const result = await readEvalSetFile(filePath);

        assert.deepEqual(result.items.map((item) => item.index), [0, 2]);
        const diagnostic = onlyDiagnostic(result.diagnostics, "invalid_encoding");
        assert.deepEqual([diagnostic.line, diagnostic.itemIndex], [2, 1]);
        assert.match(diagnostic.message, /GBK/);
    });

    it("refuses a UTF-16 file with a message that says to re-save it as UTF-8", async () => {
        const filePath = path.join(folder, "utf16.jsonl");
        await writeFile(filePath, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(jsonl(jsonlItems), "utf16le")]));
        const result = await readEvalSetFile(filePath);
        assert.equal(result.items.length, 0);
        assert.match(onlyDiagnostic(result.diagnostics, "invalid_encoding").message, /UTF-16/);
    });

    it("throws EvalSetReadError naming the path when the file does not exist", async () => {
        const filePath = path.join(folder, "missing.json");
        await assert.rejects(readEvalSetFile(filePath), (error: unknown) =>
            error instanceof EvalSetReadError && error.filePath === filePath && /does not exist/.test(error.message));
    });

    it("stops with the signal's reason when it is aborted", async () => {
        const filePath = path.join(folder, "eval_set.json");
        await writeFile(filePath, jsonl(jsonlItems));
        const controller = new AbortController();
        controller.abort(new Error("用户取消"));
        await assert.rejects(readEvalSetFile(filePath, {signal: controller.signal}), /用户取消/);
    });
});

describe("parseEvalSet past the diagnostic cap", () => {
    it("still drops an item with a wrong type or a missing field when its diagnostic is not reported", () => {
        const text = "\"x\"\n{\"question\": 5, \"std_answer\": \"\", \"class\": \"math\"}\n{\"question\": \"q\", \"class\": \"math\"}\n{\"question\": \"好\", \"std_answer\": \"\", \"class\": \"math\"}\n";
        const result = parseEvalSet(text, {filePath: "capped.jsonl", maxDiagnostics: 1});
        assert.deepEqual(result.items.map((item) => item.question), ["好"]);
    });
});
