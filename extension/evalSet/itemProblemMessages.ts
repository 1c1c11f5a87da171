import type {ItemProblem} from "../../server/eval/annotation/findItemProblems";
import type {Localizer} from "./evalSetMessages";

/**
 * What each curator's problem (`findItemProblems`) says, in VS Code's display language. Takes the localizer rather
 * than importing `vscode`, so a unit test can render every message in English and in Chinese.
 */
export function localizeItemProblem(problem: ItemProblem, l10n: Localizer): string {
    switch (problem.code) {
        case "missing_std_answer":
            return l10n.t("The judge scores class \"{0}\" against the standard answer, but \"std_answer\" is empty: write one, or change the class to an open-ended one (brainstorming, generation, rewrite).", problem.className);
        case "near_duplicate_question":
            return l10n.t("Nearly the same question as the item on line {0} ({1}% similar): near-duplicates weight one question twice. Reword or remove one.",
                problem.other.range.line, Math.round(problem.similarity * 100));
        case "judge_human_disagreement": {
            const human = problem.humanScore != null && problem.verdict != null
                ? l10n.t("{0} ({1})", formatScore(problem.humanScore), problem.verdict === "good" ? l10n.t("good") : l10n.t("bad"))
                : problem.humanScore != null ? formatScore(problem.humanScore)
                : problem.verdict === "good" ? l10n.t("good") : l10n.t("bad");
            return l10n.t("The judge and the human rating disagree on this answer: judge {0}, human {1}. Check the answer, the standard answer and the judge's reason.",
                formatScore(problem.judgeScore), human);
        }
    }
}

function formatScore(score: number): string {
    return String(Math.round(score * 100) / 100);
}
