/**
 * Where something is in a file: 1-based lines and columns, columns in UTF-16 code units (VS Code's
 * `Position.character + 1`), the end exclusive. A byte-order mark is not counted, as editors do not show it.
 */
export type SourceRange = {line: number, column: number, endLine: number, endColumn: number};

export type EvalSetDiagnosticCode =
    | "invalid_json"
    | "invalid_encoding"
    | "not_an_object"
    | "missing_field"
    | "wrong_type"
    | "empty_question"
    | "unknown_class"
    | "duplicate_question"
    | "empty_eval_set"
    | "too_many_diagnostics";

/**
 * One problem in an eval set, shaped so the extension can map it to a `vscode.Diagnostic` and the CLI can print it
 * with `formatEvalSetDiagnostic`. Errors drop the item they are about; warnings keep it.
 */
export type EvalSetDiagnostic = SourceRange & {
    filePath: string,
    severity: "error" | "warning",
    code: EvalSetDiagnosticCode,
    /** What is wrong and what to do about it. */
    message: string,
    /** 0-based position of the item among all items in the file, broken ones included; null for the whole file. */
    itemIndex: number | null,
    /** The item's field the problem is about, if any. */
    field: string | null
};

/** `path:line:column: severity: message`, the form editors and terminals turn into links. */
export function formatEvalSetDiagnostic(diagnostic: EvalSetDiagnostic): string {
    return `${diagnostic.filePath}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}: ${diagnostic.message}`;
}
