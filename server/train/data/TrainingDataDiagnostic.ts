/** Why a record of a training file was skipped, or why the file could not be read as a whole. */
export const trainingDataDiagnosticCodes = [
    "invalid_json",
    "invalid_encoding",
    "not_an_object",
    "unknown_format",
    "mixed_format",
    "missing_field",
    "wrong_type",
    "empty_instruction",
    "empty_output",
    "empty_conversation",
    "empty_turn",
    "unknown_role",
    "not_alternating",
    "no_final_answer",
    "array_too_large"
] as const;
export type TrainingDataDiagnosticCode = (typeof trainingDataDiagnosticCodes)[number];

/**
 * One problem in a training file. Every one drops the record it is about: a trainer given the file as it is would
 * crash on it or learn from a broken example. Lines and columns are 1-based, columns in UTF-16 code units (as
 * VS Code counts them); a byte-order mark is not counted.
 */
export type TrainingDataDiagnostic = {
    filePath: string,
    line: number,
    column: number,
    code: TrainingDataDiagnosticCode,
    /** What is wrong and what to do about it, in English. */
    message: string,
    /** The record's field the problem is about, as a path such as `conversations[2].from`; null for the record or the file. */
    field: string | null
};

/** `path:line:column: message`, the form editors and terminals turn into links. */
export function formatTrainingDataDiagnostic(diagnostic: TrainingDataDiagnostic): string {
    return `${diagnostic.filePath}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.message}`;
}
