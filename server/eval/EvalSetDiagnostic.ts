import type {JsonRegion, JsonSyntaxProblem} from "./JsonScanner";

/**
 * Where something is in a file: 1-based lines and columns, columns in UTF-16 code units (VS Code's
 * `Position.character + 1`), the end exclusive. A byte-order mark is not counted, as editors do not show it.
 */
export type SourceRange = {line: number, column: number, endLine: number, endColumn: number};

export const evalSetDiagnosticCodes = [
    "invalid_json",
    "invalid_encoding",
    "not_an_object",
    "missing_field",
    "wrong_type",
    "empty_question",
    "unknown_class",
    "duplicate_question",
    "empty_eval_set",
    "too_many_diagnostics"
] as const;
export type EvalSetDiagnosticCode = (typeof evalSetDiagnosticCodes)[number];

/** The JSON type of a value as `args` name it; `foundValue` carries the value itself for a number or a boolean. */
export type JsonTypeName = "null" | "array" | "object" | "number" | "boolean" | "string";

/**
 * What each code's `args` hold: the parts of `message` that vary, as data, so the extension can say the same thing
 * in another language. `found` is the character a syntax error stopped at, "" at the end of the text.
 */
export type EvalSetDiagnosticArgs = {
    invalid_json:
        | JsonSyntaxArgs
        /** JSON.parse rejected a line the scanner accepted; `detail` is JSON.parse's message. */
        | {reason: "not_json", detail: string}
        | {reason: "array_not_started" | "unexpected_after_item" | "text_after_array", found: string}
        | {reason: "array_not_closed" | "trailing_comma" | "missing_comma"},
    invalid_encoding: {reason: "utf16" | "not_utf8_file" | "not_utf8_line"},
    not_an_object: {foundType: JsonTypeName, foundValue: string},
    /** `otherFields`: the item's fields that are not BELLE's, each in double quotes, joined by ", ". */
    missing_field: {field: string, otherFields: string, otherFieldCount: number},
    wrong_type: {field: string, foundType: JsonTypeName, foundValue: string},
    empty_question: {field: string},
    /** `knownClasses`: BELLE's classes joined by ", ". */
    unknown_class: {className: string, knownClasses: string},
    duplicate_question: {firstLine: number},
    empty_eval_set: Record<string, never>,
    too_many_diagnostics: {count: number, errors: number, warnings: number}
};

/**
 * The JSON scanner's `JsonSyntaxProblem` as `invalid_json` args: `reason` is "syntax" and the scanner's own reason
 * is `syntax`, beside the problem's parts, the region it was met in and, for JSONL, a hint that the file looks
 * pretty-printed.
 */
export type JsonSyntaxArgs = SyntaxArgsOf<JsonSyntaxProblem>;
type SyntaxArgsOf<Problem> = Problem extends {reason: infer Reason}
    ? {reason: "syntax", syntax: Reason, region: JsonRegion, hint: "" | "one_item_per_line"} & Omit<Problem, "reason">
    : never;

/**
 * One problem in an eval set, shaped so the extension can map it to a `vscode.Diagnostic` and the CLI can print it
 * with `formatEvalSetDiagnostic`. Errors drop the item they are about; warnings keep it.
 */
export type EvalSetDiagnostic = SourceRange & {
    filePath: string,
    severity: "error" | "warning",
    code: EvalSetDiagnosticCode,
    /** What is wrong and what to do about it, in English. */
    message: string,
    /** The values `message` is built from, named as `EvalSetDiagnosticArgs` lists for `code`. */
    args: Record<string, string | number>,
    /** 0-based position of the item among all items in the file, broken ones included; null for the whole file. */
    itemIndex: number | null,
    /** The item's field the problem is about, if any. */
    field: string | null
};

/** `path:line:column: severity: message`, the form editors and terminals turn into links. */
export function formatEvalSetDiagnostic(diagnostic: EvalSetDiagnostic): string {
    return `${diagnostic.filePath}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}: ${diagnostic.message}`;
}
