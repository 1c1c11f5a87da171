import type {JsonRegion, JsonSyntaxProblem} from "./JsonScanner";

/**
 * Errors of the evaluation building blocks. Problems inside an eval set are not thrown: they come back as
 * `EvalSetDiagnostic` values so the valid items still run; these are for what stops a step as a whole.
 */
export class EvalError extends Error {
    public constructor(message: string, public readonly code: string, options?: ErrorOptions) {
        super(message, options);
        this.name = new.target.name;
    }
}

/**
 * Thrown by `JsonScanner`; `offset` is a UTF-16 index into the scanned text, turned into line/column by the caller.
 * `problem` says the same as the (English) message as data, for a caller that shows it in another language.
 */
export class JsonSyntaxError extends EvalError {
    public constructor(
        message: string,
        public readonly offset: number,
        public readonly problem: JsonSyntaxProblem,
        public readonly region: JsonRegion
    ) {
        super(message, "invalid_json");
    }
}

/** The eval-set file itself could not be opened or read (missing, a folder, no permission). */
export class EvalSetReadError extends EvalError {
    public constructor(public readonly filePath: string, cause: unknown) {
        super(`Cannot read the eval set ${filePath}: ${describeFileError(cause)}`, "eval_set_unreadable", {cause});
    }
}

/**
 * A judge-prompt override is unusable. `field` is a path such as `classes.math.prompt`; line and column are
 * 1-based and present when the override came from a file's text.
 */
export class InvalidJudgePromptsError extends EvalError {
    public constructor(
        message: string,
        public readonly field: string | null,
        public readonly filePath: string | null = null,
        public readonly line: number | null = null,
        public readonly column: number | null = null
    ) {
        super(
            (filePath != null ? `${filePath}${line != null ? `:${line}:${column ?? 1}` : ""}: ` : "") + message,
            "invalid_judge_prompts"
        );
    }
}

function describeFileError(cause: unknown): string {
    const code = typeof cause === "object" && cause != null && "code" in cause ? String(cause.code) : null;
    switch (code) {
        case "ENOENT": return "the file does not exist. Check the path.";
        case "EISDIR": return "it is a folder. Pick the eval-set file inside it (BELLE's is eval/eval_set.json).";
        case "EACCES":
        case "EPERM": return "permission denied. Check the file's permissions.";
        default: return cause instanceof Error ? cause.message : String(cause);
    }
}
