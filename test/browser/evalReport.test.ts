import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type {Browser, Page} from "playwright-core";
import {compareEvalRuns} from "../../server/eval/report/compareEvalRuns";
import {computeEvalReport} from "../../server/eval/report/computeEvalReport";
import {computeJudgeHumanAgreement} from "../../server/eval/report/computeJudgeHumanAgreement";
import type {EvalRun, EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {buildReportHtml} from "../../webview/protocol/buildReportHtml";
import {
    isReportPanelState, isReportToExtensionMessage, type ExtensionToReportMessage, type ReportShowParams, type ReportToExtensionMessage
} from "../../webview/protocol/reportProtocol";
import {reportStrings} from "../../webview/report/reportStrings";
import {repoRoot} from "../support/startEngineProcess";
import {assertCleanWebviewPage, fakeVsCodeApi, launchTestChromium, startWebviewTestServer, wireWebviewPage, type WebviewTestServer} from "./WebviewTestPage";
import {applyDarkModernColours} from "./darkModernColours";

// Like VS Code, the fake keeps the webview's state across reloads of the page: in sessionStorage, as JSON.
const stateKey = "belle-report-state";

const xss = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

function record(index: number, className: string, score: number | null, overrides: Partial<EvalRunRecord> = {}): EvalRunRecord {
    return {
        itemKey: `${index}:k${index}`, index, question: `问题 ${index} Question`, stdAnswer: `标准答案 ${index}`, className, evalClass: null,
        answer: score == null ? null : `回答 ${index}`, score, judgeReason: score == null ? null : `理由 ${index}`, judgeRaw: null,
        error: score == null ? "judge timed out" : null, model: "m", judge: "j", finishedAt: "2024-01-01T00:00:00Z", ...overrides
    };
}

const baselineRecords: EvalRunRecord[] = [
    record(0, "open qa", 0.8, {question: "北京是中国的首都吗？ Capital", answer: xss}),
    record(1, "open qa", 0.6),
    record(2, "math", 1, {question: "计算 ＡＢＣ 的值"}),
    record(3, "math", 0.5),
    record(4, "code", null),
    record(5, "code", 0.9, {judgeReason: `<b>bold</b> reason`})
];
const candidateRecords: EvalRunRecord[] = baselineRecords.map((base) => ({
    ...base, model: "m2", score: base.score == null ? 0.7 : Math.min(1, base.score + 0.1), answer: `新回答 ${base.index}`,
    error: null, judgeReason: `新理由 ${base.index}`
}));
const run = (records: EvalRunRecord[], model: string): EvalRun => ({
    header: {kind: "header", runId: `run-${model}`, evalSetPath: "eval.json", model, modelHash: null, judge: "judge", settings: {}, createdAt: "2024-01-01T00:00:00Z"},
    records
});

type Received = ReportToExtensionMessage;

class ReportPage {
    public readonly received: Received[] = [];
    public readonly malformed: unknown[] = [];
    public readonly errors: string[] = [];
    public readonly csp: string[] = [];
    private readonly _waiters = new Set<() => void>();
    public constructor(public readonly page: Page) {}
    public receive(message: unknown): void {
        if (isReportToExtensionMessage(message)) this.received.push(message);
        else this.malformed.push(message);
        for (const waiter of this._waiters) waiter();
    }
    public async waitFor(method: Received["method"], count = 1): Promise<Received> {
        const found = () => this.received.filter((message) => message.method === method)[count - 1];
        for (let tries = 0; tries < 100 && found() == null; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
        const message = found();
        if (message == null) throw new Error(`no ${method}; got ${this.received.map((m) => m.method).join(", ")}`);
        return message;
    }
    public async post(message: ExtensionToReportMessage): Promise<void> {
        await this.page.evaluate((data) => { (globalThis as unknown as {postMessage(d: unknown, o: string): void}).postMessage(data, "*"); }, message);
    }
}

describe("evaluation report webview in Chromium (extension side played by the test)", function () {
    let browser: Browser;
    let server: WebviewTestServer | undefined;
    let origin = "";
    let webview: ReportPage;

    before(async function () {
        this.timeout(180_000);
        execFileSync(process.execPath, ["esbuild.mjs"], {cwd: repoRoot, stdio: "inherit"});
        server = await startWebviewTestServer((origin) => buildReportHtml({cspSource: origin, nonce: crypto.randomBytes(16).toString("base64"),
                    scriptUri: `${origin}/webview/report.js`, styleUri: `${origin}/webview/report.css`, lang: "en", title: "Report"}));
        origin = server.origin;
        browser = await launchTestChromium();
    });
    after(async () => {
        await browser?.close();
        await server?.close();
    });

    beforeEach(async () => {
        const page = await (await browser.newContext()).newPage();
        webview = new ReportPage(page);
        await wireWebviewPage(page, webview, fakeVsCodeApi(stateKey));
    });
    afterEach(async function () {
        await webview.page.context().close();
        if (this.currentTest?.state !== "passed") return;
        assertCleanWebviewPage(webview);
    });

    async function show(params: Partial<ReportShowParams> & Pick<ReportShowParams, "report" | "records">): Promise<void> {
        await webview.page.goto(`${origin}/`);
        const ready = await webview.waitFor("ready");
        assert.deepEqual(ready, {kind: "command", method: "ready", params: {}});
        assert.equal(webview.received[0]?.method, "ready", "ready comes first");
        await post(params);
    }

    async function post(params: Partial<ReportShowParams> & Pick<ReportShowParams, "report" | "records">): Promise<void> {
        await webview.post({kind: "notification", method: "report/show", params: {strings: {...reportStrings}, runFilePaths: ["/runs/base.jsonl"], ...params}});
        await webview.page.locator(".report").waitFor();
    }

    /** What the webview last gave `setState`. */
    const savedState = () => webview.page.evaluate((key) =>
        JSON.parse((globalThis as unknown as {sessionStorage: {getItem(key: string): string | null}}).sessionStorage.getItem(key) ?? "null") as unknown, stateKey);

    const singleReport = () => computeEvalReport(run(baselineRecords, "base-model"), {resamples: 200});

    it("shows the BELLE scores with CIs and SVG bars sized by attributes, with no inline style", async () => {
        const report = singleReport();
        await show({report, records: [baselineRecords]});
        const page = webview.page;
        const metrics = await page.locator(".summary tr.metric-row").allTextContents();
        assert.equal(metrics.length, 5);
        // BELLE's score first (math and code as one category), then without them, "others", the class macro, the item mean
        assert.ok(metrics[0]!.startsWith(reportStrings.overall));
        assert.match(metrics[0]!, new RegExp(report.overall.mean!.toFixed(3)));
        assert.ok(metrics[2]!.startsWith(reportStrings.others) && metrics[2]!.includes(report.others.mean!.toFixed(3)), metrics[2]);
        assert.ok(metrics[3]!.startsWith(reportStrings.classMacro) && metrics[3]!.includes(report.classMacro.mean!.toFixed(3)), metrics[3]);
        assert.notEqual(report.overall.mean!.toFixed(3), report.classMacro.mean!.toFixed(3));
        assert.match(metrics[0]!, /\[0\.\d{3}, [01]\.\d{3}\]/);
        const bars = page.locator(".bar-chart rect.bar");
        assert.equal(await bars.count(), report.classes.length);
        const openQa = report.classes.find((classScore) => classScore.key === "open qa")!;
        assert.equal(Number(await page.locator('.bar-chart rect.bar[data-class="open qa"]').getAttribute("width")), openQa.mean! * 360);
        assert.equal(await page.locator("[style]").count(), 0, "no inline style attributes");
        assert.equal(await page.locator(".class-row").count(), report.classes.length);
    });

    it("renders untrusted model and judge text as text only", async () => {
        await show({report: singleReport(), records: [baselineRecords]});
        const page = webview.page;
        assert.equal(await page.locator(".item-table img, .item-table script, .item-table b").count(), 0);
        assert.equal(await page.locator(".item-row").first().locator(".cell-answer").textContent(), xss);
        assert.equal(await page.evaluate(() => (globalThis as unknown as {__pwned?: number}).__pwned), undefined);
    });

    it("marks failed items and filters by class and by CJK-safe, case- and width-insensitive search", async () => {
        await show({report: singleReport(), records: [baselineRecords]});
        const page = webview.page;
        const rows = page.locator(".item-row");
        assert.equal(await rows.count(), 6);
        assert.equal(await page.locator(".item-row.failed").count(), 1);
        assert.equal(await page.locator(".item-row.failed .failed-badge").textContent(), reportStrings.failedMark);
        await page.locator(".item-search").fill("首都");
        assert.equal(await rows.count(), 1);
        await page.locator(".item-search").fill("CAPITAL");
        assert.equal(await rows.count(), 1);
        await page.locator(".item-search").fill("abc"); // matches the full-width ＡＢＣ
        assert.equal(await rows.count(), 1);
        assert.equal(await rows.first().getAttribute("data-item-key"), "2:k2");
        await page.locator(".item-search").fill("不存在的文字");
        assert.equal(await rows.count(), 0);
        assert.equal(await page.locator(".no-items").textContent(), reportStrings.noItems);
        await page.locator(".item-search").fill("");
        await page.locator(".class-filter").selectOption("code");
        assert.equal(await rows.count(), 2);
        assert.equal(await page.locator(".item-count").textContent(), "2 of 6 items");
    });

    it("asks the extension to export with a request id and shows the result", async () => {
        await show({report: singleReport(), records: [baselineRecords]});
        await webview.page.locator('.export-button[data-format="csv"]').click();
        const request = await webview.waitFor("report/export");
        assert.ok(request.kind === "request" && request.method === "report/export");
        assert.equal(request.params.format, "csv");
        await webview.post({kind: "response", method: "report/export", requestId: request.requestId, ok: true, result: {paths: ["/tmp/run.items.csv"]}});
        // the webview handles the posted result asynchronously: wait for it before reading the status
        await webview.page.locator(".export-status", {hasText: "Saved"}).waitFor();
        assert.equal(await webview.page.locator(".export-status").textContent(), "Saved /tmp/run.items.csv");
        await webview.page.locator('.export-button[data-format="json"]').click();
        const second = await webview.waitFor("report/export", 2);
        assert.ok(second.kind === "request" && second.method === "report/export" && second.requestId !== request.requestId);
        await webview.post({kind: "response", method: "report/export", requestId: second.requestId, ok: false, error: "EACCES"});
        await webview.page.locator(".export-status.error").waitFor();
        assert.equal(await webview.page.locator(".export-status.error").textContent(), "Export failed: EACCES");
    });

    it("shows an item the reference judge could not score (no standard answer) as 'not scored', not failed; folds a long cell; has an axis and legend", async () => {
        const longAnswer = "春眠不觉晓，处处闻啼鸟。".repeat(30);
        const records = [
            record(0, "open qa", 0.5, {judge: "reference", stdAnswer: longAnswer}),
            record(1, "generation", null, {judge: "reference", stdAnswer: "", answer: "一首诗", error: "no standard answer to compare with: write one, or use a judge model"}),
            record(2, "open qa", null)
        ];
        const report = computeEvalReport(run(records, "m"), {resamples: 50});
        assert.equal(report.failedCount, 1);
        assert.equal(report.notScoredCount, 1);
        await show({report, records: [records]});
        const page = webview.page;
        const generation = page.locator("tr.item-row", {hasText: "一首诗"});
        await generation.locator(".not-scored-badge").waitFor();
        assert.equal(await generation.locator(".failed-badge").count(), 0);
        assert.equal(await generation.evaluate((row) => row.classList.contains("failed")), false);
        assert.equal(await generation.locator(".item-error").count(), 0, "the reference judge's note is shown as an error");
        assert.equal(await page.locator("tr.item-row.failed").count(), 1, "the judge failure is still a failure");
        // a badge on one line: its height is one line's
        const badge = page.locator(".failed-badge").first();
        await badge.waitFor();
        const {height, lineHeight} = await page.evaluate(`(() => {
            const element = document.querySelector(".failed-badge");
            return {height: element.getBoundingClientRect().height, lineHeight: parseFloat(getComputedStyle(element).lineHeight) || 20};
        })()`) as {height: number, lineHeight: number};
        assert.ok(height < lineHeight * 1.8, `the Failed badge wraps (${height}px)`);
        const folded = page.locator("tr.item-row .cell-std details.long-text");
        assert.equal(await folded.count(), 1);
        assert.ok((await folded.locator("summary").innerText()).length < 120);
        await folded.locator("summary").click();
        await folded.locator(".long-text-full", {hasText: longAnswer}).waitFor();
        await page.locator(".bar-chart .axis-label").waitFor();
        assert.equal(await page.locator(".bar-chart .legend-label").count(), 1);
    });

    it("filters only once an input method's composition ends, not on its raw Pinyin", async () => {
        await show({report: singleReport(), records: [baselineRecords]});
        const page = webview.page;
        const rows = page.locator("tr.item-row");
        const all = await rows.count();
        // as an input method does: compositionstart, input events flagged isComposing, compositionend
        await page.evaluate(`(() => {
            const input = document.querySelector(".item-search");
            input.dispatchEvent(new CompositionEvent("compositionstart", {data: ""}));
            input.value = "shoudu";
            input.dispatchEvent(new InputEvent("input", {isComposing: true, data: "shoudu"}));
        })()`);
        await page.waitForTimeout(200);
        assert.equal(await rows.count(), all, "the table was filtered on the Pinyin being composed");
        await page.evaluate(`(() => {
            const input = document.querySelector(".item-search");
            input.value = "首都";
            input.dispatchEvent(new InputEvent("input", {isComposing: true, data: "首都"}));
            input.dispatchEvent(new CompositionEvent("compositionend", {data: "首都"}));
        })()`);
        await page.waitForFunction(`document.querySelectorAll("tr.item-row").length < ${all}`);
        assert.equal(await rows.count(), 1);
    });

    it("compares runs: per-class deltas with CI, W/T/L and p-value, and items side by side", async () => {
        const comparison = compareEvalRuns([run(baselineRecords, "base-model"), run(candidateRecords, "new-model")], {resamples: 200});
        await show({report: comparison, records: [baselineRecords, candidateRecords]});
        const page = webview.page;
        const classRows = page.locator(".delta tr.class-row");
        assert.equal(await classRows.count(), comparison.comparisons[0]!.classes.length);
        const openQa = comparison.comparisons[0]!.classes.find((classDelta) => classDelta.key === "open qa")!;
        const cells = await page.locator(".delta tr.class-row").filter({hasText: "open qa"}).locator("td").allTextContents();
        assert.equal(cells[3], `+${openQa.delta!.toFixed(3)}`);
        assert.equal(cells[5], `${openQa.outcomes.wins}/${openQa.outcomes.ties}/${openQa.outcomes.losses}`);
        assert.match(cells[6]!, /^\d/);
        assert.equal(await page.locator(".bar-chart rect.bar").count(), 2 * comparison.reports[0]!.classes.length);
        const headers = await page.locator(".item-table th").allTextContents();
        assert.equal(headers.length, 5);
        assert.match(headers[4]!, /new-model/);
        const first = page.locator(".item-row").first().locator(".cell-run");
        assert.equal(await first.count(), 2);
        assert.equal(await first.nth(1).locator(".cell-answer").textContent(), "新回答 0");
        assert.equal(await page.locator(".item-row.failed").count(), 1, "failed in the baseline");
        assert.equal(await page.locator(".item-pager").isVisible(), false, "one page needs no pager");
    });

    it("saves the compared run files, baseline first, as the panel's state", async () => {
        const comparison = compareEvalRuns([run(baselineRecords, "base-model"), run(candidateRecords, "new-model")], {resamples: 200});
        const runFilePaths = ["/runs/base.jsonl", "/runs/new 新.jsonl"];
        await show({report: comparison, records: [baselineRecords, candidateRecords], runFilePaths});
        const state = await savedState();
        assert.ok(isReportPanelState(state), "the state the serializer will be handed passes its guard");
        assert.deepEqual(state.runFilePaths, runFilePaths);
    });

    describe("a 1,000-item run", () => {
        // Every 7th answer holds a needle: 143 matches, two pages of search results
        const thousand = Array.from({length: 1000}, (_, index) => record(index, ["open qa", "math", "code"][index % 3]!, (index % 10) / 10,
            index % 7 === 0 ? {answer: `回答 ${index} with a Needle`} : {}));
        const thousandReport = () => computeEvalReport(run(thousand, "big-model"), {resamples: 200});
        const range = () => webview.page.locator(".page-range").textContent();
        const firstKey = () => webview.page.locator(".item-row").first().getAttribute("data-item-key");

        it("shows one page of 100 rows, and previous and next move through the pages", async () => {
            await show({report: thousandReport(), records: [thousand]});
            const page = webview.page;
            const rows = page.locator(".item-row");
            assert.equal(await rows.count(), 100);
            assert.equal(await range(), "Rows 1–100 of 1000");
            assert.equal(await page.locator(".item-count").textContent(), "1000 of 1000 items");
            assert.equal(await page.locator(".page-previous").isDisabled(), true);
            await page.locator(".page-next").click();
            assert.equal(await range(), "Rows 101–200 of 1000");
            assert.equal(await rows.count(), 100);
            assert.equal(await firstKey(), "100:k100");
            await page.locator(".page-previous").click();
            assert.equal(await range(), "Rows 1–100 of 1000");
            assert.equal(await firstKey(), "0:k0");
            for (let pageIndex = 1; pageIndex < 10; pageIndex++) await page.locator(".page-next").click();
            assert.equal(await range(), "Rows 901–1000 of 1000");
            assert.equal(await firstKey(), "900:k900");
            assert.equal(await page.locator(".page-next").isDisabled(), true);
            assert.equal(await page.locator(".page-previous").isDisabled(), false);
        });

        it("narrows to the search's matches from their first page, and pages through them", async () => {
            await show({report: thousandReport(), records: [thousand]});
            const page = webview.page;
            const rows = page.locator(".item-row");
            await page.locator(".page-next").click();
            await page.locator(".page-next").click();
            assert.equal(await range(), "Rows 201–300 of 1000");
            await page.locator(".item-search").fill("NEEDLE");
            assert.equal(await range(), "Rows 1–100 of 143");
            assert.equal(await firstKey(), "0:k0");
            await page.locator(".page-next").click();
            assert.equal(await range(), "Rows 101–143 of 143");
            assert.equal(await rows.count(), 43);
            assert.equal(await firstKey(), "700:k700");
            await page.locator(".class-filter").selectOption("math"); // index % 3 === 1 and index % 7 === 0: 48 items
            assert.equal(await rows.count(), 48);
            assert.equal(await page.locator(".item-pager").isVisible(), false);
            assert.equal(await page.locator(".item-count").textContent(), "48 of 1000 items");
            await page.locator(".item-search").fill("");
            assert.equal(await range(), "Rows 1–100 of 333");
            assert.equal(await firstKey(), "1:k1");
        });

        it("saves its run file and place with setState, and resumes there when the webview is reloaded", async () => {
            await show({report: thousandReport(), records: [thousand], runFilePaths: ["/runs/big.jsonl"]});
            const page = webview.page;
            await page.locator(".class-filter").selectOption("code");
            await page.locator(".item-search").fill("回答");
            await page.locator(".page-next").click();
            assert.equal(await range(), "Rows 101–200 of 333");
            const state = await savedState();
            assert.ok(isReportPanelState(state));
            assert.deepEqual(state, {runFilePaths: ["/runs/big.jsonl"], classFilter: "code", query: "回答", pageIndex: 1});

            await page.reload();
            await webview.waitFor("ready", 2);
            await post({report: thousandReport(), records: [thousand], runFilePaths: ["/runs/big.jsonl"]});
            assert.equal(await page.locator(".class-filter").inputValue(), "code");
            assert.equal(await page.locator(".item-search").inputValue(), "回答");
            assert.equal(await range(), "Rows 101–200 of 333");
            assert.equal(await firstKey(), "302:k302");

            await page.reload();
            await webview.waitFor("ready", 3);
            await post({report: thousandReport(), records: [thousand], runFilePaths: ["/runs/other.jsonl"]});
            assert.equal(await range(), "Rows 1–100 of 1000", "another run starts afresh");
            assert.deepEqual(await savedState(), {runFilePaths: ["/runs/other.jsonl"], classFilter: "", query: "", pageIndex: 0});
        });
    });

    describe("judge–human agreement", () => {
        // Items 0–3 and 5 pair: human 0.9, 0.1, 1, good, 0.8 against judge 0.8, 0.6, 1, 0.5, 0.9; item 4 failed in the judge
        const annotations = new Map([
            ["0:k0", {humanScore: 0.9}], ["1:k1", {humanScore: 0.1}], ["2:k2", {humanScore: 1}], ["3:k3", {verdict: "good" as const}],
            ["4:k4", {humanScore: 0.3}], ["5:k5", {humanScore: 0.8}]
        ]);
        const annotatedReport = () => {
            const report = singleReport();
            report.agreement = computeJudgeHumanAgreement(baselineRecords, annotations);
            return report;
        };

        it("shows pairs, Spearman rho, Cohen's kappa, the 2×2 table and the disagreements when the run has annotations", async () => {
            await show({report: annotatedReport(), records: [baselineRecords]});
            const page = webview.page;
            const section = page.locator("section.agreement");
            assert.equal(await section.count(), 1);
            assert.equal(await section.locator("h2").textContent(), reportStrings.agreementHeading);
            const cells = async (metric: string) => section.locator(`tr.agreement-row[data-metric="${metric}"] td`).allTextContents();
            // Scored pairs 0, 1, 2, 5: judge ranks 2, 1, 4, 3, human ranks 3, 1, 4, 2: ρ = 4 / 5
            assert.deepEqual(await cells("spearman"), [reportStrings.spearman, "0.800", "4"]);
            // Calls: judge g g g g g, human g b g g g: p_o = 4/5; p_e = (5·4 + 0·1) / 25 = 0.8: κ = 0
            assert.deepEqual(await cells("kappa"), [reportStrings.cohenKappa, "0.000", "5"]);
            assert.deepEqual(await cells("observed"), [reportStrings.observedAgreement, "80.0%", "5"]);
            assert.deepEqual(await section.locator(".agreement-table tr.judge-good td").allTextContents(), [reportStrings.judgeGood, "4", "1"]);
            assert.deepEqual(await section.locator(".agreement-table tr.judge-bad td").allTextContents(), [reportStrings.judgeBad, "0", "0"]);
            assert.equal(await section.locator(".agreement-skipped").textContent(), "Left out — ratings of another answer: 0; annotated items without a judge score: 1.");
            const disagreements = section.locator("tr.disagreement-row");
            assert.equal(await disagreements.count(), 1);
            assert.equal(await disagreements.first().getAttribute("data-item-key"), "1:k1");
            assert.deepEqual(await disagreements.first().locator("td").allTextContents(),
                ["open qa", "问题 1 Question", "0.600", "0.100", reportStrings.verdictBad, "0.500"]);
            assert.equal(await page.locator("[style]").count(), 0, "no inline style attributes");
        });

        it("hides the section when the run has no annotations, or none that pair", async () => {
            await show({report: singleReport(), records: [baselineRecords]});
            assert.equal(await webview.page.locator("section.agreement").count(), 0);
            const unpaired = singleReport();
            unpaired.agreement = computeJudgeHumanAgreement(baselineRecords, new Map([["4:k4", {humanScore: 0.3}]]));
            assert.equal(unpaired.agreement.pairCount, 0);
            await webview.page.reload();
            await webview.waitFor("ready", 2);
            await post({report: unpaired, records: [baselineRecords]});
            assert.equal(await webview.page.locator("section.agreement").count(), 0);
            assert.equal(await webview.page.locator(".item-row").count(), 6, "the rest of the report is there");
        });

        it("shows one section per compared run that has pairs, named after the run", async () => {
            const comparison = compareEvalRuns([run(baselineRecords, "base-model"), run(candidateRecords, "new-model")], {resamples: 200});
            comparison.reports[1]!.agreement = computeJudgeHumanAgreement(candidateRecords, annotations);
            await show({report: comparison, records: [baselineRecords, candidateRecords]});
            const sections = webview.page.locator("section.agreement");
            assert.equal(await sections.count(), 1);
            assert.match((await sections.locator("h2").textContent())!, /new-model/);
        });
    });

    it("shows the extension's message instead of the report when a restored panel's run files are gone", async () => {
        await webview.page.goto(`${origin}/`);
        await webview.waitFor("ready");
        const message = "The run file /runs/gone.jsonl no longer exists, so this report cannot be shown.";
        await webview.post({kind: "notification", method: "report/unavailable", params: {message}});
        const notice = webview.page.locator(".report-unavailable");
        await notice.waitFor();
        assert.equal(await notice.textContent(), message);
        assert.equal(await notice.getAttribute("role"), "alert");
        assert.equal(await webview.page.locator(".report").count(), 0);
    });

    it("looks like this in Chinese, in the Dark Modern theme (docs/screenshots/eval-report.png)", async () => {
        const bundle = JSON.parse(fs.readFileSync(path.join(repoRoot, "l10n", "bundle.l10n.zh-cn.json"), "utf8")) as Record<string, string>;
        const chinese = Object.fromEntries(Object.entries(reportStrings).map(([key, english]) => [key, bundle[english]!])) as typeof reportStrings;
        // The walkthrough's sample eval set, answered by a model and by its fine-tuned version
        const items = fs.readFileSync(path.join(repoRoot, "media", "walkthrough", "sample-eval-set.jsonl"), "utf8").trim().split("\n")
            .map((line) => JSON.parse(line) as {question: string, std_answer: string, class: string});
        const scores = [[0.9, 1], [0.8, 0.9], [0.4, 0.8], [0.7, 0.8], [0.6, 0.7], [0.5, 0.6], [1, 1], [0.3, 0.6]];
        const answers = [
            ["北京。", "中国的首都是北京。"], ["Paris.", "The capital of France is Paris."], ["5 个。", "5 - 2 + 3 = 6，现在有 6 个苹果。"],
            ["星光咖啡、晨曦、豆香、慢时光、转角", "1. 拾光咖啡 2. 豆语 3. 慢半拍 4. 晨雾 5. 街角的猫"], ["该方案较好，就这样执行。", "此方案切实可行，建议按此执行。"],
            ["Snow falls.", "Soft snow on sleeping fields, / the year exhales in white."], ["正面", "正面"],
            ["sum(numbers)", "def sum_even(numbers):\n    return sum(n for n in numbers if n % 2 == 0)"]
        ];
        const records = (model: string, column: 0 | 1) => items.map((item, index) => record(index, item.class, scores[index]![column]!, {
            itemKey: `${index}:sample`, question: item.question, stdAnswer: item.std_answer, model, judge: "gpt-4o",
            answer: answers[index]![column]!, judgeReason: null
        }));
        const runOf = (model: string, column: 0 | 1): EvalRun => ({
            header: {kind: "header", runId: `run-${model}`, evalSetPath: "eval_set_sample.jsonl", model, modelHash: null, judge: "gpt-4o",
                settings: {}, createdAt: "2026-11-24T00:00:00Z"},
            records: records(model, column)
        });
        const runs = [runOf("belle-7b-2m", 0), runOf("belle-7b-2m-tuned", 1)];
        await show({report: compareEvalRuns(runs, {resamples: 200}), records: runs.map((each) => [...each.records]), strings: chinese});
        await webview.page.setViewportSize({width: 1100, height: 800});
        await webview.page.evaluate(applyDarkModernColours);
        const screenshotPath = path.join(repoRoot, "docs", "screenshots", "eval-report.png");
        await webview.page.screenshot({path: screenshotPath, fullPage: true});
        assert.ok(fs.statSync(screenshotPath).size > 10_000);
    });

    it("uses the strings the extension sends, and every one has a Chinese translation", async () => {
        const bundle = JSON.parse(fs.readFileSync(path.join(repoRoot, "l10n", "bundle.l10n.zh-cn.json"), "utf8")) as Record<string, string>;
        const missing = Object.values(reportStrings).filter((english) => typeof bundle[english] !== "string");
        assert.deepEqual(missing, []);
        const chinese = Object.fromEntries(Object.entries(reportStrings).map(([key, english]) => [key, bundle[english]!])) as typeof reportStrings;
        await show({report: singleReport(), records: [baselineRecords], strings: chinese});
        assert.equal(await webview.page.locator("h1").textContent(), "BELLE 评测报告");
        assert.equal(await webview.page.locator(".item-count").textContent(), "6 / 6 道题");
    });
});
