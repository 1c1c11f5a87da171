import assert from "node:assert/strict";
import {compareEvalRuns} from "../../server/eval/report/compareEvalRuns";
import {computeEvalReport} from "../../server/eval/report/computeEvalReport";
import type {EvalRun, EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {exportEvalReportJson, exportEvalReportMarkdown, exportEvalRunCsv} from "../../server/eval/report/exportEvalReport";
import {evalRunRecord} from "../support/evalRunRecordFixture";

const record = evalRunRecord;

function runOf(runId: string, model: string, records: EvalRunRecord[]): EvalRun {
    return {
        header: {kind: "header", runId, evalSetPath: "eval/eval_set.json", model, modelHash: null, judge: "gpt-4", settings: {}, createdAt: "2024-05-01T08:00:00.000Z"},
        records: records.map((item) => ({...item, model}))
    };
}

/** A minimal RFC 4180 reader, to check the writer against the standard rather than against itself. */
function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [], field = "", quoted = false, position = 0;
    while (position < text.length) {
        const char = text[position]!;
        if (quoted) {
            if (char === '"' && text[position + 1] === '"') { field += '"'; position += 2; continue; }
            if (char === '"') { quoted = false; position++; continue; }
            field += char;
            position++;
            continue;
        }
        if (char === '"' && field === "") { quoted = true; position++; continue; }
        assert.ok(char !== '"', `a bare quote inside an unquoted field at ${position}`);
        if (char === ",") { row.push(field); field = ""; position++; continue; }
        if (char === "\r" && text[position + 1] === "\n") { row.push(field); rows.push(row); row = []; field = ""; position += 2; continue; }
        assert.ok(char !== "\r" && char !== "\n", `a bare line break outside quotes at ${position}`);
        field += char;
        position++;
    }
    assert.equal(field, "", "the last record ends with CRLF");
    assert.equal(row.length, 0, "the last record ends with CRLF");
    return rows;
}

const awkward = record(1, "open qa", 0.8, {
    question: "把下面的句子翻译成英文：\"你好，世界\"",
    stdAnswer: "Hello, world",
    answer: "第一行\r\n第二行, with a comma\nand \"quotes\" ",
    judgeReason: "回答正确，但格式\"略有\"问题。"
});
const failed = record(0, "math", null, {answer: null, error: "Generation failed: the engine stopped."});
const classic = [
    record(2, "open qa", 1), record(3, "open qa", 0.6), record(4, "math", 0.2), record(5, "math", 0.4), record(6, "code", 1),
    record(7, "rewrite", 0.9), record(8, "rewrite", 0.7), record(9, "rewrite", null)
];

describe("exportEvalRunCsv", () => {
    it("round-trips commas, quotes, line breaks and Chinese through an RFC 4180 parser", () => {
        const rows = parseCsv(exportEvalRunCsv([awkward]).slice(1));
        assert.deepEqual(rows[0], ["item_key", "index", "class", "question", "std_answer", "answer", "score", "judge_reason", "error", "model", "judge", "finished_at"]);
        assert.deepEqual(rows[1], [
            awkward.itemKey, "1", "open qa", awkward.question, "Hello, world", awkward.answer, "0.8", awkward.judgeReason, "",
            "belle-7b", "gpt-4", "2024-05-01T00:00:00.000Z"
        ]);
    });

    it("starts with a UTF-8 byte order mark so Excel reads the Chinese, and ends every record with CRLF", () => {
        const csv = exportEvalRunCsv([awkward, failed]);
        assert.ok(csv.startsWith("\ufeffitem_key,index,"));
        assert.equal(Buffer.from(csv, "utf8").subarray(0, 3).toString("hex"), "efbbbf");
        assert.ok(csv.endsWith("\r\n"));
        assert.equal(parseCsv(csv.slice(1)).length, 3);
    });

    it("leaves a failed item's score and answer empty and says what failed, never writing 0", () => {
        const rows = parseCsv(exportEvalRunCsv([failed, record(2, "math", null, {error: null})]).slice(1));
        assert.deepEqual([rows[1]![5], rows[1]![6], rows[1]![8]], ["", "", "Generation failed: the engine stopped."]);
        assert.deepEqual([rows[2]![6], rows[2]![8]], ["", "The judge gave no score."]);
    });

    it("writes one row per item, the latest record of each, in eval-set order", () => {
        const retried = {...failed, score: 0.5, answer: "42", error: null};
        const rows = parseCsv(exportEvalRunCsv([awkward, failed, retried]).slice(1));
        assert.deepEqual(rows.slice(1).map((row) => [row[1], row[6]]), [["0", "0.5"], ["1", "0.8"]]);
    });
});

describe("exportEvalReportMarkdown", () => {
    it("writes the overall scores and a per-class table with Chinese and English headers and 95% intervals", () => {
        const markdown = exportEvalReportMarkdown(computeEvalReport(runOf("run-1", "belle-7b", [...classic, failed])));
        const lines = markdown.split("\n");
        assert.equal(lines[0], "# 评测报告 Evaluation report");
        assert.ok(lines.includes("| 模型 Model | belle-7b |"));
        assert.ok(lines.includes("| 指标 Metric | 得分 Score | 95% 置信区间 95% CI | 已评分题数 Scored items |"));
        // open qa 0.8, rewrite 0.8, math 0.3, code 1; others (math and code items) 1.6 / 3: BELLE's score (0.8 + 0.8 + 1.6 / 3) / 3,
        // without math and code 0.8, the mean of the class means 0.725, items 4.8 / 7
        assert.match(markdown, /^\| 总分（BELLE：各类别平均，数学与代码合为“其他”） Score \(BELLE: macro average over categories, math \+ code as others\) \| 0\.711 \| \[\d\.\d{3}, \d\.\d{3}\] \| 7 \|$/mu);
        assert.match(markdown, /^\| 其他（数学与代码，逐题平均） Others \(math \+ code items\) \| 0\.533 \| \[\d\.\d{3}, \d\.\d{3}\] \| 3 \|$/mu);
        assert.match(markdown, /^\| 各类别均分的平均（数学、代码分开） Mean of class means \(math, code apart\) \| 0\.725 \| /mu);
        assert.match(markdown, /^\| 不含数学与代码 Score w\/o others \(math, code\) \| 0\.800 \| \[\d\.\d{3}, \d\.\d{3}\] \| 4 \|$/mu);
        assert.match(markdown, /^\| 逐题平均 Item mean \| 0\.686 \| /mu);
        assert.ok(lines.includes("| 类别 Class | 题数 Items | 已评分 Scored | 失败 Failed | 平均分 Mean | 95% 置信区间 95% CI |"));
        assert.match(markdown, /^\| open qa \| 2 \| 2 \| 0 \| 0\.800 \| \[0\.600, 1\.000\] \|$/mu);
        assert.match(markdown, /^\| math \\\* \| 3 \| 2 \| 1 \| 0\.300 \| \[0\.200, 0\.400\] \|$/mu);
        assert.match(markdown, /^\| code \\\* \| 1 \| 1 \| 0 \| 1\.000 \| — \|$/mu);
        assert.match(markdown, /^\| 0 \| math \| Generation failed: the engine stopped\. \|$/mu);
        assert.match(markdown, /not scored 0/u);
        assert.match(markdown, /2000 resamples stratified by class, seed 778526/u);
    });

    it("escapes pipes, line breaks and Markdown characters from the run so each table keeps its shape", () => {
        const odd = record(0, "poetry | verse", null, {error: "Judge said:\n| not | a table |\n*loudly*"});
        const markdown = exportEvalReportMarkdown(computeEvalReport(runOf("run-1", "model|x", [odd])));
        assert.ok(markdown.includes("| 模型 Model | model\\|x |"));
        assert.ok(markdown.includes("| 0 | poetry \\| verse | Judge said: \\| not \\| a table \\| \\*loudly\\* |"));
        for (const line of markdown.split("\n").filter((row) => row.startsWith("| 0 |")))
            assert.equal(line.replaceAll("\\|", "").split("|").length - 1, 4, line);
    });

    it("writes a run table and a delta table with intervals, win/tie/loss and p-values for each comparison", () => {
        const base = runOf("a", "base", classic);
        const tuned = runOf("b", "tuned", classic.map((item) => ({...item, score: item.score != null ? Math.min(1, item.score + 0.1) : 0.5})));
        const markdown = exportEvalReportMarkdown(compareEvalRuns([base, tuned]));
        const lines = markdown.split("\n");
        assert.equal(lines[0], "# 对比报告 Comparison report");
        assert.match(markdown, /^\| 基线 Baseline \| base \| gpt-4 \| a \| 0\.711 \| /mu);
        assert.match(markdown, /^\| 2 \| tuned \| gpt-4 \| b \| /mu);
        assert.ok(lines.includes("## tuned (b) 对比基线 vs baseline base (a)"));
        assert.ok(lines.includes("| 类别 Class | 配对题数 Paired | 基线 Baseline | 对比 Candidate | 差值 Δ | 95% 置信区间 95% CI | 胜/平/负 W/T/L | p 值 p-value |"));
        // Every score but the perfect ones rises by 0.1: 4.8 / 7 → 5.3 / 7
        assert.match(markdown, /^\| \*\*全部题目 All items\*\* \| 7 \| 0\.686 \| 0\.757 \| \+0\.071 \| \[\+0\.\d{3}, \+0\.\d{3}\] \| 5 \/ 2 \/ 0 \| 0\.\d{3} \|$/mu);
        assert.match(markdown, /^\| math \\\* \| 2 \| 0\.300 \| 0\.400 \| \+0\.100 \| \[\+0\.100, \+0\.100\] \| 2 \/ 0 \/ 0 \| 0\.157 \|$/mu);
        assert.match(markdown, /^\| code \\\* \| 1 \| 1\.000 \| 1\.000 \| 0\.000 \| — \| 0 \/ 1 \/ 0 \| — \|$/mu);
        assert.match(markdown, /^\| 9 \| rewrite \| 基线失败 Failed in the baseline \|$/mu);
        assert.match(markdown, /Wilcoxon signed-rank test/u);
    });

    it("puts the comparison's warnings at the top", () => {
        const base = runOf("a", "base", classic);
        const otherJudge = {...runOf("b", "tuned", classic), header: {...runOf("b", "tuned", classic).header!, judge: "local"}};
        const markdown = exportEvalReportMarkdown(compareEvalRuns([base, otherJudge]));
        assert.match(markdown.split("\n")[2]!, /^> \*\*注意 Warning:\*\* tuned \(b\) was judged by local, the baseline by gpt-4/u);
    });
});

describe("exportEvalReportJson", () => {
    it("writes the report objects, which parse back equal, failed scores as null", () => {
        const report = computeEvalReport(runOf("run-1", "belle-7b", [...classic, failed, record(10, "summarization", null)]));
        const parsed: unknown = JSON.parse(exportEvalReportJson(report));
        assert.deepEqual(parsed, report);
        const summarization = report.classes.find((classScore) => classScore.key === "summarization")!;
        assert.equal(summarization.mean, null);
        const comparison = compareEvalRuns([runOf("a", "base", classic), runOf("b", "tuned", classic)]);
        assert.deepEqual(JSON.parse(exportEvalReportJson(comparison)), comparison);
    });
});
