import type {ConfidenceInterval} from "./bootstrapStratifiedMeans";
import type {EvalComparison, EvalRunComparison, UnpairedReason, WinTieLoss} from "./compareEvalRuns";
import type {EvalReport, EvalRunSummary, ScoreEstimate} from "./computeEvalReport";
import {describeFailure, recordScore, type EvalRunRecord} from "./EvalRunRecord";
import type {GoodOrBad, JudgeHumanAgreement} from "./JudgeHumanAgreement";
import {latestRecordPerItem} from "./latestRecordPerItem";

/**
 * The exported report is one bilingual document whatever the editor's language: BELLE's readers, papers and
 * score tables are Chinese and English, and a report pasted into a paper or an issue should read the same for
 * both. So its labels are fixed pairs kept here together, not l10n strings (the server has no l10n bundle either).
 */
const label = {
    reportTitle: "评测报告 Evaluation report",
    comparisonTitle: "对比报告 Comparison report",
    field: "项目 Field",
    value: "值 Value",
    model: "模型 Model",
    judge: "裁判 Judge",
    evalSet: "评测集 Eval set",
    run: "运行 Run",
    createdAt: "时间 Created",
    items: "题数 Items",
    metric: "指标 Metric",
    score: "得分 Score",
    ci: (level: number) => `${formatPercent(level)} 置信区间 ${formatPercent(level)} CI`,
    scoredItems: "已评分题数 Scored items",
    overall: "总分（BELLE：各类别平均，数学与代码合为“其他”） Score (BELLE: macro average over categories, math + code as others)",
    withoutOthers: "不含数学与代码 Score w/o others (math, code)",
    others: "其他（数学与代码，逐题平均） Others (math + code items)",
    classMacro: "各类别均分的平均（数学、代码分开） Mean of class means (math, code apart)",
    itemMean: "逐题平均 Item mean",
    allItems: "全部题目 All items",
    byClass: "各类别得分 Scores by class",
    className: "类别 Class",
    scored: "已评分 Scored",
    failed: "失败 Failed",
    mean: "平均分 Mean",
    otherMark: "其他类，不计入“不含数学与代码”的得分 In “others”, left out of the score w/o others",
    failedItems: "失败的题目 Failed items",
    index: "序号 Index",
    error: "原因 Error",
    andMore: (count: number) => `另有 ${count} 题未列出 … and ${count} more`,
    failedNote: "失败的题目（生成或评分失败）不计入平均分，也不按 0 分计。 Failed items (generation or judge failed) are left out of the means, not scored 0.",
    bootstrapNote: (resamples: number, seed: number) =>
        `置信区间：百分位 bootstrap，${resamples} 次重抽样，按类别分层，随机种子 ${seed}。 ` +
        `Confidence intervals: percentile bootstrap, ${resamples} resamples stratified by class, seed ${seed}.`,
    missingClasses: (classes: string) => `以下类别没有评分成功的题目，未计入总分： These classes have no scored item and are missing from the score: ${classes}`,
    supersededNote: (count: number) => `运行文件中有 ${count} 条记录被同一题的较新记录取代。 ${count} records in the run file were replaced by a newer record of the same item.`,
    runs: "运行 Runs",
    baselineRow: "基线 Baseline",
    versus: (candidate: string, baseline: string) => `${candidate} 对比基线 vs baseline ${baseline}`,
    paired: "配对题数 Paired",
    baseline: "基线 Baseline",
    candidate: "对比 Candidate",
    delta: "差值 Δ",
    winTieLoss: "胜/平/负 W/T/L",
    pValue: "p 值 p-value",
    deltaNote: (tieTolerance: number) =>
        "差值 = 对比 − 基线，只计两次运行都评分成功的题目；置信区间为按类别分层的配对 bootstrap；p 值为 Wilcoxon 符号秩检验（双侧，正态近似，含结校正），各类别的 p 值未做多重比较校正" +
        (tieTolerance > 0 ? `；分差不超过 ${tieTolerance} 记为平局。 ` : "。 ") +
        "Δ = candidate − baseline over the items scored in both runs; CI: paired bootstrap stratified by class; p: Wilcoxon signed-rank test " +
        "(two-sided, normal approximation, tie-corrected), per-class p-values not corrected for multiple comparisons" +
        (tieTolerance > 0 ? `; score differences up to ${tieTolerance} count as ties.` : "."),
    unpaired: (count: number) => `未配对的题目 Items not paired (${count})`,
    reason: "原因 Reason",
    unpairedReason: {
        onlyInBaseline: "只在基线中 Only in the baseline",
        onlyInCandidate: "只在对比运行中 Only in the candidate",
        failedInBaseline: "基线失败 Failed in the baseline",
        failedInCandidate: "对比运行失败 Failed in the candidate",
        failedInBoth: "两次都失败 Failed in both"
    } satisfies Record<UnpairedReason, string>,
    warning: "注意 Warning",
    agreement: "评审与人工一致性 Judge–human agreement",
    agreementOf: (run: string) => `评审与人工一致性：${run} Judge–human agreement: ${run}`,
    pairs: "配对数 Pairs",
    spearman: "Spearman ρ（评审分对人工分） Spearman ρ (judge score vs human score)",
    kappa: "Cohen's κ（好/差） Cohen's κ (good/bad)",
    observedAgreement: "好/差一致率 Agreement on good/bad",
    undefinedReason: {
        tooFewPairs: "人工打分的配对少于 3 个 fewer than 3 pairs with a human score",
        noVariance: "一方的分数全部相同 one side gives every pair the same score",
        noPairs: "没有配对 no pairs",
        singleCategory: "双方把每一题都判为同一类 both make the same call on every pair"
    },
    judgeCall: {good: "评审：好 Judge: good", bad: "评审：差 Judge: bad"} satisfies Record<GoodOrBad, string>,
    humanCall: {good: "人工：好 Human: good", bad: "人工：差 Human: bad"} satisfies Record<GoodOrBad, string>,
    call: {good: "好 good", bad: "差 bad"} satisfies Record<GoodOrBad, string>,
    disagreements: (count: number) => `评审与人工的分歧 Disagreements (${count})`,
    judgeScore: "评审分 Judge score",
    humanScore: "人工分 Human score",
    humanVerdict: "人工判断 Human verdict",
    gap: "差距 Gap",
    agreementNote: (threshold: number, gap: number) =>
        `只计评审已打分、且人工标注评的正是这次回答的题目。分数不低于 ${threshold} 为“好”；人工给出好/差判断时以判断为准。` +
        `好/差判断不同、或分数相差不少于 ${gap} 即为分歧。 ` +
        `Only items the judge scored and whose annotation rates this run's answer count. A score of ${threshold} or more is good; ` +
        `a person's good/bad verdict, when given, counts before their score. A disagreement is a different call, or scores ${gap} or more apart.`,
    skippedNote: (ratedOtherAnswer: number, notScored: number) =>
        `未计入——评的是另一个回答的人工标注：${ratedOtherAnswer} 条；没有评审分数的已标注题目：${notScored} 道。 ` +
        `Left out — ratings of another answer: ${ratedOtherAnswer}; annotated items without a judge score: ${notScored}.`
};

/** Items listed one by one before the rest are only counted, so a run whose judge was down stays readable. */
const listedItemLimit = 50;

/** A report or a comparison as a Markdown document: tables with Chinese and English headers, scores to 3 places. */
export function exportEvalReportMarkdown(report: EvalReport | EvalComparison): string {
    const lines = report.kind === "evalReport" ? reportMarkdown(report) : comparisonMarkdown(report);
    return lines.join("\n") + "\n";
}

/** A report or a comparison as JSON: the objects themselves, indented, every failed score a null and never a 0. */
export function exportEvalReportJson(report: EvalReport | EvalComparison): string {
    return JSON.stringify(report, null, 2) + "\n";
}

/**
 * One CSV row per item of a run (the latest record of each, in eval-set order): item key, index, class, question,
 * standard answer, answer, score, judge's reason, error. RFC 4180: comma-separated, CRLF line ends, a field with a
 * comma, quote or line break in double quotes with its quotes doubled. It starts with a UTF-8 byte order mark,
 * because Excel reads a CSV without one in the system's legacy code page and turns Chinese into mojibake; the
 * caller writes the string as UTF-8. A failed item's score is empty, not 0, and its error says why. Headers are
 * BELLE's field names, in English, so the file also loads as data (pandas, a spreadsheet filter).
 */
export function exportEvalRunCsv(records: readonly EvalRunRecord[]): string {
    const header = ["item_key", "index", "class", "question", "std_answer", "answer", "score", "judge_reason", "error", "model", "judge", "finished_at"];
    const rows = latestRecordPerItem(records).records.map((record) => {
        const score = recordScore(record);
        return [
            record.itemKey, String(record.index), record.className, record.question, record.stdAnswer, record.answer ?? "",
            score != null ? String(score) : "", record.judgeReason ?? "", score != null ? record.error ?? "" : describeFailure(record),
            record.model, record.judge, record.finishedAt
        ];
    });
    return "\ufeff" + [header, ...rows].map((row) => row.map(csvField).join(",") + "\r\n").join("");
}

function csvField(value: string): string {
    return /[",\r\n]/u.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function reportMarkdown(report: EvalReport): string[] {
    const {run, bootstrap} = report;
    const lines = [`# ${label.reportTitle}`, "", ...runTable(run, report.itemCount), ""];
    lines.push(...table(
        [label.metric, label.score, label.ci(bootstrap.confidenceLevel), label.scoredItems],
        ["---", "---:", "---", "---:"],
        [
            [label.overall, ...estimateCells(report.overall)],
            [label.withoutOthers, ...estimateCells(report.withoutOthers)],
            ...report.others.scoredCount > 0 ? [[label.others, ...estimateCells(report.others)]] : [],
            [label.classMacro, ...estimateCells(report.classMacro)],
            [label.itemMean, ...estimateCells(report.itemMean)]
        ]
    ));

    lines.push("", `## ${label.byClass}`, "");
    lines.push(...table(
        [label.className, label.items, label.scored, label.failed, label.mean, label.ci(bootstrap.confidenceLevel)],
        ["---", "---:", "---:", "---:", "---:", "---"],
        report.classes.map((classScore) => [
            escapeCell(classScore.className) + (classScore.isOther ? " \\*" : ""), String(classScore.itemCount), String(classScore.scoredCount),
            String(classScore.failedCount), formatScore(classScore.mean), formatInterval(classScore.ci)
        ])
    ));

    lines.push("");
    if (report.classes.some((classScore) => classScore.isOther)) lines.push(`\\* ${label.otherMark}`, "");
    const missing = [...new Set([...report.overall.classesWithoutScore, ...report.withoutOthers.classesWithoutScore])];
    if (missing.length > 0) lines.push(`> **${label.warning}:** ${label.missingClasses(escapeCell(missing.join(", ")))}`, "");
    lines.push(label.failedNote, "", label.bootstrapNote(bootstrap.resamples, bootstrap.seed));
    if (report.supersededRecordCount > 0) lines.push("", label.supersededNote(report.supersededRecordCount));

    if (report.failedItems.length > 0) {
        lines.push("", `## ${label.failedItems} (${report.failedItems.length})`, "");
        lines.push(...table(
            [label.index, label.className, label.error],
            ["---:", "---", "---"],
            report.failedItems.slice(0, listedItemLimit).map((item) => [String(item.index), escapeCell(item.className), escapeCell(item.error)])
        ));
        if (report.failedItems.length > listedItemLimit) lines.push("", label.andMore(report.failedItems.length - listedItemLimit));
    }
    if (report.agreement != null && report.agreement.pairCount > 0) lines.push("", ...agreementSection(report.agreement, label.agreement));
    return lines;
}

function comparisonMarkdown(comparison: EvalComparison): string[] {
    const level = comparison.bootstrap.confidenceLevel;
    const lines = [`# ${label.comparisonTitle}`, ""];
    for (const warning of comparison.warnings) lines.push(`> **${label.warning}:** ${escapeCell(warning)}`, "");

    lines.push(`## ${label.runs}`, "");
    lines.push(...table(
        ["#", label.model, label.judge, label.run, label.overall, label.ci(level), label.withoutOthers, label.ci(level), label.scored, label.failed],
        ["---", "---", "---", "---", "---:", "---", "---:", "---", "---:", "---:"],
        comparison.reports.map((report, index) => [
            index === 0 ? label.baselineRow : String(index + 1), escapeCell(report.run.model), escapeCell(report.run.judge), escapeCell(report.run.runId ?? ""),
            formatScore(report.overall.mean), formatInterval(report.overall.ci),
            formatScore(report.withoutOthers.mean), formatInterval(report.withoutOthers.ci),
            String(report.scoredCount), String(report.failedCount)
        ])
    ));

    for (const runComparison of comparison.comparisons) lines.push("", ...deltaSection(runComparison, level));
    lines.push("", label.deltaNote(comparison.tieTolerance), "", label.bootstrapNote(comparison.bootstrap.resamples, comparison.bootstrap.seed));
    for (const report of comparison.reports)
        if (report.agreement != null && report.agreement.pairCount > 0)
            lines.push("", ...agreementSection(report.agreement, escapeCell(label.agreementOf(runName(report.run)))));
    return lines;
}

/** The judge against the people: correlation, kappa with its 2×2 table, and the items they disagree on. */
function agreementSection(agreement: JudgeHumanAgreement, heading: string): string[] {
    const {spearman, kappa} = agreement;
    const lines = [`## ${heading}`, ""];
    lines.push(...table(
        [label.metric, label.value, label.pairs],
        ["---", "---:", "---:"],
        [
            [label.spearman, formatStatistic(spearman.rho, spearman.undefinedReason), String(spearman.pairCount)],
            [label.kappa, formatStatistic(kappa.kappa, kappa.undefinedReason), String(agreement.pairCount)],
            [label.observedAgreement, kappa.observedAgreement != null ? formatPercent(kappa.observedAgreement) : "—", String(agreement.pairCount)]
        ]
    ));
    const counts = kappa.table;
    lines.push("", ...table(
        ["", label.humanCall.good, label.humanCall.bad],
        ["---", "---:", "---:"],
        [
            [label.judgeCall.good, String(counts.judgeGoodHumanGood), String(counts.judgeGoodHumanBad)],
            [label.judgeCall.bad, String(counts.judgeBadHumanGood), String(counts.judgeBadHumanBad)]
        ]
    ));
    lines.push("", label.agreementNote(agreement.goodThreshold, agreement.disagreementGap));
    const {ratedOtherAnswer, notScored} = agreement.skipped;
    if (ratedOtherAnswer + notScored > 0) lines.push("", label.skippedNote(ratedOtherAnswer, notScored));

    const {disagreements} = agreement;
    if (disagreements.length > 0) {
        lines.push("", `### ${label.disagreements(disagreements.length)}`, "");
        lines.push(...table(
            [label.index, label.className, label.judgeScore, label.humanScore, label.humanVerdict, label.gap],
            ["---:", "---", "---:", "---:", "---", "---:"],
            disagreements.slice(0, listedItemLimit).map((item) => [
                String(item.index), escapeCell(item.className), formatScore(item.judgeScore), formatScore(item.humanScore),
                label.call[item.humanVerdict], item.gap.toFixed(3)
            ])
        ));
        if (disagreements.length > listedItemLimit) lines.push("", label.andMore(disagreements.length - listedItemLimit));
    }
    return lines;
}

function formatStatistic(value: number | null, undefinedReason: keyof typeof label.undefinedReason | null): string {
    if (value != null) return value.toFixed(3);
    return undefinedReason != null ? `— (${label.undefinedReason[undefinedReason]})` : "—";
}

function deltaSection(comparison: EvalRunComparison, level: number): string[] {
    const noOutcome = ["—", "—"];
    const lines = [`## ${escapeCell(label.versus(runName(comparison.candidate), runName(comparison.baseline)))}`, ""];
    lines.push(...table(
        [label.className, label.paired, label.baseline, label.candidate, label.delta, label.ci(level), label.winTieLoss, label.pValue],
        ["---", "---:", "---:", "---:", "---:", "---", "---:", "---:"],
        [
            [`**${label.overall}**`, ...deltaCells(comparison.overall), ...noOutcome],
            [`**${label.withoutOthers}**`, ...deltaCells(comparison.withoutOthers), ...noOutcome],
            [`**${label.allItems}**`, ...deltaCells(comparison.itemMean), formatOutcomes(comparison.outcomes), formatPValue(comparison.test.pValue, comparison.test.nonZeroCount)],
            ...comparison.classes.map((classDelta) => [
                escapeCell(classDelta.className) + (classDelta.isOther ? " \\*" : ""), ...deltaCells(classDelta),
                formatOutcomes(classDelta.outcomes), formatPValue(classDelta.test.pValue, classDelta.test.nonZeroCount)
            ])
        ]
    ));
    if (comparison.classes.some((classDelta) => classDelta.isOther)) lines.push("", `\\* ${label.otherMark}`);

    const {unpairedItems} = comparison;
    if (unpairedItems.length > 0) {
        lines.push("", `### ${label.unpaired(unpairedItems.length)}`, "");
        lines.push(...table(
            [label.index, label.className, label.reason],
            ["---:", "---", "---"],
            unpairedItems.slice(0, listedItemLimit).map((item) => [String(item.index), escapeCell(item.className), label.unpairedReason[item.reason]])
        ));
        if (unpairedItems.length > listedItemLimit) lines.push("", label.andMore(unpairedItems.length - listedItemLimit));
    }
    return lines;
}

function runTable(run: EvalRunSummary, itemCount: number): string[] {
    const rows: string[][] = [[label.model, run.model], [label.judge, run.judge]];
    if (run.evalSetPath != null) rows.push([label.evalSet, run.evalSetPath]);
    if (run.runId != null) rows.push([label.run, run.runId]);
    if (run.createdAt != null) rows.push([label.createdAt, run.createdAt]);
    rows.push([label.items, String(itemCount)]);
    return table([label.field, label.value], ["---", "---"], rows.map(([field, value]) => [field!, escapeCell(value!)]));
}

/** Cells go in as Markdown: text from a run (a model, a class, an error) passes through `escapeCell` first. */
function table(header: readonly string[], alignment: readonly string[], rows: readonly (readonly string[])[]): string[] {
    const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
    return [line(header), line(alignment), ...rows.map(line)];
}

/**
 * A class or model name, an error message, as literal text in one table cell: a pipe would end the cell, a line
 * break the row, and emphasis, code, link or HTML characters would be rendered rather than shown. Underscores are
 * left alone: inside a word (eval_set.json, open_qa) they never make emphasis, and escaping them would clutter paths.
 */
function escapeCell(text: string): string {
    return text.replace(/[\\|`*<[\]]/gu, "\\$&").replace(/\r\n|[\r\n]/gu, " ");
}

function estimateCells(estimate: ScoreEstimate): string[] {
    return [formatScore(estimate.mean), formatInterval(estimate.ci), String(estimate.scoredCount)];
}

function deltaCells(delta: {pairedCount: number, baselineMean: number | null, candidateMean: number | null, delta: number | null, ci: ConfidenceInterval | null}): string[] {
    return [
        String(delta.pairedCount), formatScore(delta.baselineMean), formatScore(delta.candidateMean), formatDelta(delta.delta),
        delta.ci != null ? `[${formatDelta(delta.ci.low)}, ${formatDelta(delta.ci.high)}]` : "—"
    ];
}

function runName(run: EvalRunSummary): string {
    return run.runId != null ? `${run.model} (${run.runId})` : run.model;
}

// BELLE's papers give scores to three places
function formatScore(score: number | null): string {
    return score != null ? score.toFixed(3) : "—";
}

function formatDelta(delta: number | null): string {
    if (delta == null) return "—";
    const fixed = Math.abs(delta).toFixed(3);
    return fixed === "0.000" ? fixed : `${delta > 0 ? "+" : "-"}${fixed}`;
}

function formatInterval(interval: ConfidenceInterval | null): string {
    return interval != null ? `[${interval.low.toFixed(3)}, ${interval.high.toFixed(3)}]` : "—";
}

function formatOutcomes({wins, ties, losses}: WinTieLoss): string {
    return `${wins} / ${ties} / ${losses}`;
}

function formatPValue(pValue: number, nonZeroCount: number): string {
    if (nonZeroCount === 0) return "—";
    return pValue < 0.001 ? "<0.001" : pValue.toFixed(3);
}

function formatPercent(level: number): string {
    return `${Number((level * 100).toFixed(1))}%`;
}
