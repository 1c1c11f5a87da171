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
    /** How error messages name the end of the region: "the file" or "the line". */
    regionName?: string
};

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
    private readonly regionName: string;

    public constructor(public readonly text: string, {offset = 0, end = text.length, regionName = "the file"}: JsonScannerOptions = {}) {
        this.offset = offset;
        this.end = end;
        this.regionName = regionName;
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
                throw this.error(`Expected a value, but ${this.regionName} ends here.`);
            case "'":
                throw this.error("Strings must be in double quotes (\"…\"), not single quotes.");
            case "]":
            case "}":
                throw this.error(`Expected a value but found '${char}'.`);
            default:
                if (char === "-" || (char >= "0" && char <= "9")) return this.parseNumber();
                return this.parseWord();
        }
    }

    /** Throws unless only whitespace remains in the region. */
    public expectEnd(what: string): void {
        this.skipWhitespace();
        if (!this.atEnd)
            throw this.error(`Unexpected ${this.describeCurrent()} after the end of ${what}.`);
    }

    public error(message: string, offset = this.offset): JsonSyntaxError {
        return new JsonSyntaxError(message, offset);
    }

    /** The current character for a message: `'x'`, "a line break", or "the end of the file". */
    public describeCurrent(): string {
        if (this.atEnd) return `the end of ${this.regionName}`;
        const codePoint = this.text.codePointAt(this.offset) ?? 0;
        if (codePoint === 0x0a || codePoint === 0x0d) return "a line break";
        if (codePoint < 0x20) return `control character U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
        if (codePoint === 0xfeff) return "a byte-order mark (U+FEFF)";
        return `'${String.fromCodePoint(codePoint)}'`;
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
                    throw this.error("Trailing comma before '}': remove the comma after the last field.", this.lastCommaBefore(keyStart));
                if (char === "'")
                    throw this.error("Field names must be in double quotes (\"question\"), not single quotes.");
                const word = this.wordAt(this.offset);
                if (word != null)
                    throw this.error(`Field names must be in double quotes: write "${word}".`);
                throw this.error(`Expected a field name in double quotes but found ${this.describeCurrent()}.`);
            }
            const key = this.parseString();
            const keyEnd = this.offset;

            this.skipWhitespace();
            if (this.peek() !== ":")
                throw this.error(`Expected ':' after the field name "${key}" but found ${this.describeCurrent()}.`);
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
                throw this.error(`Missing comma: add ',' after the value of "${key}".`);
            if (next === undefined)
                throw this.error(`The object that starts here is not closed: add '}' (${this.regionName} ends first).`, start);
            throw this.error(`Expected ',' or '}' after the value of "${key}" but found ${this.describeCurrent()}.`);
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
                throw this.error("Trailing comma before ']': remove the comma after the last element.", this.lastCommaBefore(this.offset));
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
                throw this.error(`The array that starts here is not closed: add ']' (${this.regionName} ends first).`, start);
            if (next === "{" || next === "[" || next === "\"")
                throw this.error("Missing comma: add ',' between the elements.");
            throw this.error(`Expected ',' or ']' after an element but found ${this.describeCurrent()}.`);
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
                throw this.error(`The string that starts here is not closed: add '"' (${this.regionName} ends first).`, start);

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
                throw this.error("A line break inside a string must be written as \\n; or the closing '\"' is missing.");
            throw this.error(`${this.describeCurrent()} inside a string must be written as an escape such as \\t or \\u00XX.`);
        }
    }

    private parseEscape(): string {
        const escapeStart = this.offset;
        const letter = this.text[this.offset + 1];
        if (letter === undefined || this.offset + 1 >= this.end)
            throw this.error(`The string is not closed: ${this.regionName} ends after '\\'.`, escapeStart);
        const simple = escapeValues[letter];
        if (simple !== undefined) {
            this.offset += 2;
            return simple;
        }
        if (letter === "u") {
            const hex = this.text.slice(this.offset + 2, Math.min(this.offset + 6, this.end));
            if (!/^[0-9a-fA-F]{4}$/.test(hex))
                throw this.error("'\\u' must be followed by four hex digits, as in \\u4e2d.", escapeStart);
            this.offset += 6;
            return String.fromCharCode(parseInt(hex, 16));
        }
        throw this.error(`'\\${letter}' is not a JSON escape; write '\\\\' for a backslash.`, escapeStart);
    }

    private parseNumber(): JsonNode {
        const start = this.offset;
        numberTokenPattern.lastIndex = start;
        numberTokenPattern.test(this.text);
        const end = Math.min(numberTokenPattern.lastIndex, this.end);
        const token = this.text.slice(start, end);
        if (!strictNumberPattern.test(token)) {
            const hint = /^-?0\d/.test(token) ? " (no leading zeros)" : token.endsWith(".") ? " (a digit must follow '.')" : "";
            throw this.error(`'${token}' is not a JSON number${hint}.`, start);
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
            throw this.error(`${word} is not valid JSON; use null or a string.`);
        if (word != null)
            throw this.error(`Unexpected word '${word}': text values must be in double quotes.`);
        throw this.error(`Expected a value but found ${this.describeCurrent()}.`);
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
