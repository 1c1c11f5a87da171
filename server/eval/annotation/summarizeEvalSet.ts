import type {EvalItem} from "../EvalItem";
import {recordScore, type EvalRunRecord} from "../report/EvalRunRecord";
import {difficulties, readEvalAnnotation, type Difficulty, type EvalAnnotation} from "./EvalAnnotation";

/** The items of one class, as the file writes the class, with the selected run's mean score. */
export type EvalSetClassGroup = {
    /** The class as the file writes it: "Open QA" and "open qa" are two groups. */
    className: string,
    /** Whether the class is one of BELLE's (read leniently, as the judge reads it). */
    known: boolean,
    /** In file order. */
    items: EvalItem[],
    /** The items the run scored. Failed items are left out of the mean, never counted as 0, as in the report. */
    scoredCount: number,
    /** The mean judge score of the scored items; null with no run, or when the run scored none of them. */
    meanScore: number | null
};

/** The items marked with one difficulty; `difficulty` null: those with none. */
export type EvalSetDifficultyGroup = {difficulty: Difficulty | null, items: EvalItem[]};

export type EvalSetSummary = {
    itemCount: number,
    /** In the order each class first appears in the file. */
    classes: EvalSetClassGroup[],
    /** Always four groups: easy, medium, hard, then not marked. */
    difficulties: EvalSetDifficultyGroup[],
    /** Items with no annotation at all (no human score, verdict, note or difficulty), in file order. */
    unannotated: EvalItem[]
};

/**
 * Groups an eval set's items by class, difficulty and whether they are annotated, in one pass. `recordOf` finds an
 * item's record in the selected run; null (or left out) when the eval set has no run, and then there are no means.
 */
export function summarizeEvalSet(
    items: readonly EvalItem[],
    recordOf: ((item: EvalItem) => EvalRunRecord | undefined) | null = null,
    annotationOf: (item: EvalItem) => EvalAnnotation | null = (item) => readEvalAnnotation(item.fields)
): EvalSetSummary {
    const classes = new Map<string, EvalSetClassGroup & {scoreSum: number}>();
    const byDifficulty = new Map<Difficulty | null, EvalItem[]>([...difficulties, null].map((difficulty) => [difficulty, []]));
    const unannotated: EvalItem[] = [];
    for (const item of items) {
        let group = classes.get(item.className);
        if (group == null) {
            group = {className: item.className, known: item.evalClass != null, items: [], scoredCount: 0, meanScore: null, scoreSum: 0};
            classes.set(item.className, group);
        }
        group.items.push(item);
        const record = recordOf?.(item);
        const score = record == null ? null : recordScore(record);
        if (score != null) {
            group.scoredCount++;
            group.scoreSum += score;
        }
        const annotation = annotationOf(item);
        if (annotation == null) unannotated.push(item);
        byDifficulty.get(annotation?.difficulty ?? null)!.push(item);
    }
    return {
        itemCount: items.length,
        classes: [...classes.values()].map(({scoreSum, ...group}) => ({...group, meanScore: group.scoredCount > 0 ? scoreSum / group.scoredCount : null})),
        difficulties: [...byDifficulty].map(([difficulty, grouped]) => ({difficulty, items: grouped})),
        unannotated
    };
}
