import type {EvalItem} from "../EvalItem";
import {findJudgePrompt, shippedJudgePrompts, type JudgePromptSet} from "../JudgePromptSet";
import type {EvalRunRecord} from "../report/EvalRunRecord";
import {annotationRatesAnswer, readEvalAnnotation, type EvalAnnotation} from "./EvalAnnotation";
import type {NearDuplicate} from "./findNearDuplicates";

/**
 * Problems of valid items that only a curator can settle, on top of the parser's: a class judged against a
 * standard answer with none given, a question nearly the same as another's, and an answer the judge and the person
 * who rated it disagree on. Each names its item and what the message needs, as data (the extension words it).
 */
export type ItemProblem =
    | {code: "missing_std_answer", item: EvalItem, className: string}
    | {code: "near_duplicate_question", item: EvalItem, other: EvalItem, similarity: number}
    | {code: "judge_human_disagreement", item: EvalItem, judgeScore: number, humanScore: number | null, verdict: "good" | "bad" | null};

export type ItemProblemCode = ItemProblem["code"];

export type FindItemProblemsOptions = {
    /** The selected run's record of an item, when there is one. */
    recordOf?: (item: EvalItem) => EvalRunRecord | undefined,
    /** Pairs of positions in `items` (from `findNearDuplicates` over their questions). */
    nearDuplicates?: readonly NearDuplicate[],
    judgePrompts?: JudgePromptSet,
    /** An item's annotation; by default the one in the item (a sidecar's comes in through here). */
    annotationOf?: (item: EvalItem) => EvalAnnotation | null
};

/** A judge score and a human score at least this far apart disagree; so do "good" and a score below 0.5. */
export const disagreementGap = 0.5;

export function findItemProblems(items: readonly EvalItem[], options: FindItemProblemsOptions = {}): ItemProblem[] {
    const prompts = options.judgePrompts ?? shippedJudgePrompts;
    const problems: ItemProblem[] = [];
    for (const item of items) {
        // Open-ended classes (brainstorming, generation, rewrite) are judged on criteria alone; the others use the answer
        if (item.stdAnswer.trim() === "" && findJudgePrompt(item.className, prompts).prompt.reference === "always")
            problems.push({code: "missing_std_answer", item, className: item.className});

        const record = options.recordOf?.(item);
        const annotation = options.annotationOf?.(item) ?? readEvalAnnotation(item.fields);
        const judgeScore = record?.score;
        if (record != null && annotation != null && typeof judgeScore === "number" && annotationRatesAnswer(annotation, record.answer)) {
            const humanScore = annotation.humanScore ?? null;
            const verdict = annotation.verdict ?? null;
            const judgeGood = judgeScore >= 0.5;
            const disagrees = (humanScore != null && Math.abs(judgeScore - humanScore) >= disagreementGap)
                || (verdict != null && (verdict === "good") !== judgeGood);
            if (disagrees) problems.push({code: "judge_human_disagreement", item, judgeScore, humanScore, verdict});
        }
    }
    for (const pair of options.nearDuplicates ?? []) {
        const first = items[pair.first];
        const second = items[pair.second];
        // Identical questions are the parser's duplicate_question already
        if (first == null || second == null || sameQuestion(first.question, second.question)) continue;
        problems.push({code: "near_duplicate_question", item: second, other: first, similarity: pair.similarity});
    }
    return problems.sort((left, right) => left.item.range.line - right.item.range.line);
}

// As the parser compares questions for duplicate_question: runs of whitespace count as one space
function sameQuestion(left: string, right: string): boolean {
    return left.replace(/\s+/gu, " ").trim() === right.replace(/\s+/gu, " ").trim();
}
