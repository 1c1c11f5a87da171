// The evaluation report UI. Model and judge text is untrusted: every piece of it goes in with textContent (through
// `el`), never innerHTML. Bars are SVG shapes sized by attributes, since the CSP allows no inline style.
import type {ConfidenceInterval} from "../../server/eval/report/bootstrapStratifiedMeans";
import type {EvalComparison, DeltaEstimate, WinTieLoss} from "../../server/eval/report/compareEvalRuns";
import type {EvalReport, EvalRunSummary, ScoreEstimate} from "../../server/eval/report/computeEvalReport";
import {recordNotScored, recordScore, type EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import type {GoodOrBad, JudgeHumanAgreement} from "../../server/eval/report/JudgeHumanAgreement";
import {latestRecordPerItem} from "../../server/eval/report/latestRecordPerItem";
import {reportClassOf} from "../../server/eval/report/ReportClass";
import {element} from "../dom/element";
import {svgElement} from "../dom/svgElement";
import {WebviewMessenger} from "../host/WebviewMessenger";
import type {VsCodeApi} from "../host/vsCodeApi";
import {StringTable} from "../l10n/StringTable";
import {
    isReportPanelState, reportNotifications, reportProtocol, reportRequests, type ExportFormat, type ReportNotificationMessage,
    type ReportPanelState, type ReportShowParams
} from "../protocol/reportProtocol";
import {reportStrings, type ReportStringKey} from "./reportStrings";

const exportTimeoutMs = 30_000;
/** Rows in the DOM at once: the eval set has 1,000 items, and a comparison puts every run's text in each row. */
const itemsPerPage = 100;
/** Disagreements listed before the rest are only counted: the worst ones come first, and they are what to read. */
const listedDisagreements = 100;

/** Cells longer than this fold to their first `foldedChars` characters (a row printed BELLE's whole standard answers). */
const longCellChars = 160;
const foldedChars = 100;

/** Case-insensitive, width-insensitive (full-width Ａ matches a), and safe for CJK: no word boundaries involved. */
export function normalizeForSearch(text: string): string {
    return text.normalize("NFKC").toLocaleLowerCase();
}

const formatScore = (value: number | null | undefined) => value == null ? "—" : value.toFixed(3);
const formatSigned = (value: number | null) => value == null ? "—" : `${value > 0 ? "+" : ""}${value.toFixed(3)}`;
const formatCi = (ci: ConfidenceInterval | null) => ci == null ? "—" : `[${formatSigned(ci.low)}, ${formatSigned(ci.high)}]`.replace(/\+/g, "");
const formatSignedCi = (ci: ConfidenceInterval | null) => ci == null ? "—" : `[${formatSigned(ci.low)}, ${formatSigned(ci.high)}]`;
const formatP = (p: number | null | undefined) => p == null || !Number.isFinite(p) ? "—" : p < 0.001 ? p.toExponential(1) : p.toFixed(3);
const formatWtl = (outcomes: WinTieLoss) => `${outcomes.wins}/${outcomes.ties}/${outcomes.losses}`;
const formatPercent = (share: number | null) => share == null ? "—" : `${(share * 100).toFixed(1)}%`;

type UndefinedReason = JudgeHumanAgreement["spearman"]["undefinedReason"] | JudgeHumanAgreement["kappa"]["undefinedReason"];
const undefinedReasonKeys: Record<NonNullable<UndefinedReason>, ReportStringKey> = {
    tooFewPairs: "undefinedTooFewPairs", noVariance: "undefinedNoVariance", noPairs: "undefinedNoPairs", singleCategory: "undefinedSingleCategory"
};

type ItemRow = {
    itemKey: string,
    index: number,
    classKey: string,
    className: string,
    question: string,
    stdAnswer: string,
    /** One per run; null where the run has no record of the item. */
    runs: Array<EvalRunRecord | null>,
    searchText: string
};

export class ReportApp {
    private readonly _strings = new StringTable<ReportStringKey>(reportStrings);
    private readonly _messenger: WebviewMessenger<typeof reportProtocol>;
    private _rows: ItemRow[] = [];
    /** The rows that pass the class filter and the search, in order; a page is a slice of them. */
    private _matching: ItemRow[] = [];
    private _runLabels: string[] = [];
    private _runFilePaths: string[] = [];
    private _classFilter = "";
    private _query = "";
    private _pageIndex = 0;
    private _itemTable: HTMLTableElement | undefined;
    private _tbody: HTMLTableSectionElement | undefined;
    private _countLabel: HTMLElement | undefined;
    private _pager: {nav: HTMLElement, range: HTMLElement, previous: HTMLButtonElement, next: HTMLButtonElement} | undefined;
    private _status: HTMLElement | undefined;

    /** `_vscode`'s state is what `setState` saved, kept by VS Code across a reload of the webview or of the window. */
    public constructor(private readonly _root: HTMLElement, private readonly _vscode: VsCodeApi) {
        this._messenger = new WebviewMessenger(_vscode, reportProtocol, (message) => this._onNotification(message));
    }

    public start(): void {
        this._root.replaceChildren(element("p", {className: "report-waiting", text: this._t("waiting")}));
        this._messenger.start({});
    }

    private _t(key: ReportStringKey, ...args: Array<string | number>): string {
        return this._strings.t(key, args);
    }

    private _onNotification(message: ReportNotificationMessage): void {
        if (reportNotifications.show.is(message)) this._show(message.params);
        else if (reportNotifications.unavailable.is(message)) this._showUnavailable(message.params.message);
    }

    private _show({report, records, runFilePaths, strings}: ReportShowParams): void {
        this._strings.configure(strings);
        const summaries = report.kind === "evalReport" ? [report.run] : report.reports.map((runReport) => runReport.run);
        this._runLabels = summaries.map((summary, index) => this._runLabel(summary, index));
        this._rows = buildRows(records);
        this._runFilePaths = [...runFilePaths];
        // The same report shown again (the webview or the window was reloaded): back to where the user was
        const saved: unknown = this._vscode.getState();
        const resumed = isReportPanelState(saved) && saved.runFilePaths.length === runFilePaths.length &&
            saved.runFilePaths.every((runFilePath, index) => runFilePath === runFilePaths[index]) ? saved : null;
        this._classFilter = resumed?.classFilter ?? "";
        this._query = resumed?.query ?? "";
        this._pageIndex = resumed?.pageIndex ?? 0;
        const app = element("div", {className: "report"});
        app.append(this._header(report, summaries), this._exportBar());
        if (report.kind === "evalReport") app.append(...this._reportSections(report));
        else app.append(...this._comparisonSections(report));
        app.append(...this._agreementSections(report), ...this._itemsSection(report));
        this._root.replaceChildren(app);
        this._matching = this._filterRows();
        this._renderPage();
        this._saveState();
    }

    /** A restored panel whose run files cannot be read: the extension's reason instead of the report. */
    private _showUnavailable(message: string): void {
        const notice = element("p", {className: "report-unavailable", text: message});
        notice.setAttribute("role", "alert");
        this._root.replaceChildren(notice);
    }

    private _saveState(): void {
        const state: ReportPanelState = {runFilePaths: this._runFilePaths, classFilter: this._classFilter, query: this._query, pageIndex: this._pageIndex};
        this._vscode.setState(state);
    }

    private _runLabel(summary: EvalRunSummary, index: number): string {
        return `${this._t("runLabel", index + 1)}: ${summary.model}`;
    }

    private _header(report: EvalReport | EvalComparison, summaries: EvalRunSummary[]): HTMLElement {
        const header = element("header", {className: "report-header"});
        header.append(element("h1", {text: this._t(report.kind === "evalReport" ? "reportTitle" : "comparisonTitle")}));
        const list = element("dl", {className: "run-summary"});
        summaries.forEach((summary, index) => {
            const role = report.kind === "evalReport" ? "" : ` (${this._t(index === 0 ? "baseline" : "candidate")})`;
            list.append(element("dt", {text: this._t("runLabel", index + 1) + role}));
            list.append(element("dd", {text: `${this._t("model")}: ${summary.model} · ${this._t("judge")}: ${summary.judge}` +
                (summary.runId != null ? ` · ${summary.runId}` : "")}));
        });
        header.append(list);
        if (report.kind === "evalComparison" && report.warnings.length > 0) {
            const warnings = element("div", {className: "report-warnings"});
            warnings.setAttribute("role", "note");
            warnings.append(element("strong", {text: this._t("warnings")}));
            const ul = element("ul");
            for (const warning of report.warnings) ul.append(element("li", {text: warning}));
            warnings.append(ul);
            header.append(warnings);
        }
        return header;
    }

    private _exportBar(): HTMLElement {
        const bar = element("div", {className: "export-bar"});
        const formats: Array<[ExportFormat, ReportStringKey]> = [["md", "exportMarkdown"], ["csv", "exportCsv"], ["json", "exportJson"]];
        for (const [format, key] of formats) {
            const button = element("button", {className: "export-button", text: this._t(key)});
            button.type = "button";
            button.dataset.format = format;
            button.addEventListener("click", () => void this._export(format));
            bar.append(button);
        }
        this._status = element("span", {className: "export-status"});
        this._status.setAttribute("role", "status");
        bar.append(this._status);
        return bar;
    }

    private async _export(format: ExportFormat): Promise<void> {
        const outcome = await this._messenger.request(reportRequests.export, {format}, exportTimeoutMs);
        if (this._status == null) return;
        this._status.textContent = outcome.ok ? this._t("exported", outcome.result.paths.join(", "))
            : this._t("exportFailed", outcome.timedOut ? "timeout" : outcome.error);
        this._status.classList.toggle("error", !outcome.ok);
    }

    private _reportSections(report: EvalReport): HTMLElement[] {
        const level = Math.round(report.bootstrap.confidenceLevel * 100);
        const summary = element("section", {className: "summary"});
        const table = this._table([this._t("metric"), this._t("mean"), this._t("ciLevel", level), this._t("scoredItems")]);
        const row = (label: string, estimate: ScoreEstimate) =>
            this._row(table.body, [label, formatScore(estimate.mean), formatCi(estimate.ci), String(estimate.scoredCount)], "metric-row");
        row(this._t("overall"), report.overall);
        row(this._t("withoutOthers"), report.withoutOthers);
        if (report.others.scoredCount > 0) row(this._t("others"), report.others);
        row(this._t("classMacro"), report.classMacro);
        row(this._t("itemMean"), report.itemMean);
        summary.append(table.table);

        const byClass = element("section", {className: "by-class"});
        byClass.append(element("h2", {text: this._t("byClass")}));
        const classTable = this._table([this._t("className"), this._t("itemCount"), this._t("scoredCount"), this._t("failedCount"),
            this._t("mean"), this._t("ciLevel", level)]);
        for (const classScore of report.classes)
            this._row(classTable.body, [classScore.className, String(classScore.itemCount), String(classScore.scoredCount),
                classScore.notScoredCount > 0 ? `${classScore.failedCount} · ${this._t("notScoredCount", classScore.notScoredCount)}` : String(classScore.failedCount),
                formatScore(classScore.mean), formatCi(classScore.ci)], "class-row");
        byClass.append(this._barChart(report.classes.map((classScore) => ({label: classScore.className, values: [classScore]})), 1), classTable.table);
        return [summary, byClass];
    }

    private _comparisonSections(comparison: EvalComparison): HTMLElement[] {
        const sections: HTMLElement[] = [];
        const level = Math.round(comparison.bootstrap.confidenceLevel * 100);
        const summary = element("section", {className: "summary"});
        const table = this._table([this._t("metric"), ...this._runLabels.map((label) => label)]);
        const metric = (label: string, pick: (report: EvalReport) => ScoreEstimate) =>
            this._row(table.body, [label, ...comparison.reports.map((report) => {
                const estimate = pick(report);
                return `${formatScore(estimate.mean)} ${formatCi(estimate.ci)}`;
            })], "metric-row");
        metric(this._t("overall"), (report) => report.overall);
        metric(this._t("withoutOthers"), (report) => report.withoutOthers);
        metric(this._t("itemMean"), (report) => report.itemMean);
        summary.append(table.table);
        sections.push(summary);

        const classOrder: Array<{key: string, label: string}> = [];
        for (const report of comparison.reports)
            for (const classScore of report.classes)
                if (!classOrder.some((entry) => entry.key === classScore.key)) classOrder.push({key: classScore.key, label: classScore.className});
        const chartSection = element("section", {className: "by-class"});
        chartSection.append(element("h2", {text: this._t("byClass")}));
        chartSection.append(this._barChart(classOrder.map(({key, label}) => ({
            label,
            values: comparison.reports.map((report) => report.classes.find((classScore) => classScore.key === key) ?? null)
        })), comparison.reports.length));
        sections.push(chartSection);

        for (const runComparison of comparison.comparisons) {
            const section = element("section", {className: "delta"});
            section.append(element("h2", {text: `${this._runLabels[runComparison.candidateIndex] ?? ""} − ${this._runLabels[0] ?? ""}`}));
            const deltas = this._table([this._t("className"), this._t("baseline"), this._t("candidate"), this._t("delta"),
                this._t("ciLevel", level), this._t("winTieLoss"), this._t("pValue")]);
            const deltaRow = (label: string, estimate: DeltaEstimate, outcomes: WinTieLoss | null, p: number | null, className: string) => {
                const tr = this._row(deltas.body, [label, formatScore(estimate.baselineMean), formatScore(estimate.candidateMean),
                    formatSigned(estimate.delta), formatSignedCi(estimate.ci), outcomes == null ? "—" : formatWtl(outcomes), formatP(p)], className);
                if (estimate.ci != null && (estimate.ci.low > 0 || estimate.ci.high < 0))
                    tr.classList.add(estimate.ci.low > 0 ? "delta-up" : "delta-down");
                return tr;
            };
            deltaRow(this._t("overall"), runComparison.overall, null, null, "metric-row");
            deltaRow(this._t("withoutOthers"), runComparison.withoutOthers, null, null, "metric-row");
            deltaRow(this._t("itemMean"), runComparison.itemMean, runComparison.outcomes, runComparison.test.pValue, "metric-row");
            for (const classDelta of runComparison.classes)
                deltaRow(classDelta.className, classDelta, classDelta.outcomes, classDelta.test.pValue, "class-row");
            section.append(deltas.table);
            sections.push(section);
        }
        return sections;
    }

    /** One section per run whose report carries a judge–human agreement with at least one pair; none otherwise. */
    private _agreementSections(report: EvalReport | EvalComparison): HTMLElement[] {
        const reports = report.kind === "evalReport" ? [report] : report.reports;
        const questions = new Map(this._rows.map((row) => [row.itemKey, row.question]));
        return reports.flatMap((runReport, index) => runReport.agreement == null || runReport.agreement.pairCount === 0 ? [] :
            [this._agreementSection(runReport.agreement, report.kind === "evalReport" ? null : this._runLabels[index] ?? null, questions)]);
    }

    private _agreementSection(agreement: JudgeHumanAgreement, runLabel: string | null, questions: ReadonlyMap<string, string>): HTMLElement {
        const section = element("section", {className: "agreement"});
        section.append(element("h2", {text: runLabel == null ? this._t("agreementHeading") : `${this._t("agreementHeading")} · ${runLabel}`}));
        const {spearman, kappa} = agreement;
        const statistic = (value: number | null, reason: UndefinedReason) =>
            value != null ? value.toFixed(3) : reason == null ? "—" : `— (${this._t(undefinedReasonKeys[reason])})`;
        const stats = this._table([this._t("metric"), this._t("agreementValue"), this._t("agreementPairs")]);
        stats.table.classList.add("agreement-stats");
        const statRow = (metric: string, label: string, value: string, pairCount: number) => {
            this._row(stats.body, [label, value, String(pairCount)], "agreement-row").dataset.metric = metric;
        };
        statRow("spearman", this._t("spearman"), statistic(spearman.rho, spearman.undefinedReason), spearman.pairCount);
        statRow("kappa", this._t("cohenKappa"), statistic(kappa.kappa, kappa.undefinedReason), agreement.pairCount);
        statRow("observed", this._t("observedAgreement"), formatPercent(kappa.observedAgreement), agreement.pairCount);

        const counts = kappa.table;
        const matrix = this._table(["", this._t("humanGood"), this._t("humanBad")]);
        matrix.table.classList.add("agreement-table");
        this._row(matrix.body, [this._t("judgeGood"), String(counts.judgeGoodHumanGood), String(counts.judgeGoodHumanBad)], "judge-good");
        this._row(matrix.body, [this._t("judgeBad"), String(counts.judgeBadHumanGood), String(counts.judgeBadHumanBad)], "judge-bad");
        section.append(stats.table, matrix.table, element("p", {className: "agreement-note", text: this._t("agreementNote", agreement.goodThreshold)}));
        const {ratedOtherAnswer, notScored} = agreement.skipped;
        if (ratedOtherAnswer + notScored > 0)
            section.append(element("p", {className: "agreement-note agreement-skipped", text: this._t("agreementSkipped", ratedOtherAnswer, notScored)}));

        const {disagreements} = agreement;
        section.append(element("h3", {text: this._t("disagreementsHeading", disagreements.length)}));
        if (disagreements.length === 0) {
            section.append(element("p", {className: "agreement-note no-disagreements", text: this._t("noDisagreements")}));
            return section;
        }
        section.append(element("p", {className: "agreement-note", text: this._t("disagreementsNote", agreement.disagreementGap)}));
        const verdict = (call: GoodOrBad) => this._t(call === "good" ? "verdictGood" : "verdictBad");
        const list = this._table([this._t("className"), this._t("question"), this._t("judgeScore"), this._t("humanScore"),
            this._t("humanVerdict"), this._t("gap")]);
        list.table.classList.add("disagreement-table");
        for (const item of disagreements.slice(0, listedDisagreements)) {
            const tr = this._row(list.body, [item.className, questions.get(item.itemKey) ?? `#${item.index}`, formatScore(item.judgeScore),
                formatScore(item.humanScore), verdict(item.humanVerdict), item.gap.toFixed(3)], "disagreement-row");
            tr.dataset.itemKey = item.itemKey;
        }
        section.append(list.table);
        if (disagreements.length > listedDisagreements)
            section.append(element("p", {className: "agreement-note", text: this._t("moreDisagreements", disagreements.length - listedDisagreements)}));
        return section;
    }

    /** Horizontal bars 0–1 per class, one per run, with the CI as a whisker; sized by SVG attributes only. */
    private _barChart(groups: Array<{label: string, values: Array<ScoreEstimate | null>}>, seriesCount: number): SVGElement {
        const labelWidth = 140, plotWidth = 360, barHeight = 14, gap = 4, groupGap = 10, valueWidth = 84;
        const groupHeight = seriesCount * barHeight + (seriesCount - 1) * gap;
        const plotHeight = groups.length * (groupHeight + groupGap) + groupGap;
        const axisHeight = 34, legendRowHeight = 18;
        const legendHeight = this._runLabels.length > 0 ? legendRowHeight * Math.min(seriesCount, this._runLabels.length) + 6 : 0;
        const height = plotHeight + axisHeight + legendHeight;
        const width = labelWidth + plotWidth + valueWidth;
        const chart = svgElement("svg", {class: "bar-chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img"});
        chart.append(svgElement("title", {}, this._t("byClass")));
        for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
            const x = labelWidth + tick * plotWidth;
            chart.append(svgElement("line", {class: "grid", x1: x, x2: x, y1: 0, y2: plotHeight}));
            chart.append(svgElement("text", {class: "axis-tick", x, y: plotHeight + 12, "text-anchor": "middle"}, String(tick)));
        }
        chart.append(svgElement("line", {class: "axis", x1: labelWidth, x2: labelWidth + plotWidth, y1: plotHeight, y2: plotHeight}));
        chart.append(svgElement("text", {class: "axis-label", x: labelWidth + plotWidth / 2, y: plotHeight + 28, "text-anchor": "middle"}, this._t("axisLabel")));
        this._runLabels.slice(0, seriesCount).forEach((label, series) => {
            const y = plotHeight + axisHeight + series * legendRowHeight;
            chart.append(svgElement("rect", {class: `legend-swatch series-${series % 4}`, x: labelWidth, y, width: 12, height: 12}));
            chart.append(svgElement("text", {class: "legend-label", x: labelWidth + 18, y: y + 6, "dominant-baseline": "middle"}, label));
        });
        groups.forEach((group, groupIndex) => {
            const top = groupGap + groupIndex * (groupHeight + groupGap);
            chart.append(svgElement("text", {class: "bar-label", x: labelWidth - 6, y: top + groupHeight / 2, "text-anchor": "end", "dominant-baseline": "middle"}, group.label));
            group.values.forEach((estimate, series) => {
                const y = top + series * (barHeight + gap);
                const mean = estimate?.mean ?? null;
                const bar = svgElement("rect", {class: `bar series-${series % 4}`, x: labelWidth, y, height: barHeight,
                    width: mean == null ? 0 : Math.max(0, Math.min(1, mean)) * plotWidth});
                bar.setAttribute("data-class", group.label);
                bar.append(svgElement("title", {}, `${this._runLabels[series] ?? ""} ${group.label}: ${formatScore(mean)} ${formatCi(estimate?.ci ?? null)}`));
                chart.append(bar);
                if (estimate?.ci != null) {
                    const middle = y + barHeight / 2;
                    chart.append(svgElement("line", {class: "whisker", x1: labelWidth + estimate.ci.low * plotWidth, x2: labelWidth + estimate.ci.high * plotWidth, y1: middle, y2: middle}));
                }
                chart.append(svgElement("text", {class: "bar-value", x: labelWidth + plotWidth + 6, y: y + barHeight / 2, "dominant-baseline": "middle"},
                    mean == null ? this._t("notScored") : formatScore(mean)));
            });
        });
        return chart;
    }

    private _itemsSection(report: EvalReport | EvalComparison): HTMLElement[] {
        const section = element("section", {className: "items"});
        section.append(element("h2", {text: this._t("itemsHeading")}));
        const controls = element("div", {className: "item-controls"});
        const select = element("select", {className: "class-filter"});
        select.setAttribute("aria-label", this._t("className"));
        select.append(new Option(this._t("allClasses"), ""));
        const classes = report.kind === "evalReport" ? report.classes : report.reports.flatMap((runReport) => runReport.classes);
        const seen = new Set<string>();
        for (const classScore of classes) {
            if (seen.has(classScore.key)) continue;
            seen.add(classScore.key);
            select.append(new Option(classScore.className, classScore.key));
        }
        select.value = this._classFilter;
        this._classFilter = select.value; // "" when a saved class is no longer in the report
        select.addEventListener("change", () => { this._classFilter = select.value; this._onFilterChange(); });
        const search = element("input", {className: "item-search"});
        search.type = "search";
        search.placeholder = this._t("searchPlaceholder");
        search.setAttribute("aria-label", this._t("searchPlaceholder"));
        search.value = this._query;
        // Not while an input method composes: the box then holds raw Pinyin ("beijing"), not what the user means (北京)
        search.addEventListener("input", (event) => {
            if ((event as InputEvent).isComposing) return;
            this._query = search.value;
            this._onFilterChange();
        });
        search.addEventListener("compositionend", () => { this._query = search.value; this._onFilterChange(); });
        this._countLabel = element("span", {className: "item-count"});
        this._countLabel.setAttribute("role", "status");
        controls.append(select, search, this._countLabel);

        const multi = this._runLabels.length > 1;
        const headers = [this._t("className"), this._t("question"), this._t("stdAnswer")];
        if (multi) headers.push(...this._runLabels);
        else headers.push(this._t("answer"), this._t("score"), this._t("judgeReason"));
        const table = this._table(headers);
        table.table.classList.add("item-table");
        this._itemTable = table.table;
        this._tbody = table.body;
        section.append(controls, table.table, this._pagerBar());
        return [section];
    }

    private _pagerBar(): HTMLElement {
        const nav = element("nav", {className: "item-pager"});
        nav.setAttribute("aria-label", this._t("itemPages"));
        const button = (className: string, key: ReportStringKey, step: number) => {
            const pageButton = element("button", {className, text: this._t(key)});
            pageButton.type = "button";
            pageButton.addEventListener("click", () => this._goToPage(this._pageIndex + step));
            return pageButton;
        };
        const previous = button("page-previous", "previousPage", -1);
        const range = element("span", {className: "page-range"});
        range.setAttribute("aria-live", "polite");
        const next = button("page-next", "nextPage", 1);
        nav.append(previous, range, next);
        this._pager = {nav, range, previous, next};
        return nav;
    }

    private _filterRows(): ItemRow[] {
        const query = normalizeForSearch(this._query.trim());
        return this._rows.filter((row) =>
            (this._classFilter === "" || row.classKey === this._classFilter) && (query === "" || row.searchText.includes(query)));
    }

    /** A new class or search text: the old page number means nothing for the new matches, so back to the first. */
    private _onFilterChange(): void {
        this._matching = this._filterRows();
        this._pageIndex = 0;
        this._renderPage();
        this._saveState();
    }

    private _goToPage(pageIndex: number): void {
        this._pageIndex = pageIndex;
        this._renderPage();
        this._saveState();
        // The pager is below the rows: show the new page from its first row
        this._itemTable?.scrollIntoView({block: "start"});
    }

    /** Builds the current page's rows only, so the cost of a render does not grow with the run. */
    private _renderPage(): void {
        const tbody = this._tbody;
        if (tbody == null) return;
        const matching = this._matching;
        const pageCount = Math.max(1, Math.ceil(matching.length / itemsPerPage));
        this._pageIndex = Math.max(0, Math.min(this._pageIndex, pageCount - 1));
        const first = this._pageIndex * itemsPerPage;
        const page = matching.slice(first, first + itemsPerPage);
        const multi = this._runLabels.length > 1;
        const rows = page.map((row) => {
            const tr = element("tr", {className: "item-row"});
            tr.dataset.itemKey = row.itemKey;
            const failed = row.runs.some((record) => record != null && recordScore(record) == null && !recordNotScored(record));
            if (failed) tr.classList.add("failed");
            tr.append(element("td", {className: "cell-class", text: row.className}), this._longCell("td", "cell-question", row.question), this._longCell("td", "cell-std", row.stdAnswer));
            if (multi) for (const record of row.runs) tr.append(this._runCell(record));
            else {
                const record = row.runs[0] ?? null;
                const score = record == null ? null : recordScore(record);
                tr.append(this._longCell("td", "cell-answer", record?.answer ?? ""));
                const scoreCell = element("td", {className: "cell-score"});
                if (score != null) scoreCell.textContent = formatScore(score);
                else if (record != null) scoreCell.append(this._noScoreBadge(record));
                tr.append(scoreCell);
                const reason = this._longCell("td", "cell-reason", record?.judgeReason ?? "");
                if (record != null && score == null && record.error != null && !recordNotScored(record)) reason.append(element("div", {className: "item-error", text: record.error}));
                tr.append(reason);
            }
            return tr;
        });
        if (rows.length === 0) {
            const tr = element("tr", {className: "no-items"});
            const td = element("td", {text: this._t("noItems")});
            td.colSpan = multi ? 3 + this._runLabels.length : 6;
            tr.append(td);
            rows.push(tr);
        }
        tbody.replaceChildren(...rows);
        if (this._countLabel != null) this._countLabel.textContent = this._t("shownCount", matching.length, this._rows.length);
        if (this._pager != null) {
            this._pager.nav.hidden = matching.length <= itemsPerPage;
            this._pager.range.textContent = this._t("pageRange", first + 1, first + page.length, matching.length);
            this._pager.previous.disabled = this._pageIndex === 0;
            this._pager.next.disabled = this._pageIndex === pageCount - 1;
        }
    }

    private _runCell(record: EvalRunRecord | null): HTMLTableCellElement {
        const td = element("td", {className: "cell-run"});
        if (record == null) return td;
        const score = recordScore(record);
        const head = element("div", {className: "run-score"});
        if (score != null) head.textContent = formatScore(score);
        else head.append(this._noScoreBadge(record));
        td.append(head, this._longCell("div", "cell-answer", record.answer ?? ""), this._longCell("div", "cell-reason", record.judgeReason ?? ""));
        if (score == null && record.error != null && !recordNotScored(record)) td.append(element("div", {className: "item-error", text: record.error}));
        return td;
    }

    /** "Failed" for an item whose generation or judge failed; "not scored" for one the reference judge cannot score. */
    private _noScoreBadge(record: EvalRunRecord): HTMLElement {
        if (!recordNotScored(record)) return element("span", {className: "failed-badge", text: this._t("failedMark")});
        const badge = element("span", {className: "not-scored-badge", text: this._t("notScored")});
        badge.title = this._t("notScoredTitle");
        return badge;
    }

    /** A cell whose long text (a whole standard answer, an essay) is folded to its start, with the rest on request. */
    private _longCell<K extends "td" | "div">(tag: K, className: string, text: string): HTMLElementTagNameMap[K] {
        const cell = element(tag, {className: className});
        if (text.length <= longCellChars) {
            cell.textContent = text;
            return cell;
        }
        const details = element("details", {className: "long-text"});
        const summary = element("summary", {text: `${text.slice(0, foldedChars)}…`});
        summary.title = this._t("showAll", text.length);
        details.append(summary, element("div", {className: "long-text-full", text}));
        details.addEventListener("toggle", () => { summary.textContent = details.open ? text.slice(0, foldedChars) : `${text.slice(0, foldedChars)}…`; });
        cell.append(details);
        return cell;
    }

    private _table(headers: string[]): {table: HTMLTableElement, body: HTMLTableSectionElement} {
        const table = element("table");
        const head = element("thead");
        const tr = element("tr");
        for (const header of headers) tr.append(element("th", {text: header}));
        head.append(tr);
        const body = element("tbody");
        table.append(head, body);
        return {table, body};
    }

    private _row(body: HTMLTableSectionElement, cells: string[], className: string): HTMLTableRowElement {
        const tr = element("tr", {className: className});
        for (const cell of cells) tr.append(element("td", {text: cell}));
        body.append(tr);
        return tr;
    }
}

/** One row per item key across runs (the latest record of each run), in eval-set order. */
function buildRows(records: EvalRunRecord[][]): ItemRow[] {
    const perRun = records.map((runRecords) => new Map(latestRecordPerItem(runRecords).records.map((record) => [record.itemKey, record])));
    const all = latestRecordPerItem(records.flatMap((runRecords) => latestRecordPerItem(runRecords).records)).records;
    // latestRecordPerItem keeps the last run's record per key; any record gives the question, answer key and class
    return all.map((first) => {
        const runs = perRun.map((byKey) => byKey.get(first.itemKey) ?? null);
        const reportClass = reportClassOf(first);
        const texts = [first.question, first.stdAnswer, reportClass.className,
            ...runs.flatMap((record) => record == null ? [] : [record.answer ?? "", record.judgeReason ?? "", record.error ?? ""])];
        return {
            itemKey: first.itemKey, index: first.index, classKey: reportClass.key, className: reportClass.className,
            question: first.question, stdAnswer: first.stdAnswer, runs, searchText: normalizeForSearch(texts.join("\n"))
        };
    });
}
