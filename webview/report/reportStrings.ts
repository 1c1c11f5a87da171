// The report webview's UI text: key → English. The extension translates each with `vscode.l10n.t` (the English is
// the l10n key; l10n/bundle.l10n.zh-cn.json holds the Chinese) and sends the result in `report/show`.
// `{0}`, `{1}` are filled in by the webview.

export const reportStrings = {
    reportTitle: "BELLE Evaluation Report",
    comparisonTitle: "BELLE Evaluation Comparison",
    model: "Model",
    judge: "Judge",
    runLabel: "Run {0}",
    baseline: "Baseline",
    candidate: "Candidate",
    metric: "Metric",
    overall: "Overall (mean of class means)",
    withoutOthers: "Without math and code",
    itemMean: "Item mean",
    ciLevel: "{0}% CI",
    scoredItems: "Scored items",
    byClass: "Scores by class",
    className: "Class",
    itemCount: "Items",
    scoredCount: "Scored",
    failedCount: "Failed",
    mean: "Mean",
    delta: "Delta",
    winTieLoss: "W/T/L",
    pValue: "p-value",
    itemsHeading: "Items",
    allClasses: "All classes",
    searchPlaceholder: "Search question, answer or reason",
    shownCount: "{0} of {1} items",
    noItems: "No items match.",
    itemPages: "Item pages",
    previousPage: "Previous",
    nextPage: "Next",
    pageRange: "Rows {0}–{1} of {2}",
    question: "Question",
    stdAnswer: "Standard answer",
    answer: "Model answer",
    score: "Score",
    judgeReason: "Judge's reason",
    failedMark: "Failed",
    notScored: "not scored",
    warnings: "Warnings",
    exportMarkdown: "Export Markdown",
    exportCsv: "Export CSV",
    exportJson: "Export JSON",
    exported: "Saved {0}",
    exportFailed: "Export failed: {0}",
    waiting: "Loading the report…"
} as const;

export type ReportStringKey = keyof typeof reportStrings;
export type ReportStrings = Record<ReportStringKey, string>;
