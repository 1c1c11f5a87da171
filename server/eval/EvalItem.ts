import type {EvalClass} from "./evalClasses";
import type {SourceRange} from "./EvalSetDiagnostic";

/** One valid item of an eval set: BELLE's `{question, std_answer, class}` and where it is in the file. */
export type EvalItem = {
    /** 0-based position among all items in the file, broken ones included, so it stays put when one is fixed. */
    index: number,
    question: string,
    /** Empty for open-ended items, which the judge scores on its criteria alone. */
    stdAnswer: string,
    /** The class as the file writes it. */
    className: string,
    /** The known class `className` matches leniently, or null for a class that is not BELLE's. */
    evalClass: EvalClass | null,
    /** Every field of the item as read, extra ones (such as `annotation`) included and untouched. */
    fields: Readonly<Record<string, unknown>>,
    /** The whole item, for a CodeLens or a decoration. */
    range: SourceRange
};
