import {matchEvalClass} from "../../server/eval/evalClasses";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";

/** A run record for report tests: a null score is a judge failure, as the runner writes it. */
export function evalRunRecord(index: number, className: string, score: number | null, fields: Partial<EvalRunRecord> = {}): EvalRunRecord {
    return {
        itemKey: `${index}:${String(index).padStart(12, "0")}`, index, question: `问题 ${index}`, stdAnswer: "", className,
        evalClass: matchEvalClass(className), answer: `回答 ${index}`, score, judgeReason: score != null ? "理由" : null,
        judgeRaw: null, error: score == null ? "The judge gave no score." : null, model: "belle-7b", judge: "gpt-4",
        finishedAt: "2024-05-01T00:00:00.000Z", ...fields
    };
}
