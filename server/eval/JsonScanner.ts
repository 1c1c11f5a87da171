import {JsonSyntaxError} from "./evalErrors";

/** A parsed JSON value with where it sits in the text: `start` and `end` are UTF-16 offsets, end exclusive. */
export type JsonNode =
    | {kind: "object", start: number, end: number, value: Record<string, unknown>, properties: JsonProperty[]}
    | {kind: "array", start: number, end: number, value: unknown[], elements: JsonNode[]}
    | {kind: "string", start: number, end: number, value: string}
    | {kind: "number", start: number, end: number, value: number}
    | {kind: "boolean", start: number, end: number, value: boolean}
    | {kind: "null", start: number, end: number, value: null};

export type JsonProperty = {key: string, keyStart: number, keyEnd: number, value: JsonNode};

export type JsonScannerOptions = {
    /** Where scanning starts (default 0). */
    offset?: number,
    /** Where the scanned region ends (default the text's length); used to scan one line of a larger text. */
    end?: number,
    /** What the region is, for error messages ("… the line ends first"). */
    region?: JsonRegion
};

/** The scanned region: a whole file, or one line of a JSONL file. */
export type JsonRegion = "file" | "line";

/**
 * Why the scanner stopped, with the parts of its message that vary. `found` is the character (a whole code point)
 * it stopped at, "" at the end of the region; `key` is the field name the problem follows. The parts are named
 * apart from `region`, `syntax` and `hint`, which an eval-set diagnostic adds beside them.
 */
export type JsonSyntaxProblem =
    | {reason: "unexpected_end"}
    | {reason: "expected_value", found: string}
    | {reason: "single_quoted_string"}
    | {reason: "unquoted_text", word: string}
    | {reason: "not_a_json_value", word: "NaN" | "Infinity"}
    | {reason: "bad_number", token: string, flaw: "" | "leading_zero" | "digit_after_point"}
    | {reason: "expected_field_name", found: string}
    | {reason: "single_quoted_field_name"}
    | {reason: "unquoted_field_name", word: string}
    | {reason: "expected_colon", key: string, found: string}
    | {reason: "expected_comma_or_close", container: "object", key: string, found: string}
    | {reason: "expected_comma_or_close", container: "array", found: string}
    | {reason: "missing_comma", container: "object", key: string}
    | {reason: "missing_comma", container: "array"}
    | {reason: "trailing_comma", container: "object" | "array"}
    | {reason: "unclosed_object"}
    | {reason: "unclosed_array"}
    | {reason: "unclosed_string"}
    | {reason: "unclosed_escape"}
    | {reason: "line_break_in_string"}
    | {reason: "control_character_in_string", found: string}
    | {reason: "bad_escape", letter: string}
    | {reason: "bad_unicode_escape"}
    | {reason: "text_after_value", found: string, what: string};

export type JsonSyntaxReason = JsonSyntaxProblem["reason"];

const plainStringRun = /[^"\\\u0000-\u001f]*/y;
const wordPattern = /[A-Za-z_$][\w$]*/y;
const numberTokenPattern = /[-+0-9.eE]+/y;
const strictNumberPattern = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
const escapeValues: Readonly<Record<string, string>> = {"\"": "\"", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t"};

/**
 * A strict JSON parser (it accepts what `JSON.parse` accepts) that keeps the offset of every value and field name,
 * and whose errors say where and what to do. `JSON.parse` stays the fast path; this one runs when a position is
 * needed: for JSON arrays, for a JSONL line that failed, and to point at one field of an item.
 * The caller drives it value by value (`parseValue`), which is what lets a reader skip a broken item and go on.
 */
export class JsonScanner {
    public offset: number;
    public readonly end: number;
    public readonly region: JsonRegion;

    public constructor(public readonly text: string, {offset = 0, end = text.length, region = "file"}: JsonScannerOptions = {}) {
        this.offset = offset;
        this.end = end;
        this.region = region;
    }

    public get atEnd(): boolean {
        return this.offset >= this.end;
    }

    /** The character at the current offset, or undefined at the end of the region. */
    public peek(): string | undefined {
        return this.offset < this.end ? this.text[this.offset] : undefined;
    }

    public skipWhitespace(): void {
        while (this.offset < this.end) {
            const code = this.text.charCodeAt(this.offset);
            if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return;
            this.offset++;
        }
    }

    /** Parses one value at the current offset (after whitespace) and leaves the offset just past it. */
    public parseValue(): JsonNode {
        this.skipWhitespace();
        const start = this.offset;
        const char = this.peek();
        switch (char) {
            case "{": return this.parseObject();
            case "[": return this.parseArray();
            case "\"": {
                const value = this.parseString();
                return {kind: "string", start, end: this.offset, value};
            }
            case undefined:
                throw this.error({reason: "unexpected_end"});
            case "'":
                throw this.error({reason: "single_quoted_string"});
            case "]":
            case "}":
                throw this.error({reason: "expected_value", found: char});
            default:
                if (char === "-" || (char >= "0" && char <= "9")) return this.parseNumber();
                return this.parseWord();
        }
    }

    /** Throws unless only whitespace remains in the region; `what` names the value in English ("the item"). */
    public expectEnd(what: string): void {
        this.skipWhitespace();
        if (!this.atEnd)
            throw this.error({reason: "text_after_value", found: this.current(), what});
    }

    /** The current character for a message: `'x'`, "a line break", or "the end of the file". */
    public describeCurrent(): string {
        return describeJsonCharacter(this.current(), this.region);
    }

    /** The character (a whole code point) at the current offset, "" at the end of the region. */
    private current(): string {
        if (this.atEnd) return "";
        return String.fromCodePoint(this.text.codePointAt(this.offset) ?? 0);
    }

    private error(problem: JsonSyntaxProblem, offset = this.offset): JsonSyntaxError {
        return new JsonSyntaxError(describeJsonSyntaxProblem(problem, this.region), offset, problem, this.region);
    }

    private parseObject(): JsonNode {
        const start = this.offset;
        this.offset++;
        const value: Record<string, unknown> = {};
        const properties: JsonProperty[] = [];
        this.skipWhitespace();
        if (this.peek() === "}") {
            this.offset++;
            return {kind: "object", start, end: this.offset, value, properties};
        }

        for (;;) {
            this.skipWhitespace();
            const keyStart = this.offset;
            const char = this.peek();
            if (char !== "\"") {
                if (char === "}" && properties.length > 0)
                    throw this.error({reason: "trailing_comma", container: "object"}, this.lastCommaBefore(keyStart));
                if (char === "'")
                    throw this.error({reason: "single_quoted_field_name"});
                const word = this.wordAt(this.offset);
                if (word != null)
                    throw this.error({reason: "unquoted_field_name", word});
                throw this.error({reason: "expected_field_name", found: this.current()});
            }
            const key = this.parseString();
            const keyEnd = this.offset;

            this.skipWhitespace();
            if (this.peek() !== ":")
                throw this.error({reason: "expected_colon", key, found: this.current()});
            this.offset++;
            const node = this.parseValue();
            defineProperty(value, key, node.value);
            properties.push({key, keyStart, keyEnd, value: node});

            this.skipWhitespace();
            const next = this.peek();
            if (next === ",") {
                this.offset++;
                continue;
            }
            if (next === "}") {
                this.offset++;
                return {kind: "object", start, end: this.offset, value, properties};
            }
            if (next === "\"")
                throw this.error({reason: "missing_comma", container: "object", key});
            if (next === undefined)
                throw this.error({reason: "unclosed_object"}, start);
            throw this.error({reason: "expected_comma_or_close", container: "object", key, found: this.current()});
        }
    }

    private parseArray(): JsonNode {
        const start = this.offset;
        this.offset++;
        const value: unknown[] = [];
        const elements: JsonNode[] = [];
        this.skipWhitespace();
        if (this.peek() === "]") {
            this.offset++;
            return {kind: "array", start, end: this.offset, value, elements};
        }

        for (;;) {
            this.skipWhitespace();
            if (this.peek() === "]" && elements.length > 0)
                throw this.error({reason: "trailing_comma", container: "array"}, this.lastCommaBefore(this.offset));
            const node = this.parseValue();
            value.push(node.value);
            elements.push(node);

            this.skipWhitespace();
            const next = this.peek();
            if (next === ",") {
                this.offset++;
                continue;
            }
            if (next === "]") {
                this.offset++;
                return {kind: "array", start, end: this.offset, value, elements};
            }
            if (next === undefined)
                throw this.error({reason: "unclosed_array"}, start);
            if (next === "{" || next === "[" || next === "\"")
                throw this.error({reason: "missing_comma", container: "array"});
            throw this.error({reason: "expected_comma_or_close", container: "array", found: this.current()});
        }
    }

    private parseString(): string {
        const start = this.offset;
        this.offset++;
        let result = "";
        for (;;) {
            plainStringRun.lastIndex = this.offset;
            plainStringRun.test(this.text);
            const runEnd = Math.min(plainStringRun.lastIndex, this.end);
            result += this.text.slice(this.offset, runEnd);
            this.offset = runEnd;
            if (this.atEnd)
                throw this.error({reason: "unclosed_string"}, start);

            const code = this.text.charCodeAt(this.offset);
            if (code === 0x22) {
                this.offset++;
                return result;
            }
            if (code === 0x5c) {
                result += this.parseEscape();
                continue;
            }
            if (code === 0x0a || code === 0x0d)
                throw this.error({reason: "line_break_in_string"});
            throw this.error({reason: "control_character_in_string", found: this.current()});
        }
    }

    private parseEscape(): string {
        const escapeStart = this.offset;
        const letter = this.text[this.offset + 1];
        if (letter === undefined || this.offset + 1 >= this.end)
            throw this.error({reason: "unclosed_escape"}, escapeStart);
        const simple = escapeValues[letter];
        if (simple !== undefined) {
            this.offset += 2;
            return simple;
        }
        if (letter === "u") {
            const hex = this.text.slice(this.offset + 2, Math.min(this.offset + 6, this.end));
            if (!/^[0-9a-fA-F]{4}$/.test(hex))
                throw this.error({reason: "bad_unicode_escape"}, escapeStart);
            this.offset += 6;
            return String.fromCharCode(parseInt(hex, 16));
        }
        throw this.error({reason: "bad_escape", letter}, escapeStart);
    }

    private parseNumber(): JsonNode {
        const start = this.offset;
        numberTokenPattern.lastIndex = start;
        numberTokenPattern.test(this.text);
        const end = Math.min(numberTokenPattern.lastIndex, this.end);
        const token = this.text.slice(start, end);
        if (!strictNumberPattern.test(token)) {
            const flaw = /^-?0\d/.test(token) ? "leading_zero" : token.endsWith(".") ? "digit_after_point" : "";
            throw this.error({reason: "bad_number", token, flaw}, start);
        }
        this.offset = end;
        return {kind: "number", start, end, value: Number(token)};
    }

    private parseWord(): JsonNode {
        const start = this.offset;
        const word = this.wordAt(start);
        if (word === "true" || word === "false") {
            this.offset += word.length;
            return {kind: "boolean", start, end: this.offset, value: word === "true"};
        }
        if (word === "null") {
            this.offset += 4;
            return {kind: "null", start, end: this.offset, value: null};
        }
        if (word === "NaN" || word === "Infinity")
            throw this.error({reason: "not_a_json_value", word});
        if (word != null)
            throw this.error({reason: "unquoted_text", word});
        throw this.error({reason: "expected_value", found: this.current()});
    }

    private wordAt(offset: number): string | null {
        wordPattern.lastIndex = offset;
        const match = wordPattern.exec(this.text);
        return match != null && match.index + match[0].length <= this.end ? match[0] : null;
    }

    /** Trailing-comma errors point at the comma, which is what the user must delete. */
    private lastCommaBefore(offset: number): number {
        const comma = this.text.lastIndexOf(",", offset);
        return comma >= 0 ? comma : offset;
    }
}

/** `JSON.parse` keeps "__proto__" as an ordinary field; a plain assignment would set the prototype instead. */
function defineProperty(target: Record<string, unknown>, key: string, value: unknown): void {
    if (key === "__proto__")
        Object.defineProperty(target, key, {value, writable: true, enumerable: true, configurable: true});
    else
        target[key] = value;
}

/** The English sentence of each problem; the extension's translations are built from the same parts. */
const englishMessages: {[Reason in JsonSyntaxReason]: (problem: Extract<JsonSyntaxProblem, {reason: Reason}>, region: string) => string} = {
    unexpected_end: (_problem, region) => `Expected a value, but ${region} ends here.`,
    expected_value: ({found}, region) => `Expected a value but found ${describeFound(found, region)}.`,
    single_quoted_string: () => "Strings must be in double quotes (\"…\"), not single quotes.",
    unquoted_text: ({word}) => `Unexpected word '${word}': text values must be in double quotes.`,
    not_a_json_value: ({word}) => `${word} is not valid JSON; use null or a string.`,
    bad_number: ({token, flaw}) =>
        `'${token}' is not a JSON number${flaw === "leading_zero" ? " (no leading zeros)" : flaw === "digit_after_point" ? " (a digit must follow '.')" : ""}.`,
    expected_field_name: ({found}, region) => `Expected a field name in double quotes but found ${describeFound(found, region)}.`,
    single_quoted_field_name: () => "Field names must be in double quotes (\"question\"), not single quotes.",
    unquoted_field_name: ({word}) => `Field names must be in double quotes: write "${word}".`,
    expected_colon: ({key, found}, region) => `Expected ':' after the field name "${key}" but found ${describeFound(found, region)}.`,
    expected_comma_or_close: (problem, region) => problem.container === "object"
        ? `Expected ',' or '}' after the value of "${problem.key}" but found ${describeFound(problem.found, region)}.`
        : `Expected ',' or ']' after an element but found ${describeFound(problem.found, region)}.`,
    missing_comma: (problem) => problem.container === "object"
        ? `Missing comma: add ',' after the value of "${problem.key}".`
        : "Missing comma: add ',' between the elements.",
    trailing_comma: ({container}) => container === "object"
        ? "Trailing comma before '}': remove the comma after the last field."
        : "Trailing comma before ']': remove the comma after the last element.",
    unclosed_object: (_problem, region) => `The object that starts here is not closed: add '}' (${region} ends first).`,
    unclosed_array: (_problem, region) => `The array that starts here is not closed: add ']' (${region} ends first).`,
    unclosed_string: (_problem, region) => `The string that starts here is not closed: add '"' (${region} ends first).`,
    unclosed_escape: (_problem, region) => `The string is not closed: ${region} ends after '\\'.`,
    line_break_in_string: () => "A line break inside a string must be written as \\n; or the closing '\"' is missing.",
    control_character_in_string: ({found}, region) =>
        `${describeFound(found, region)} inside a string must be written as an escape such as \\t or \\u00XX.`,
    bad_escape: ({letter}) => `'\\${letter}' is not a JSON escape; write '\\\\' for a backslash.`,
    bad_unicode_escape: () => "'\\u' must be followed by four hex digits, as in \\u4e2d.",
    text_after_value: ({found, what}, region) => `Unexpected ${describeFound(found, region)} after the end of ${what}.`
};

/** Every reason the scanner can give, for tests that want each one covered. */
export const jsonSyntaxReasons = Object.keys(englishMessages) as JsonSyntaxReason[];

/** What the scanner says, in English, about `problem` met in `region`. */
export function describeJsonSyntaxProblem(problem: JsonSyntaxProblem, region: JsonRegion): string {
    const message = englishMessages[problem.reason] as (problem: JsonSyntaxProblem, region: string) => string;
    return message(problem, region === "line" ? "the line" : "the file");
}

/** A character an error stopped at, for a message: `'x'`, "a line break", or "the end of the file" for "". */
export function describeJsonCharacter(found: string, region: JsonRegion): string {
    return describeFound(found, region === "line" ? "the line" : "the file");
}

function describeFound(found: string, region: string): string {
    if (found === "") return `the end of ${region}`;
    const codePoint = found.codePointAt(0)!;
    if (codePoint === 0x0a || codePoint === 0x0d) return "a line break";
    if (codePoint < 0x20) return `control character U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
    if (codePoint === 0xfeff) return "a byte-order mark (U+FEFF)";
    return `'${found}'`;
}
