import {EvalError} from "../evalErrors";

/** A report cannot be computed as asked: an option out of range, or a comparison of fewer than two runs. */
export class EvalReportError extends EvalError {
    public constructor(message: string, code: "invalid_report_option" | "too_few_runs") {
        super(message, code);
    }
}
