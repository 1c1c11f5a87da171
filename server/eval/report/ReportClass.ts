import {evalClasses, matchEvalClass, normalizeClassName, otherEvalClasses, type EvalClass} from "../evalClasses";
import type {EvalRunRecord} from "./EvalRunRecord";

/** The class a report groups an item under. */
export type ReportClass = {
    /** The BELLE class, or the class name normalised for a class that is not BELLE's, so its spellings group. */
    key: string,
    /** For display: the BELLE class, or the unknown class as the eval set first writes it. */
    className: string,
    evalClass: EvalClass | null,
    /** One of the classes BELLE leaves out of `score_w/o_others` (math, code). */
    isOther: boolean
};

export function reportClassOf(record: EvalRunRecord): ReportClass {
    // The runner's evalClass first; matching again also covers a record written before a class was known
    const evalClass = (record.evalClass != null ? matchEvalClass(record.evalClass) : null) ?? matchEvalClass(record.className);
    return {
        key: evalClass ?? normalizeClassName(record.className),
        className: evalClass ?? record.className.trim(),
        evalClass,
        isOther: evalClass != null && otherEvalClasses.includes(evalClass)
    };
}

/** BELLE's classes in BELLE's order, then the others by name: the same row order in every report. */
export function compareReportClasses(left: ReportClass, right: ReportClass): number {
    const leftOrder = left.evalClass != null ? evalClasses.indexOf(left.evalClass) : evalClasses.length;
    const rightOrder = right.evalClass != null ? evalClasses.indexOf(right.evalClass) : evalClasses.length;
    if (leftOrder !== rightOrder) return leftOrder - rightOrder;
    return left.key < right.key ? -1 : left.key > right.key ? 1 : 0;
}
