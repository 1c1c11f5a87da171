import {createHash} from "node:crypto";
import {evalClasses, matchEvalClass} from "./evalClasses";
import {JsonSyntaxError} from "./evalErrors";
import type {EvalItem} from "./EvalItem";
import type {EvalSetDiagnostic, EvalSetDiagnosticArgs, EvalSetDiagnosticCode, JsonSyntaxArgs, JsonTypeName, SourceRange} from "./EvalSetDiagnostic";
import {JsonScanner, type JsonNode} from "./JsonScanner";
import {LineIndex} from "./LineIndex";

export type EvalSetEntry = {kind: "item", item: EvalItem} | {kind: "diagnostic", diagnostic: EvalSetDiagnostic};

/** Where an item and its fields are, worked out only when a diagnostic needs it. */
type ItemLocation = {
    item: SourceRange,
    /** The range of the field's value, or null when the item has no such field. */
    field(name: string): SourceRange | null
};

const requiredFields = ["question", "std_answer", "class"] as const;
const knownFields: ReadonlySet<string> = new Set(requiredFields);
const blankLine = /^\s*$/;
/** After a broken item of an array, the next item starts at "}, {" or at a "{" that begins a line. */
const nextItemStart = /\}\s*,\s*(?=\{)|[\r\n][ \t]*(?=\{)/g;

/**
 * The state of reading one eval set: item numbering, questions seen (for duplicates) and the diagnostic cap.
 * Both layouts and both sources (a string, a streamed file) go through it, so they report the same way.
 */
export class EvalSetReader {
    private nextItemIndex = 0;
    private itemCount = 0;
    private readonly firstLineOfQuestion = new Map<string, number>();
    private reportedDiagnostics = 0;
    private suppressedErrors = 0;
    private suppressedWarnings = 0;

    /** `firstItemIndex`: the index of the first item read (re-reading one line of a document keeps its index). */
    public constructor(public readonly filePath: string, private readonly maxDiagnostics = 1000, firstItemIndex = 0) {
        this.nextItemIndex = firstItemIndex;
    }

    /** One line of a JSONL eval set; blank lines are skipped. */
    public readJsonlLine(text: string, lineNumber: number): EvalSetEntry[] {
        if (lineNumber === 1 && text.startsWith("\ufeff")) text = text.slice(1);
        if (blankLine.test(text)) return [];

        const index = this.nextItemIndex++;
        const firstColumn = text.length - text.trimStart().length + 1;
        const itemRange = {line: lineNumber, column: firstColumn, endLine: lineNumber, endColumn: text.trimEnd().length + 1};

        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch (error) {
            return this.jsonlSyntaxError(text, lineNumber, index, itemRange, error);
        }

        let nodes: JsonNode | null | undefined;
        const lineNode = () => {
            if (nodes === undefined) {
                try {
                    nodes = new JsonScanner(text, {region: "line"}).parseValue();
                } catch {
                    // JSON.parse accepted the line, so this cannot happen; the item range is an honest fallback
                    nodes = null;
                }
            }
            return nodes;
        };
        return this.checkItem(value, index, {
            item: itemRange,
            field: (name) => {
                const node = lineNode();
                const property = node?.kind === "object" ? lastProperty(node, name) : undefined;
                if (property == null) return null;
                return {line: lineNumber, column: property.value.start + 1, endLine: lineNumber, endColumn: property.value.end + 1};
            }
        });
    }

    /** A JSONL line whose bytes are not UTF-8: skipped, since its text would be garbled. */
    public readUndecodableLine(lineNumber: number): EvalSetEntry[] {
        const index = this.nextItemIndex++;
        return this.report(
            "error", "invalid_encoding", {line: lineNumber, column: 1, endLine: lineNumber + 1, endColumn: 1},
            "This line is not valid UTF-8, so the item is skipped. BELLE eval sets are UTF-8; if the file was saved as GBK or GB18030, re-save it as UTF-8.",
            {reason: "not_utf8_line"}, index, null
        );
    }

    /** A whole eval set that is one JSON array (the text starts, after whitespace, with '['). */
    public readJsonArray(text: string): EvalSetEntry[] {
        if (text.startsWith("\ufeff")) text = text.slice(1);
        const lines = new LineIndex(text);
        const rangeOf = (start: number, end: number): SourceRange => {
            const from = lines.positionAt(start);
            const to = lines.positionAt(end);
            return {line: from.line, column: from.column, endLine: to.line, endColumn: to.column};
        };
        const entries: EvalSetEntry[] = [];
        const syntaxError = (message: string, args: EvalSetDiagnosticArgs["invalid_json"], offset: number, index: number | null) =>
            entries.push(...this.report("error", "invalid_json", rangeOf(offset, Math.min(offset + 1, text.length)), message, args, index, null));

        const scanner = new JsonScanner(text);
        scanner.skipWhitespace();
        if (scanner.peek() !== "[") {
            syntaxError(`Expected '[' to start the array of items but found ${scanner.describeCurrent()}.`,
                {reason: "array_not_started", found: characterAt(text, scanner.offset)}, scanner.offset, null);
            return entries;
        }
        scanner.offset++;
        for (;;) {
            scanner.skipWhitespace();
            if (scanner.peek() === "]") {
                scanner.offset++;
                break;
            }
            if (scanner.atEnd) {
                syntaxError("The array is not closed: add ']' at the end of the file.", {reason: "array_not_closed"}, text.length, null);
                break;
            }

            const index = this.nextItemIndex++;
            let node: JsonNode;
            try {
                node = scanner.parseValue();
            } catch (error) {
                if (!(error instanceof JsonSyntaxError)) throw error;
                syntaxError(`${error.message} This item is skipped.`, syntaxArgs(error, ""), error.offset, index);
                if (!resync(scanner, error.offset)) break;
                continue;
            }
            entries.push(...this.checkItem(node.value, index, {
                item: rangeOf(node.start, node.end),
                field: (name) => {
                    const property = node.kind === "object" ? lastProperty(node, name) : undefined;
                    return property == null ? null : rangeOf(property.value.start, property.value.end);
                }
            }));

            scanner.skipWhitespace();
            const next = scanner.peek();
            if (next === ",") {
                const commaOffset = scanner.offset++;
                scanner.skipWhitespace();
                if (scanner.peek() === "]")
                    syntaxError("Trailing comma before ']': remove the comma after the last item.", {reason: "trailing_comma"}, commaOffset, null);
                continue;
            }
            if (next === "]") {
                scanner.offset++;
                break;
            }
            if (next === undefined) {
                syntaxError("The array is not closed: add ']' at the end of the file.", {reason: "array_not_closed"}, text.length, null);
                break;
            }
            if (next === "{") {
                // Read on as if the comma were there: the next item is intact
                syntaxError("Missing comma: add ',' between the items.", {reason: "missing_comma"}, scanner.offset, null);
                continue;
            }
            syntaxError(`Expected ',' or ']' after an item but found ${scanner.describeCurrent()}.`,
                {reason: "unexpected_after_item", found: characterAt(text, scanner.offset)}, scanner.offset, null);
            if (!resync(scanner, scanner.offset)) break;
        }

        scanner.skipWhitespace();
        if (!scanner.atEnd)
            syntaxError(`Unexpected ${scanner.describeCurrent()} after the end of the array: an eval set is one array. Remove it, or merge it into the array.`,
                {reason: "text_after_array", found: characterAt(text, scanner.offset)}, scanner.offset, null);
        return entries;
    }

    /** A problem with the file as a whole (its encoding, say), reported at its start. */
    public fileError<Code extends EvalSetDiagnosticCode>(code: Code, message: string, args: EvalSetDiagnosticArgs[Code]): EvalSetEntry[] {
        return this.report("error", code, {line: 1, column: 1, endLine: 1, endColumn: 1}, message, args, null, null);
    }

    /** Diagnostics about the set as a whole, once everything has been read. */
    public finish(): EvalSetEntry[] {
        const entries: EvalSetEntry[] = [];
        const atStart = {line: 1, column: 1, endLine: 1, endColumn: 1};
        if (this.nextItemIndex === 0 && this.reportedDiagnostics === 0)
            entries.push(...this.report("error", "empty_eval_set", atStart,
                "The eval set has no items. Each line should hold one {\"question\", \"std_answer\", \"class\"} object.", {}, null, null));

        const suppressed = this.suppressedErrors + this.suppressedWarnings;
        if (suppressed > 0) {
            entries.push({kind: "diagnostic", diagnostic: {
                filePath: this.filePath, ...atStart,
                severity: this.suppressedErrors > 0 ? "error" : "warning",
                code: "too_many_diagnostics",
                message: `${suppressed} more problems (${this.suppressedErrors} errors, ${this.suppressedWarnings} warnings) are not listed. Fix the ones listed and read the file again.`,
                args: {count: suppressed, errors: this.suppressedErrors, warnings: this.suppressedWarnings},
                itemIndex: null,
                field: null
            }});
        }
        return entries;
    }

    private jsonlSyntaxError(text: string, lineNumber: number, index: number, itemRange: SourceRange, parseError: unknown): EvalSetEntry[] {
        const scanner = new JsonScanner(text, {region: "line"});
        try {
            scanner.parseValue();
            scanner.expectEnd("the item");
        } catch (error) {
            if (!(error instanceof JsonSyntaxError)) throw error;
            // A line that ends inside an item, or holds two, is the usual sign of a pretty-printed file
            const oneItemPerLine = scanner.atEnd || error.problem.reason === "text_after_value";
            const layoutHint = oneItemPerLine
                ? " Each line of a JSONL eval set must hold exactly one whole item; to spread items over several lines, make the file a JSON array."
                : "";
            const column = error.offset + 1;
            return this.report("error", "invalid_json", {line: lineNumber, column, endLine: lineNumber, endColumn: column + 1},
                `${error.message}${layoutHint} This item is skipped.`,
                syntaxArgs(error, oneItemPerLine ? "one_item_per_line" : ""), index, null);
        }
        // The scanner is meant to accept exactly what JSON.parse does; if they ever disagree, JSON.parse's word stands
        const reason = parseError instanceof Error ? parseError.message : String(parseError);
        return this.report("error", "invalid_json", itemRange, `This line is not valid JSON (${reason}). This item is skipped.`,
            {reason: "not_json", detail: reason}, index, null);
    }

    private checkItem(value: unknown, index: number, location: ItemLocation): EvalSetEntry[] {
        if (!isPlainObject(value))
            return this.report("error", "not_an_object", location.item,
                `An item must be an object such as {"question": "…", "std_answer": "…", "class": "…"}, not ${describeType(value)}. This item is skipped.`,
                typeArgs(value), index, null);

        const problems: EvalSetEntry[] = [];
        // The item is dropped even when the diagnostic cap swallowed the report of why
        let broken = false;
        for (const field of requiredFields) {
            if (!Object.hasOwn(value, field)) {
                broken = true;
                problems.push(...this.report("error", "missing_field", location.item, missingFieldMessage(field, value),
                    missingFieldArgs(field, value), index, field));
                continue;
            }
            const fieldValue = value[field];
            if (typeof fieldValue !== "string") {
                broken = true;
                problems.push(...this.report("error", "wrong_type", location.field(field) ?? location.item,
                    wrongTypeMessage(field, fieldValue), {field, ...typeArgs(fieldValue)}, index, field));
            }
        }
        if (broken) return problems;

        const question = value.question as string;
        const className = value.class as string;
        if (question.trim() === "")
            return this.report("error", "empty_question", location.field("question") ?? location.item,
                "\"question\" is empty: write the question the model should answer, or remove the item.", {field: "question"}, index, "question");

        const item: EvalItem = {
            index,
            question,
            stdAnswer: value.std_answer as string,
            className,
            evalClass: matchEvalClass(className),
            fields: value,
            range: location.item
        };
        this.itemCount++;
        const entries: EvalSetEntry[] = [{kind: "item", item}];

        if (item.evalClass == null)
            entries.push(...this.report("warning", "unknown_class", location.field("class") ?? location.item,
                (className.trim() === "" ? "\"class\" is empty" : `"${className}" is not one of BELLE's classes`) +
                `: the item is kept and judged with the general prompt. If it is meant to be one of ${evalClasses.join(", ")}, fix the spelling.`,
                {className, knownClasses: evalClasses.join(", ")}, index, "class"));

        const questionKey = hashQuestion(question);
        const firstLine = this.firstLineOfQuestion.get(questionKey);
        if (firstLine === undefined)
            this.firstLineOfQuestion.set(questionKey, location.item.line);
        else
            entries.push(...this.report("warning", "duplicate_question", location.field("question") ?? location.item,
                `The same question as the item on line ${firstLine}: both are kept and both are scored, which weights it twice. Remove one unless that is intended.`,
                {firstLine}, index, "question"));
        return entries;
    }

    private report<Code extends EvalSetDiagnosticCode>(
        severity: "error" | "warning", code: Code, range: SourceRange, message: string, args: EvalSetDiagnosticArgs[Code],
        itemIndex: number | null, field: string | null
    ): EvalSetEntry[] {
        if (this.reportedDiagnostics >= this.maxDiagnostics) {
            if (severity === "error") this.suppressedErrors++;
            else this.suppressedWarnings++;
            return [];
        }
        this.reportedDiagnostics++;
        return [{kind: "diagnostic", diagnostic: {filePath: this.filePath, ...range, severity, code, message, args, itemIndex, field}}];
    }
}

/** The scanner's problem as `invalid_json` args. */
function syntaxArgs(error: JsonSyntaxError, hint: JsonSyntaxArgs["hint"]): JsonSyntaxArgs {
    const {reason, ...parts} = error.problem;
    // The spread keeps each reason's own parts, which TypeScript cannot follow through the destructuring
    return {reason: "syntax", syntax: reason, region: error.region, hint, ...parts} as JsonSyntaxArgs;
}

/**
 * Moves the scanner to where the next item probably starts; false when there is none, with the scanner at the end,
 * since the rest of the text is part of the broken item (not text after the array).
 */
function resync(scanner: JsonScanner, fromOffset: number): boolean {
    nextItemStart.lastIndex = fromOffset;
    const match = nextItemStart.exec(scanner.text);
    if (match == null) {
        scanner.offset = scanner.end;
        return false;
    }
    scanner.offset = match.index + match[0].length;
    return true;
}

/** JSON's rule: of repeated field names, the last one counts. */
function lastProperty(node: Extract<JsonNode, {kind: "object"}>, name: string) {
    for (let index = node.properties.length - 1; index >= 0; index--)
        if (node.properties[index]!.key === name) return node.properties[index];
    return undefined;
}

/**
 * Exact duplicates once runs of whitespace are collapsed. Hashed so that a very large set keeps 20 bytes per
 * question in memory rather than the question itself.
 */
function hashQuestion(question: string): string {
    return createHash("sha1").update(question.replace(/\s+/gu, " ").trim()).digest("base64");
}

function missingFieldMessage(field: (typeof requiredFields)[number], item: Record<string, unknown>): string {
    const advice = {
        question: "Add the \"question\" the model should answer.",
        std_answer: "Add \"std_answer\": \"\" if the item has no reference answer.",
        class: "Add its \"class\", such as \"open qa\"."
    }[field];
    const others = unknownFieldsOf(item);
    const misspelling = others.length > 0
        ? ` It has ${others.map((key) => `"${key}"`).join(", ")}: ${others.length === 1 ? "is that" : "is one of them"} a misspelling?`
        : "";
    return `The item has no "${field}" field, so it is skipped. ${advice}${misspelling}`;
}

function missingFieldArgs(field: string, item: Record<string, unknown>): EvalSetDiagnosticArgs["missing_field"] {
    const others = unknownFieldsOf(item);
    return {field, otherFields: others.map((key) => `"${key}"`).join(", "), otherFieldCount: others.length};
}

function unknownFieldsOf(item: Record<string, unknown>): string[] {
    return Object.keys(item).filter((key) => !knownFields.has(key));
}

function wrongTypeMessage(field: string, value: unknown): string {
    let advice = "";
    if (typeof value === "number" || typeof value === "boolean")
        advice = ` Put it in quotes: "${String(value)}".`;
    else if (value === null && field === "std_answer")
        advice = " Use \"\" for an item without a reference answer.";
    else if (Array.isArray(value))
        advice = " Join the parts into one string.";
    return `"${field}" must be a string, not ${describeType(value)}, so the item is skipped.${advice}`;
}

function describeType(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    switch (typeof value) {
        case "object": return "an object";
        case "number": return `a number (${value})`;
        case "boolean": return `${value}`;
        case "string": return "a string";
        default: return typeof value;
    }
}

function typeArgs(value: unknown): {foundType: JsonTypeName, foundValue: string} {
    if (value === null) return {foundType: "null", foundValue: ""};
    if (Array.isArray(value)) return {foundType: "array", foundValue: ""};
    const type = typeof value;
    // JSON.parse yields nothing else; anything that is not a primitive is reported as an object
    if (type === "number" || type === "boolean") return {foundType: type, foundValue: String(value)};
    return {foundType: type === "string" ? "string" : "object", foundValue: ""};
}

/** The character (a whole code point) at `offset`, or "" past the end: what a syntax error stopped at. */
function characterAt(text: string, offset: number): string {
    const codePoint = text.codePointAt(offset);
    return codePoint === undefined ? "" : String.fromCodePoint(codePoint);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
