import {bootstrapStratifiedMeans, resolveBootstrapOptions, type BootstrapOptions, type ConfidenceInterval, type ResolvedBootstrapOptions} from "./bootstrapStratifiedMeans";
import {computeEvalReport, groupByClass, macroAndItemMeanStatistics, summarizeEvalRun, type EvalReport, type EvalRunSummary} from "./computeEvalReport";
import {EvalReportError} from "./EvalReportError";
import {recordScore, type EvalRun, type EvalRunRecord} from "./EvalRunRecord";
import {latestRecordPerItem} from "./latestRecordPerItem";
import {reportClassOf, type ReportClass} from "./ReportClass";
import {roundDifference, wilcoxonSignedRank, type WilcoxonSignedRankResult} from "./wilcoxonSignedRank";

export type CompareEvalRunsOptions = BootstrapOptions & {
    /**
     * Two scores of an item closer than this are a tie in the win/tie/loss counts (0.05 calls 0.8 against 0.85 a
     * tie). 0, the default, makes only equal scores ties. The significance test and the deltas ignore it.
     */
    tieTolerance?: number
};

export type WinTieLoss = {wins: number, ties: number, losses: number};

/** Candidate against baseline over the items both scored, so a failure in either run cannot tilt the delta. */
export type DeltaEstimate = {
    baselineMean: number | null,
    candidateMean: number | null,
    /** candidate − baseline: positive when the candidate scores higher. */
    delta: number | null,
    /** Percentile-bootstrap interval of the delta, resampling items as pairs within their class. */
    ci: ConfidenceInterval | null,
    pairedCount: number
};

/** A delta of BELLE's macro average (mean of class means) over the classes that have paired items. */
export type MacroDelta = DeltaEstimate & {classes: string[]};

export type ClassDelta = ReportClass & DeltaEstimate & {
    outcomes: WinTieLoss,
    /** The class's own test; not corrected for the number of classes tested, so read a lone p < 0.05 with care. */
    test: WilcoxonSignedRankResult
};

export type UnpairedReason = "onlyInBaseline" | "onlyInCandidate" | "failedInBaseline" | "failedInCandidate" | "failedInBoth";

/** An item left out of the pairing, and why: absent from one run, or not scored in one or both. */
export type UnpairedItem = {itemKey: string, index: number, className: string, question: string, reason: UnpairedReason};

export type EvalRunComparison = {
    baseline: EvalRunSummary,
    candidate: EvalRunSummary,
    /** The candidate's position among the runs compared (the baseline is 0). */
    candidateIndex: number,
    overall: MacroDelta,
    withoutOthers: MacroDelta,
    itemMean: DeltaEstimate,
    /** Per paired item: a win when the candidate scores higher by more than the tie tolerance. */
    outcomes: WinTieLoss,
    /** Wilcoxon signed-rank test over all paired items. */
    test: WilcoxonSignedRankResult,
    classes: ClassDelta[],
    unpairedItems: UnpairedItem[]
};

export type EvalComparison = {
    kind: "evalComparison",
    /** Each run's own report, the baseline first, with the same bootstrap settings. */
    reports: EvalReport[],
    /** Every run after the first against the first. */
    comparisons: EvalRunComparison[],
    /** What makes the comparison shaky: different eval sets or judges, no items in common. */
    warnings: string[],
    tieTolerance: number,
    significanceTest: "wilcoxonSignedRank",
    bootstrap: ResolvedBootstrapOptions & {stratifiedBy: "class", paired: true}
};

type Pair = {record: EvalRunRecord, baselineScore: number, candidateScore: number, difference: number};

/**
 * Runs of the same eval set against the first (the baseline): per-class and BELLE-score deltas with paired bootstrap
 * intervals, per-item win/tie/loss, and a paired significance test. Items pair by `itemKey`; items missing from a
 * run or failed in one are listed in `unpairedItems`, not dropped unseen.
 *
 * The test is Wilcoxon's signed-rank test (normal approximation, tie-corrected) rather than a sign-flip permutation
 * test. It is deterministic and closed-form, so its p-value carries no Monte Carlo error and has no floor at
 * 1/(resamples + 1) — two clearly different models over 1,000 items get p ≈ 1e-20, not "< 0.0005" — and it is cheap
 * enough to run for every class of every comparison. It weighs each difference by its rank, which keeps most of what
 * a 0–1 judge score says while no single wild verdict can dominate it as it can a mean. Its price is that it tests
 * whether the differences lean one way (their pseudo-median), not the mean delta itself; the bootstrap interval of
 * the mean delta beside it answers that. Judge scores tie a lot (equal scores, equal gaps), which the tie-corrected
 * variance accounts for, and there are hundreds of pairs in a BELLE run, where the normal approximation is sound.
 */
export function compareEvalRuns(runs: readonly EvalRun[], options: CompareEvalRunsOptions = {}): EvalComparison {
    if (runs.length < 2) throw new EvalReportError(`Comparing needs at least two runs, got ${runs.length}.`, "too_few_runs");
    const {tieTolerance = 0, ...bootstrapInput} = options;
    if (!(tieTolerance >= 0 && Number.isFinite(tieTolerance)))
        throw new EvalReportError(`tieTolerance must be a number of 0 or more, got ${tieTolerance}.`, "invalid_report_option");
    const bootstrapOptions = resolveBootstrapOptions(bootstrapInput);

    const [baselineRun, ...candidateRuns] = runs as [EvalRun, ...EvalRun[]];
    const baselineRecords = latestRecordPerItem(baselineRun.records).records;
    const comparisons = candidateRuns.map((candidateRun, position) =>
        compareTwo(baselineRun, baselineRecords, candidateRun, position + 1, tieTolerance, bootstrapOptions));

    return {
        kind: "evalComparison",
        reports: runs.map((run) => computeEvalReport(run, bootstrapOptions)),
        comparisons,
        warnings: comparisons.flatMap(warningsOf),
        tieTolerance,
        significanceTest: "wilcoxonSignedRank",
        bootstrap: {...bootstrapOptions, stratifiedBy: "class", paired: true}
    };
}

function compareTwo(
    baselineRun: EvalRun, baselineRecords: readonly EvalRunRecord[], candidateRun: EvalRun, candidateIndex: number,
    tieTolerance: number, bootstrapOptions: ResolvedBootstrapOptions
): EvalRunComparison {
    const candidateByKey = new Map(latestRecordPerItem(candidateRun.records).records.map((record) => [record.itemKey, record]));
    const baselineKeys = new Set(baselineRecords.map((record) => record.itemKey));
    const pairs: Pair[] = [];
    const unpairedItems: UnpairedItem[] = [];
    const unpaired = (record: EvalRunRecord, reason: UnpairedReason) => unpairedItems.push({
        itemKey: record.itemKey, index: record.index, className: reportClassOf(record).className, question: record.question, reason
    });

    for (const record of baselineRecords) {
        const candidateRecord = candidateByKey.get(record.itemKey);
        if (candidateRecord == null) {
            unpaired(record, "onlyInBaseline");
            continue;
        }
        const baselineScore = recordScore(record);
        const candidateScore = recordScore(candidateRecord);
        if (baselineScore == null || candidateScore == null)
            unpaired(record, baselineScore == null && candidateScore == null ? "failedInBoth" : baselineScore == null ? "failedInBaseline" : "failedInCandidate");
        else
            pairs.push({record, baselineScore, candidateScore, difference: roundDifference(candidateScore - baselineScore)});
    }
    for (const record of candidateByKey.values())
        if (!baselineKeys.has(record.itemKey)) unpaired(record, "onlyInCandidate");
    unpairedItems.sort((left, right) => left.index - right.index || (left.itemKey < right.itemKey ? -1 : left.itemKey > right.itemKey ? 1 : 0));

    // Pairs are in eval-set order (the baseline's records are sorted), so the seeded resamples do not depend on
    // the order either run finished its items in
    const groups = groupByClass(pairs, (pair) => pair.record);
    const classes = groups.map((group) => group.reportClass);
    const counts = groups.map((group) => group.items.length);
    const statistics = macroAndItemMeanStatistics(classes, counts);
    const intervals = bootstrapStratifiedMeans(groups.map((group) => group.items.map((pair) => pair.difference)), statistics, bootstrapOptions);

    const classMeans = (score: (pair: Pair) => number) => groups.map((group) => group.items.reduce((sum, pair) => sum + score(pair), 0) / group.items.length);
    const baselineMeans = classMeans((pair) => pair.baselineScore);
    const candidateMeans = classMeans((pair) => pair.candidateScore);
    const deltaMeans = classMeans((pair) => pair.difference);

    const deltaOf = (name: "overall" | "withoutOthers" | "itemMean", covers: (reportClass: ReportClass) => boolean): DeltaEstimate => ({
        baselineMean: statistics[name](baselineMeans),
        candidateMean: statistics[name](candidateMeans),
        delta: statistics[name](deltaMeans),
        ci: intervals.statistics[name],
        pairedCount: groups.filter((group) => covers(group.reportClass)).reduce((sum, group) => sum + group.items.length, 0)
    });
    const classesCovered = (covers: (reportClass: ReportClass) => boolean) => classes.filter(covers).map((reportClass) => reportClass.key);

    return {
        baseline: summarizeEvalRun(baselineRun),
        candidate: summarizeEvalRun(candidateRun),
        candidateIndex,
        overall: {...deltaOf("overall", () => true), classes: classesCovered(() => true)},
        withoutOthers: {...deltaOf("withoutOthers", (reportClass) => !reportClass.isOther), classes: classesCovered((reportClass) => !reportClass.isOther)},
        itemMean: deltaOf("itemMean", () => true),
        outcomes: countOutcomes(pairs, tieTolerance),
        test: wilcoxonSignedRank(pairs.map((pair) => pair.difference)),
        classes: groups.map((group, index) => ({
            ...group.reportClass,
            baselineMean: baselineMeans[index]!,
            candidateMean: candidateMeans[index]!,
            delta: deltaMeans[index]!,
            ci: intervals.strata[index] ?? null,
            pairedCount: group.items.length,
            outcomes: countOutcomes(group.items, tieTolerance),
            test: wilcoxonSignedRank(group.items.map((pair) => pair.difference))
        })),
        unpairedItems
    };
}

function countOutcomes(pairs: readonly Pair[], tieTolerance: number): WinTieLoss {
    // Differences are rounded to 1e-9, so a tolerance of 0.1 counts 0.9 against 0.8 as the tie it is meant to be
    const tolerance = roundDifference(tieTolerance);
    const outcomes: WinTieLoss = {wins: 0, ties: 0, losses: 0};
    for (const {difference} of pairs) {
        if (difference > tolerance) outcomes.wins++;
        else if (difference < -tolerance) outcomes.losses++;
        else outcomes.ties++;
    }
    return outcomes;
}

function warningsOf(comparison: EvalRunComparison): string[] {
    const {baseline, candidate} = comparison;
    const name = (summary: EvalRunSummary) => summary.runId != null ? `${summary.model} (${summary.runId})` : summary.model;
    const warnings: string[] = [];
    if (baseline.evalSetPath != null && candidate.evalSetPath != null && baseline.evalSetPath !== candidate.evalSetPath)
        warnings.push(`${name(candidate)} ran ${candidate.evalSetPath}, the baseline ${baseline.evalSetPath}: items pair only where their keys match.`);
    if (baseline.judge !== candidate.judge)
        warnings.push(`${name(candidate)} was judged by ${candidate.judge}, the baseline by ${baseline.judge}: judges score on different scales, so the delta mixes model and judge.`);
    if (comparison.itemMean.pairedCount === 0)
        warnings.push(`${name(candidate)} and the baseline have no item scored in both, so there is nothing to compare.`);
    return warnings;
}
