import {JsonSyntaxError} from "../../eval/evalErrors";
import {JsonScanner, type JsonNode} from "../../eval/JsonScanner";
import type {TrainingDataDiagnostic, TrainingDataDiagnosticCode} from "./TrainingDataDiagnostic";
import type {TrainingExample, TrainingFormat, TrainingRole, TrainingTurn} from "./TrainingExample";

export type TrainingRecordProblem = {kind: "diagnostic", diagnostic: TrainingDataDiagnostic};
export type TrainingRecordResult = {kind: "example", example: TrainingExample} | TrainingRecordProblem;

/** A 1-based line and column. */
export type TextPosition = {line: number, column: number};

/** A path into a record: field names and array indices, as `["conversations", 2, "from"]`. */
export type FieldPath = ReadonlyArray<string | number>;

/** Where a record is, and where one of its values is (worked out only when a diagnostic needs it). */
export type RecordLocation = TextPosition & {
    at(path: FieldPath): TextPosition | null
};

const blankLine = /^\s*$/;
const roles: Readonly<Record<string, TrainingRole>> = {human: "user", assistant: "assistant"};

/**
 * Checks records of a training file one by one and turns the valid ones into `TrainingExample`s. The file's format
 * is the one of the first record that is recognisably single-turn or multi-turn; a record of the other format later
 * is an error, since a trainer reads one format per file. Each broken record gets one diagnostic, about its first
 * problem, and is skipped.
 */
export class TrainingRecordReader {
    private detected: {format: TrainingFormat, line: number} | null = null;

    public constructor(public readonly filePath: string) {}

    /** The file's format, once a record showed it. */
    public get format(): TrainingFormat | null {
        return this.detected?.format ?? null;
    }

    /** One line of a JSONL file; null for a blank line. */
    public readJsonlLine(text: string, lineNumber: number): TrainingRecordResult | null {
        if (lineNumber === 1 && text.startsWith("\ufeff")) text = text.slice(1);
        if (blankLine.test(text)) return null;

        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch (error) {
            return this.jsonlSyntaxError(text, lineNumber, error);
        }

        let root: JsonNode | null | undefined;
        const firstColumn = text.length - text.trimStart().length + 1;
        return this.readValue(value, {
            line: lineNumber,
            column: firstColumn,
            at: (path) => {
                if (root === undefined) {
                    try {
                        root = new JsonScanner(text, {region: "line"}).parseValue();
                    } catch {
                        // JSON.parse accepted the line, so this cannot happen; the record's start is an honest fallback
                        root = null;
                    }
                }
                const node = root == null ? null : nodeAt(root, path);
                return node == null ? null : {line: lineNumber, column: node.start + 1};
            }
        });
    }

    /** A JSONL line whose bytes are not UTF-8: skipped, since its text would be garbled. */
    public readUndecodableLine(lineNumber: number): TrainingRecordProblem {
        return this.problem("invalid_encoding", {line: lineNumber, column: 1}, null,
            "This line is not valid UTF-8, so the record is skipped. Training files are UTF-8; if the file was saved as GBK or GB18030, re-save it as UTF-8.");
    }

    /** A parsed record, from a JSONL line or an element of a JSON array. */
    public readValue(value: unknown, location: RecordLocation): TrainingRecordResult {
        if (!isPlainObject(value))
            return this.problem("not_an_object", location, null,
                `A record must be an object such as {"instruction": "…", "input": "…", "output": "…"} or {"id": "…", "conversations": […]}, not ${describeValue(value)}. This record is skipped.`);

        const format: TrainingFormat | null = Object.hasOwn(value, "conversations") ? "multi-turn"
            : Object.hasOwn(value, "instruction") || Object.hasOwn(value, "output") ? "single-turn"
                : null;
        if (format == null)
            return this.problem("unknown_format", location, null, unknownFormatMessage(value));
        if (this.detected == null)
            this.detected = {format, line: location.line};
        else if (this.detected.format !== format)
            return this.problem("mixed_format", location, null,
                `This record is ${format} but the file is ${this.detected.format} (from line ${this.detected.line}); a trainer reads one format per file. ` +
                "Move it to a file of its own, or convert it with `belle train convert`. This record is skipped.");

        const id = value.id;
        if (id != null && typeof id !== "string" && typeof id !== "number")
            return this.wrongType(location, ["id"], "\"id\" must be a string", id);
        const idText = id == null ? undefined : String(id);
        const result = format === "single-turn" ? this.readSingleTurn(value, location, idText) : this.readMultiTurn(value, location, idText);
        if (result.kind === "example" && id != null) result.example.idValue = id;
        return result;
    }

    private readSingleTurn(record: Record<string, unknown>, location: RecordLocation, id: string | undefined): TrainingRecordResult {
        for (const field of ["instruction", "output"]) {
            if (!Object.hasOwn(record, field))
                return this.problem("missing_field", location, field,
                    `Missing "${field}": a single-turn record is {"instruction", "input", "output"} (the human turn is instruction + input). This record is skipped.`);
        }
        for (const field of ["instruction", "input", "output"]) {
            if (Object.hasOwn(record, field) && typeof record[field] !== "string")
                return this.wrongType(location, [field], `"${field}" must be a string`, record[field]);
        }
        const instruction = record.instruction as string;
        const input = (record.input as string | undefined) ?? "";
        const output = record.output as string;
        // BELLE's converter joins the two halves as they are, with nothing between them
        const humanText = instruction + input;
        if (humanText.trim() === "")
            return this.problem("empty_instruction", location.at(["instruction"]) ?? location, "instruction",
                "\"instruction\" and \"input\" are both empty: there is no question to learn an answer to. This record is skipped.");
        if (output.trim() === "")
            return this.problem("empty_output", location.at(["output"]) ?? location, "output",
                "\"output\" is empty: the model would learn to answer with nothing. Write the answer or remove the record. This record is skipped.");

        const example: TrainingExample = {
            line: location.line,
            turns: [{role: "user", text: humanText}, {role: "assistant", text: output}],
            singleTurn: {instruction, input}
        };
        if (id != null) example.id = id;
        return {kind: "example", example};
    }

    private readMultiTurn(record: Record<string, unknown>, location: RecordLocation, id: string | undefined): TrainingRecordResult {
        const conversations = record.conversations;
        if (!Array.isArray(conversations))
            return this.wrongType(location, ["conversations"], "\"conversations\" must be an array of {\"from\", \"value\"} turns", conversations);
        if (conversations.length === 0)
            return this.problem("empty_conversation", location.at(["conversations"]) ?? location, "conversations",
                "\"conversations\" is empty: a multi-turn record needs at least a human turn and an assistant turn. This record is skipped.");

        const turns: TrainingTurn[] = [];
        for (let index = 0; index < conversations.length; index++) {
            const turn: unknown = conversations[index];
            const path = ["conversations", index];
            const name = `conversations[${index}]`;
            if (!isPlainObject(turn))
                return this.wrongType(location, path, `${name} must be an object such as {"from": "human", "value": "…"}`, turn);
            for (const field of ["from", "value"]) {
                if (!Object.hasOwn(turn, field))
                    return this.problem("missing_field", location.at(path) ?? location, `${name}.${field}`,
                        `${name} has no "${field}": each turn is {"from": "human" | "assistant", "value": "…"}. This record is skipped.`);
                if (typeof turn[field] !== "string")
                    return this.wrongType(location, [...path, field], `${name}.${field} must be a string`, turn[field]);
            }
            const from = turn.from as string;
            const text = turn.value as string;
            const role = Object.hasOwn(roles, from) ? roles[from]! : null;
            if (role == null)
                return this.problem("unknown_role", location.at([...path, "from"]) ?? location, `${name}.from`,
                    `${name}.from is "${from}": BELLE's roles are "human" and "assistant"` +
                    (from === "gpt" || from === "user" || from === "system" ? ` (ShareGPT-style data: rename "${from}")` : "") + ". This record is skipped.");
            const expected: TrainingRole = index % 2 === 0 ? "user" : "assistant";
            if (role !== expected)
                return this.problem("not_alternating", location.at([...path, "from"]) ?? location, `${name}.from`,
                    `${name} is a ${from} turn where a ${expected === "user" ? "human" : "assistant"} turn should be: turns must alternate, ` +
                    "starting with \"human\". Merge the consecutive turns or remove one. This record is skipped.");
            if (text.trim() === "")
                return role === "assistant"
                    ? this.problem("empty_output", location.at([...path, "value"]) ?? location, `${name}.value`,
                        `${name} is an empty assistant turn: the model would learn to answer with nothing. This record is skipped.`)
                    : this.problem("empty_turn", location.at([...path, "value"]) ?? location, `${name}.value`,
                        `${name} is an empty human turn. Write the question or remove the turn and its answer. This record is skipped.`);
            turns.push({role, text});
        }
        if (turns.at(-1)!.role !== "assistant") {
            const last = conversations.length - 1;
            return this.problem("no_final_answer", location.at(["conversations", last]) ?? location, `conversations[${last}]`,
                "The conversation ends with a human turn: there is no answer to train on. Add the assistant's answer or remove the last turn. This record is skipped.");
        }
        const example: TrainingExample = {line: location.line, turns};
        if (id != null) example.id = id;
        return {kind: "example", example};
    }

    private jsonlSyntaxError(text: string, lineNumber: number, parseError: unknown): TrainingRecordProblem {
        const scanner = new JsonScanner(text, {region: "line"});
        try {
            scanner.parseValue();
            scanner.expectEnd("the record");
        } catch (error) {
            if (!(error instanceof JsonSyntaxError)) throw error;
            // A line that ends inside a record, or holds two, is the usual sign of a pretty-printed file
            const layoutHint = scanner.atEnd || error.problem.reason === "text_after_value"
                ? " Each line of a JSONL file must hold exactly one whole record; to spread records over several lines, make the file a JSON array."
                : "";
            return this.problem("invalid_json", {line: lineNumber, column: error.offset + 1}, null, `${error.message}${layoutHint} This record is skipped.`);
        }
        // The scanner is meant to accept exactly what JSON.parse does; if they ever disagree, JSON.parse's word stands
        const reason = parseError instanceof Error ? parseError.message : String(parseError);
        return this.problem("invalid_json", {line: lineNumber, column: 1}, null, `This line is not valid JSON (${reason}). This record is skipped.`);
    }

    private wrongType(location: RecordLocation, path: FieldPath, what: string, value: unknown): TrainingRecordProblem {
        return this.problem("wrong_type", location.at(path) ?? location, fieldName(path),
            `${what}, not ${describeValue(value)}. This record is skipped.`);
    }

    private problem(code: TrainingDataDiagnosticCode, position: TextPosition, field: string | null, message: string): TrainingRecordProblem {
        return {kind: "diagnostic", diagnostic: {filePath: this.filePath, line: position.line, column: position.column, code, message, field}};
    }
}

/** The node at `path` in a parsed record; of repeated field names the last one counts, as in JSON.parse. */
export function nodeAt(root: JsonNode, path: FieldPath): JsonNode | null {
    let node: JsonNode = root;
    for (const step of path) {
        if (typeof step === "number") {
            if (node.kind !== "array") return null;
            const element = node.elements[step];
            if (element == null) return null;
            node = element;
        } else {
            if (node.kind !== "object") return null;
            const property = node.properties.findLast((candidate) => candidate.key === step);
            if (property == null) return null;
            node = property.value;
        }
    }
    return node;
}

function unknownFormatMessage(record: Record<string, unknown>): string {
    const fields = Object.keys(record).slice(0, 6).map((key) => `"${key}"`).join(", ");
    const guess = Object.hasOwn(record, "question") && Object.hasOwn(record, "std_answer") ? " It looks like an eval-set item: keep eval data out of training data."
        : Object.hasOwn(record, "text") ? " {\"text\"} is BELLE's pre-training format, not instruction data."
            : "";
    return `This record has neither "conversations" (multi-turn) nor "instruction"/"output" (single-turn)${fields === "" ? "" : `; its fields are ${fields}`}.${guess} This record is skipped.`;
}

function fieldName(path: FieldPath): string {
    return path.map((step, index) => typeof step === "number" ? `[${step}]` : index === 0 ? step : `.${step}`).join("");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value != null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    if (typeof value === "object") return "an object";
    if (typeof value === "string") return "a string";
    return `a ${typeof value} (${String(value)})`;
}
