import {isUtf8} from "node:buffer";
import {readFile, stat} from "node:fs/promises";
import {JsonSyntaxError} from "../../eval/evalErrors";
import {JsonScanner} from "../../eval/JsonScanner";
import {LineIndex} from "../../eval/LineIndex";
import {sniffJsonLayout} from "../../eval/sniffJsonLayout";
import {readFileLines} from "../../eval/readFileLines";
import type {TrainingDataDiagnostic, TrainingDataDiagnosticCode} from "./TrainingDataDiagnostic";
import type {TrainingExample, TrainingFileLayout, TrainingFormat} from "./TrainingExample";
import {TrainingFileAccessError} from "./trainingDataErrors";
import {nodeAt, TrainingRecordReader, type TrainingRecordResult} from "./TrainingRecordReader";

export type TrainingFileEntry =
    | {
        kind: "example",
        example: TrainingExample,
        /** The record as one line of JSON: the line as written (JSONL), or the array element re-serialised. */
        recordJson: string
    }
    | {kind: "diagnostic", diagnostic: TrainingDataDiagnostic};

/** What the whole file turned out to be, known once it has been read. */
export type TrainingFileShape = {
    layout: TrainingFileLayout,
    /** Null when no record was recognisably one format (an empty file, or only broken lines). */
    format: TrainingFormat | null,
    /** Lines of the file (JSONL) or of the array's text. */
    lines: number
};

export type TrainingFileReadProgress = {bytesRead: number, totalBytes: number, lines: number};

export type ReadTrainingFileOptions = {
    signal?: AbortSignal,
    /** Called every `progressEveryLines` lines and at the end. */
    onProgress?: (progress: TrainingFileReadProgress) => void,
    progressEveryLines?: number,
    /** Read-chunk size of the line reader; tests make it small to cut characters between chunks. */
    chunkBytes?: number,
    /** Largest JSON-array file read (default `maxJsonArrayBytes`). */
    maxArrayBytes?: number
};

/** What every job over a training file (validate, convert, split) takes besides its own options. */
export type TrainingFileJobOptions = Pick<ReadTrainingFileOptions, "signal" | "onProgress"> & {
    /** Problems listed at most; the rest are only counted. */
    maxDiagnostics?: number
};

/**
 * A file that is one JSON array is parsed whole, with positions for every value, which takes several times its size
 * in memory; above this it is refused with a diagnostic that says to make it JSONL, which is streamed at any size.
 */
export const maxJsonArrayBytes = 64 * 1024 * 1024;

/**
 * The examples and problems of a training file as they are read. JSONL (BELLE's layout) is streamed line by line,
 * so memory stays flat at any file size; a JSON array of up to `maxJsonArrayBytes` is read whole. Never throws for
 * bad content; throws `TrainingFileAccessError` when the file cannot be read, and the signal's reason when aborted.
 * The generator's return value is what the file turned out to be.
 */
export async function* readTrainingFile(
    filePath: string,
    {signal, onProgress, progressEveryLines = 10_000, chunkBytes, maxArrayBytes = maxJsonArrayBytes}: ReadTrainingFileOptions = {}
): AsyncGenerator<TrainingFileEntry, TrainingFileShape> {
    const reader = new TrainingRecordReader(filePath);
    const {size: totalBytes} = await rethrowAsAccessError(filePath, signal, () => stat(filePath));
    const sniffed = await rethrowAsAccessError(filePath, signal, () => sniffJsonLayout(filePath));

    if (sniffed === "utf-16") {
        yield fileProblem(filePath, "invalid_encoding",
            "The file is saved as UTF-16. Training files are UTF-8: re-save it as UTF-8 (in VS Code: the encoding in the status bar, then \"Save with Encoding\").");
        return {layout: "jsonl", format: null, lines: 0};
    }

    if (sniffed === "json-array") {
        if (totalBytes > maxArrayBytes) {
            yield fileProblem(filePath, "array_too_large",
                `The file is one JSON array of ${formatMiB(totalBytes)}; arrays over ${formatMiB(maxArrayBytes)} are not read, ` +
                "since they must be held in memory whole. Write it as JSONL (one record per line), which is read as a stream at any size.");
            return {layout: "json-array", format: null, lines: 0};
        }
        const bytes = await rethrowAsAccessError(filePath, signal, () => readFile(filePath, {signal}));
        const shape = yield* readJsonArray(reader, bytes, signal);
        onProgress?.({bytesRead: totalBytes, totalBytes, lines: shape.lines});
        return shape;
    }

    const lines = readFileLines(filePath, {signal, chunkBytes});
    let lineCount = 0;
    let bytesRead = 0;
    for (;;) {
        const next = await rethrowAsAccessError(filePath, signal, () => lines.next());
        if (next.done) break;
        const line = next.value;
        lineCount = line.lineNumber;
        let result: TrainingRecordResult | null;
        if (line.isValidUtf8) {
            result = reader.readJsonlLine(line.text, line.lineNumber);
            if (result?.kind === "example") yield {kind: "example", example: result.example, recordJson: line.text.trim()};
            else if (result != null) yield result;
        } else
            yield reader.readUndecodableLine(line.lineNumber);

        if (onProgress != null) {
            // The line break is counted as one byte: close enough for a progress bar
            bytesRead += Buffer.byteLength(line.text) + 1;
            if (line.lineNumber % progressEveryLines === 0) onProgress({bytesRead: Math.min(bytesRead, totalBytes), totalBytes, lines: lineCount});
        }
    }
    onProgress?.({bytesRead: totalBytes, totalBytes, lines: lineCount});
    return {layout: "jsonl", format: reader.format, lines: lineCount};
}

async function* readJsonArray(reader: TrainingRecordReader, bytes: Buffer, signal: AbortSignal | undefined): AsyncGenerator<TrainingFileEntry, TrainingFileShape> {
    let text = bytes.toString("utf8");
    if (text.startsWith("\ufeff")) text = text.slice(1);
    const lines = new LineIndex(text);
    const shape = (): TrainingFileShape => ({layout: "json-array", format: reader.format, lines: lines.lineCount});
    const problemAt = (offset: number, message: string): TrainingFileEntry => {
        const {line, column} = lines.positionAt(offset);
        return {kind: "diagnostic", diagnostic: {filePath: reader.filePath, line, column, code: "invalid_json", message, field: null}};
    };

    if (!isUtf8(bytes)) {
        // A whole array cannot be read record by record around bad bytes, so stop at the first one
        const {line, column} = lines.positionAt(Math.max(0, text.indexOf("\ufffd")));
        yield {kind: "diagnostic", diagnostic: {
            filePath: reader.filePath, line, column, code: "invalid_encoding", field: null,
            message: "The file is not valid UTF-8 (first bad bytes here), so it is not read. Training files are UTF-8; if it was saved as GBK or GB18030, re-save it as UTF-8."
        }};
        return shape();
    }

    const scanner = new JsonScanner(text);
    scanner.skipWhitespace();
    // The sniffer saw '[' first, so the scanner does too
    scanner.offset++;
    for (let count = 0; ; count++) {
        if (count % 1000 === 0) signal?.throwIfAborted();
        scanner.skipWhitespace();
        if (scanner.peek() === "]") {
            scanner.offset++;
            break;
        }
        if (scanner.atEnd) {
            yield problemAt(text.length, "The array is not closed: add ']' at the end of the file.");
            return shape();
        }
        let node;
        try {
            node = scanner.parseValue();
        } catch (error) {
            if (!(error instanceof JsonSyntaxError)) throw error;
            yield problemAt(error.offset, `${error.message} The rest of the array is not read: fix this and read the file again.`);
            return shape();
        }
        const start = lines.positionAt(node.start);
        const result = reader.readValue(node.value, {...start, at: (path) => {
            const found = nodeAt(node, path);
            return found == null ? null : lines.positionAt(found.start);
        }});
        yield result.kind === "example" ? {kind: "example", example: result.example, recordJson: JSON.stringify(node.value)} : result;

        scanner.skipWhitespace();
        const next = scanner.peek();
        if (next === ",") {
            const commaOffset = scanner.offset++;
            scanner.skipWhitespace();
            if (scanner.peek() === "]") yield problemAt(commaOffset, "Trailing comma before ']': remove the comma after the last record.");
            continue;
        }
        if (next === "]") {
            scanner.offset++;
            break;
        }
        yield problemAt(scanner.offset, next === undefined
            ? "The array is not closed: add ']' at the end of the file."
            : `Expected ',' or ']' after a record but found ${scanner.describeCurrent()}. The rest of the array is not read.`);
        return shape();
    }
    scanner.skipWhitespace();
    if (!scanner.atEnd)
        yield problemAt(scanner.offset, `Unexpected ${scanner.describeCurrent()} after the end of the array: the file must be one array.`);
    return shape();
}

function formatMiB(bytes: number): string {
    return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MiB`;
}

function fileProblem(filePath: string, code: TrainingDataDiagnosticCode, message: string): TrainingFileEntry {
    return {kind: "diagnostic", diagnostic: {filePath, line: 1, column: 1, code, message, field: null}};
}

async function rethrowAsAccessError<T>(filePath: string, signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T> {
    try {
        return await read();
    } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new TrainingFileAccessError(filePath, "read", error);
    }
}
