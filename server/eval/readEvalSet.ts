import {isUtf8} from "node:buffer";
import {readFile} from "node:fs/promises";
import {EvalSetReadError} from "./evalErrors";
import type {EvalItem} from "./EvalItem";
import type {EvalSetDiagnostic} from "./EvalSetDiagnostic";
import {EvalSetReader, type EvalSetEntry} from "./EvalSetReader";
import {LineIndex} from "./LineIndex";
import {readFileLines} from "./readFileLines";
import {sniffJsonLayout} from "./sniffJsonLayout";

export type {EvalSetEntry} from "./EvalSetReader";

/** BELLE's layout is "jsonl" (one object per line, whatever the file name says); "json-array" is one `[…]`. */
export type EvalSetFormat = "jsonl" | "json-array";

export type EvalSetParseResult = {
    filePath: string,
    format: EvalSetFormat,
    /** The valid items, in file order. */
    items: EvalItem[],
    /** In file order; errors name items that are not in `items`, warnings name items that are. */
    diagnostics: EvalSetDiagnostic[]
};

export type ParseEvalSetOptions = {
    /** Named in every diagnostic; the text need not come from a file. */
    filePath: string,
    /** Diagnostics past this many are counted in one summary instead of listed. */
    maxDiagnostics?: number
};

export type ReadEvalSetOptions = {
    signal?: AbortSignal,
    maxDiagnostics?: number
};

/**
 * Reads an eval set from text (an open editor's document, say). Never throws for bad content: every problem is a
 * diagnostic with its line and column, and the valid items are returned.
 */
export function parseEvalSet(text: string, {filePath, maxDiagnostics}: ParseEvalSetOptions): EvalSetParseResult {
    const reader = new EvalSetReader(filePath, maxDiagnostics);
    const format = formatOfText(text);
    const entries: EvalSetEntry[] = [];
    if (format === "json-array")
        entries.push(...reader.readJsonArray(text));
    else {
        // Line by line without splitting into an array first, so a large text is not held twice
        const lineBreak = /\r\n|\r|\n/g;
        let lineStart = 0;
        let lineNumber = 0;
        for (;;) {
            const match = lineBreak.exec(text);
            const lineEnd = match?.index ?? text.length;
            if (match != null || lineStart < text.length)
                entries.push(...reader.readJsonlLine(text.slice(lineStart, lineEnd), ++lineNumber));
            if (match == null) break;
            lineStart = lineBreak.lastIndex;
        }
    }
    entries.push(...reader.finish());
    return collect(filePath, format, entries);
}

/**
 * Reads an eval-set file. A JSONL file (BELLE's layout) is streamed line by line; a JSON array is read whole.
 * Throws `EvalSetReadError` only when the file cannot be read at all, and the signal's reason when aborted.
 */
export async function readEvalSetFile(filePath: string, options: ReadEvalSetOptions = {}): Promise<EvalSetParseResult> {
    const entries: EvalSetEntry[] = [];
    const iterator = readEvalSetEntries(filePath, options);
    for (;;) {
        const next = await iterator.next();
        if (next.done) return collect(filePath, next.value, entries);
        entries.push(next.value);
    }
}

/**
 * The items and diagnostics of an eval-set file as they are read, for a job that starts on the first items while
 * the rest of a large file is still being read. Memory stays flat for JSONL: one line at a time plus a 20-byte hash
 * per question (to find duplicates). A JSON array has to be read whole; its size is bounded by what one string can
 * hold (about 512 MiB). The generator's return value is the layout it found.
 */
export async function* readEvalSetEntries(
    filePath: string,
    {signal, maxDiagnostics}: ReadEvalSetOptions = {}
): AsyncGenerator<EvalSetEntry, EvalSetFormat> {
    const reader = new EvalSetReader(filePath, maxDiagnostics);
    const sniffed = await rethrowAsReadError(filePath, signal, () => sniffJsonLayout(filePath));

    if (sniffed === "utf-16") {
        yield* reader.fileError("invalid_encoding",
            "The file is saved as UTF-16. BELLE eval sets are UTF-8: re-save it as UTF-8 (in VS Code: the encoding in the status bar, then \"Save with Encoding\").",
            {reason: "utf16"});
        return "jsonl";
    }

    if (sniffed === "json-array") {
        const bytes = await rethrowAsReadError(filePath, signal, () => readFile(filePath, {signal}));
        const text = bytes.toString("utf8");
        if (!isUtf8(bytes)) {
            // A whole array cannot be read item by item around bad bytes, so stop at the first one
            const position = new LineIndex(text).positionAt(Math.max(0, text.indexOf("\ufffd")));
            yield {kind: "diagnostic", diagnostic: {
                filePath, line: position.line, column: position.column, endLine: position.line, endColumn: position.column + 1,
                severity: "error", code: "invalid_encoding",
                message: "The file is not valid UTF-8 (first bad bytes here), so it is not read. BELLE eval sets are UTF-8; if it was saved as GBK or GB18030, re-save it as UTF-8.",
                args: {reason: "not_utf8_file"},
                itemIndex: null, field: null
            }};
            return "json-array";
        }
        yield* reader.readJsonArray(text);
        yield* reader.finish();
        return "json-array";
    }

    const lines = readFileLines(filePath, {signal});
    for (;;) {
        const next = await rethrowAsReadError(filePath, signal, () => lines.next());
        if (next.done) break;
        const line = next.value;
        yield* line.isValidUtf8 ? reader.readJsonlLine(line.text, line.lineNumber) : reader.readUndecodableLine(line.lineNumber);
    }
    yield* reader.finish();
    return "jsonl";
}

function collect(filePath: string, format: EvalSetFormat, entries: readonly EvalSetEntry[]): EvalSetParseResult {
    const items: EvalItem[] = [];
    const diagnostics: EvalSetDiagnostic[] = [];
    for (const entry of entries) {
        if (entry.kind === "item") items.push(entry.item);
        else diagnostics.push(entry.diagnostic);
    }
    return {filePath, format, items, diagnostics};
}

function formatOfText(text: string): EvalSetFormat {
    // JSON's own whitespace, as the array reader skips it
    const firstSignificant = /[^ \t\r\n\ufeff]/.exec(text);
    return firstSignificant?.[0] === "[" ? "json-array" : "jsonl";
}

async function rethrowAsReadError<T>(filePath: string, signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T> {
    try {
        return await read();
    } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new EvalSetReadError(filePath, error);
    }
}
