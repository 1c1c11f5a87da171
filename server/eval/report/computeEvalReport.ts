import {bootstrapStratifiedMeans, resolveBootstrapOptions, type BootstrapOptions, type ConfidenceInterval, type ResolvedBootstrapOptions} from "./bootstrapStratifiedMeans";
import {describeFailure, recordNotScored, recordScore, type EvalRun, type EvalRunRecord} from "./EvalRunRecord";
import type {JudgeHumanAgreement} from "./JudgeHumanAgreement";
import {latestRecordPerItem} from "./latestRecordPerItem";
import {compareReportClasses, reportClassOf, type ReportClass} from "./ReportClass";

/** Which run a report or comparison is about. */
export type EvalRunSummary = {
    /** Null for a run file without a header. */
    runId: string | null,
    evalSetPath: string | null,
    model: string,
    judge: string,
    createdAt: string | null
};

export type ScoreEstimate = {
    /** Null when none of the items it covers was scored. */
    mean: number | null,
    /** Percentile-bootstrap interval; null when there is no mean or a single item behind it. */
    ci: ConfidenceInterval | null,
    /** The scored items the mean is over. Failed items are left out of every mean, never counted as 0. */
    scoredCount: number
};

/** A macro average: the mean of class means, every class weighing the same, as BELLE's papers score. */
export type MacroScore = ScoreEstimate & {
    /** Keys of the classes averaged. */
    classes: string[],
    /**
     * Classes this score covers whose items all failed, so they are missing from the average. When this is not
     * empty the score averages different classes than a complete run does and does not compare with one.
     */
    classesWithoutScore: string[]
};

export type ClassScore = ReportClass & ScoreEstimate & {
    itemCount: number,
    /** Items with no usable score because generation or the judge failed. */
    failedCount: number,
    /** Items answered but not scored by design (`recordNotScored`: the reference judge and no standard answer). */
    notScoredCount: number
};

export type FailedItem = {itemKey: string, index: number, className: string, error: string};

export type EvalReport = {
    kind: "evalReport",
    run: EvalRunSummary,
    itemCount: number,
    scoredCount: number,
    failedCount: number,
    notScoredCount: number,
    /** Records replaced by a later record of the same item in the run file; the latest counts. */
    supersededRecordCount: number,
    /**
     * BELLE's score as its papers compute it: the macro average over BELLE's 9 categories, where math and code are
     * one category, "others" (its score: the mean over its items). `classes` names the categories averaged.
     */
    overall: MacroScore,
    /** BELLE's `score_w/o_others`: the macro average over the categories other than "others" (math and code). */
    withoutOthers: MacroScore,
    /** BELLE's "others" category: math and code items pooled. `classes` names the classes in it that have scores. */
    others: MacroScore,
    /** The mean of the class means with math and code apart (10 classes on BELLE's set): not BELLE's score. */
    classMacro: MacroScore,
    /** The plain mean over all scored items, each item weighing the same. */
    itemMean: ScoreEstimate,
    /** BELLE's classes in BELLE's order, then unknown classes by name. */
    classes: ClassScore[],
    failedItems: FailedItem[],
    bootstrap: ResolvedBootstrapOptions & {stratifiedBy: "class"},
    /**
     * The judge against the people who annotated the eval set (`computeJudgeHumanAgreement`). Added by whoever read
     * the eval set beside the run file; absent when it could not be read or rates none of this run's items.
     */
    agreement?: JudgeHumanAgreement
};

/** A class and its items: the unit both the report and the comparison resample within. */
export type ClassGroup<Item> = {reportClass: ReportClass, items: Item[]};

/**
 * Means and 95% intervals of one run: per class, BELLE's macro score with and without math and code, and the item
 * mean. Failed items (no usable score) are counted and listed, and left out of every mean.
 *
 * All intervals come from one percentile bootstrap stratified by class: each resample redraws every class's items
 * from that class, at its own size. The class sizes are fixed by the eval set's design (BELLE's has 285 open qa and
 * 38 code items), not drawn at random, so a resample that let them vary would add variance no rerun of the eval can
 * have, and would widen the intervals. For the macro scores it matters more: an unstratified resample of a small run
 * can miss a class altogether, which changes what is being averaged.
 */
export function computeEvalReport(run: EvalRun, options: BootstrapOptions = {}): EvalReport {
    const bootstrapOptions = resolveBootstrapOptions(options);
    const {records, supersededCount} = latestRecordPerItem(run.records);

    const groups = groupByClass(records, (record) => record);
    const scoredGroups = groups
        .map((group) => ({reportClass: group.reportClass, scores: group.items.map(recordScore).filter((score) => score != null)}))
        .filter((group) => group.scores.length > 0);
    const strata = scoredGroups.map((group) => group.scores);
    const statistics = macroAndItemMeanStatistics(scoredGroups.map((group) => group.reportClass), strata.map((scores) => scores.length));
    const intervals = bootstrapStratifiedMeans(strata, statistics, bootstrapOptions);
    const observedMeans = strata.map((scores) => scores.reduce((sum, score) => sum + score, 0) / scores.length);

    const classes: ClassScore[] = groups.map((group) => {
        const stratumIndex = scoredGroups.findIndex((scored) => scored.reportClass.key === group.reportClass.key);
        const scoredCount = stratumIndex >= 0 ? strata[stratumIndex]!.length : 0;
        return {
            ...group.reportClass,
            itemCount: group.items.length,
            scoredCount,
            failedCount: group.items.length - scoredCount - group.items.filter(recordNotScored).length,
            notScoredCount: group.items.filter(recordNotScored).length,
            mean: stratumIndex >= 0 ? observedMeans[stratumIndex]! : null,
            ci: stratumIndex >= 0 ? intervals.strata[stratumIndex] ?? null : null
        };
    });
    const macroScore = (name: "overall" | "withoutOthers" | "others" | "classMacro", covers: (reportClass: ReportClass) => boolean,
        keyOf: (reportClass: ReportClass) => string = (reportClass) => reportClass.key): MacroScore => ({
        mean: statistics[name](observedMeans),
        ci: intervals.statistics[name],
        scoredCount: classes.filter(covers).reduce((sum, classScore) => sum + classScore.scoredCount, 0),
        classes: [...new Set(classes.filter((classScore) => covers(classScore) && classScore.scoredCount > 0).map(keyOf))],
        classesWithoutScore: classes.filter((classScore) => covers(classScore) && classScore.scoredCount === 0).map((classScore) => classScore.key)
    });

    const scoredCount = strata.reduce((sum, scores) => sum + scores.length, 0);
    return {
        kind: "evalReport",
        run: summarizeEvalRun(run),
        itemCount: records.length,
        scoredCount,
        failedCount: records.length - scoredCount - records.filter(recordNotScored).length,
        notScoredCount: records.filter(recordNotScored).length,
        supersededRecordCount: supersededCount,
        overall: macroScore("overall", () => true, belleCategoryOf),
        withoutOthers: macroScore("withoutOthers", (reportClass) => !reportClass.isOther),
        others: macroScore("others", (reportClass) => reportClass.isOther),
        classMacro: macroScore("classMacro", () => true),
        itemMean: {mean: statistics.itemMean(observedMeans), ci: intervals.statistics.itemMean, scoredCount},
        classes,
        failedItems: records.filter((record) => recordScore(record) == null && !recordNotScored(record)).map((record) => ({
            itemKey: record.itemKey,
            index: record.index,
            className: reportClassOf(record).className,
            error: describeFailure(record)
        })),
        bootstrap: {...bootstrapOptions, stratifiedBy: "class"}
    };
}

export function summarizeEvalRun(run: EvalRun): EvalRunSummary {
    const first = run.records[0];
    return {
        runId: run.header?.runId ?? null,
        evalSetPath: run.header?.evalSetPath ?? null,
        model: run.header?.model ?? first?.model ?? "",
        judge: run.header?.judge ?? first?.judge ?? "",
        createdAt: run.header?.createdAt ?? null
    };
}

/** Items grouped by class, classes in report order, items in the order given. */
export function groupByClass<Item>(items: readonly Item[], recordOf: (item: Item) => EvalRunRecord): ClassGroup<Item>[] {
    const groups = new Map<string, ClassGroup<Item>>();
    for (const item of items) {
        const reportClass = reportClassOf(recordOf(item));
        const group = groups.get(reportClass.key);
        if (group != null) group.items.push(item);
        else groups.set(reportClass.key, {reportClass, items: [item]});
    }
    return [...groups.values()].sort((left, right) => compareReportClasses(left.reportClass, right.reportClass));
}

/** The category BELLE's papers score a class under: "others" for math and code, the class itself otherwise. */
export const othersCategory = "others";

function belleCategoryOf(reportClass: ReportClass): string {
    return reportClass.isOther ? othersCategory : reportClass.key;
}

/**
 * BELLE's macro averages, the "others" category's mean, the plain mean of class means and the item mean, as
 * functions of the class means (in the order of `classes`), for the data and for each bootstrap resample alike.
 * A category's mean weighs the means of its classes by their fixed item counts, which is the mean over its items.
 */
export function macroAndItemMeanStatistics(classes: readonly ReportClass[], counts: readonly number[]) {
    /** The mean of category means over the classes `covers` keeps, each class under `categoryOf`. */
    const macro = (covers: (reportClass: ReportClass) => boolean, categoryOf: (reportClass: ReportClass) => string) =>
        (classMeans: readonly number[]): number | null => {
            const categories = new Map<string, {sum: number, count: number}>();
            classes.forEach((reportClass, index) => {
                if (!covers(reportClass)) return;
                const category = categories.get(categoryOf(reportClass)) ?? {sum: 0, count: 0};
                category.sum += counts[index]! * classMeans[index]!;
                category.count += counts[index]!;
                categories.set(categoryOf(reportClass), category);
            });
            const means = [...categories.values()].filter(({count}) => count > 0).map(({sum, count}) => sum / count);
            return means.length > 0 ? means.reduce((sum, mean) => sum + mean, 0) / means.length : null;
        };
    const allInOne = () => "all";
    return {
        overall: macro(() => true, belleCategoryOf),
        withoutOthers: macro((reportClass) => !reportClass.isOther, belleCategoryOf),
        others: macro((reportClass) => reportClass.isOther, allInOne),
        classMacro: macro(() => true, (reportClass) => reportClass.key),
        itemMean: macro(() => true, allInOne)
    };
}
