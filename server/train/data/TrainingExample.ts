/**
 * BELLE's two instruction-data formats: "single-turn" `{"instruction", "input", "output"}` (the human turn is
 * instruction + input) and "multi-turn" `{"id", "conversations": [{"from": "human" | "assistant", "value"}, …]}`.
 */
export type TrainingFormat = "single-turn" | "multi-turn";

/** How the records sit in the file: one per line (BELLE's way, whatever the extension says), or one JSON array. */
export type TrainingFileLayout = "jsonl" | "json-array";

export type TrainingRole = "user" | "assistant";

export type TrainingTurn = {role: TrainingRole, text: string};

/**
 * One valid record of either format, reduced to what training sees: turns alternating user/assistant, starting
 * with the user and ending with the assistant.
 */
export type TrainingExample = {
    /** 1-based line where the record starts. */
    line: number,
    /** The record's `id` as a string (BELLE's are strings; numbers are accepted); absent when it has none. */
    id?: string,
    /** The `id` as the record writes it, a number kept a number, so a converted file keeps it as BELLE's converter does. */
    idValue?: string | number,
    turns: TrainingTurn[],
    /** A single-turn record's two halves of its human turn, which a contamination check looks at apart too. */
    singleTurn?: {instruction: string, input: string}
};
