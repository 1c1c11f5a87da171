import fs from "node:fs/promises";
import path from "node:path";
import type {EvalRunHeader, EvalRunRecord} from "./report/EvalRunRecord";

export class EvalRunFileError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = "EvalRunFileError";
    }
}

export interface EvalRunContents {
    header: EvalRunHeader,
    records: EvalRunRecord[]
}

/**
 * Reads a run file: a header line, then one record per finished item. A last line without its newline is what a
 * crash mid-write leaves; it is ignored (and cut off by `EvalRunFile.openForAppend`) so the item runs again.
 */
export async function readEvalRunFile(filePath: string): Promise<EvalRunContents> {
    const text = await fs.readFile(filePath, "utf8");
    const lines = text.split("\n");
    lines.pop(); // after the last "\n": "" for a whole file, the torn line otherwise
    const [headerLine, ...recordLines] = lines;
    if (headerLine == null) throw new EvalRunFileError(`${filePath}: empty run file (no header line)`);
    const header = parseLine(headerLine, filePath, 1) as EvalRunHeader;
    if (header.kind !== "header") throw new EvalRunFileError(`${filePath}:1: the first line is not a run header`);
    const records = recordLines.filter((line) => line.trim() !== "").map((line, index) => parseLine(line, filePath, index + 2) as EvalRunRecord);
    return {header, records};
}

function parseLine(line: string, filePath: string, lineNumber: number): unknown {
    try {
        return JSON.parse(line);
    } catch (error) {
        throw new EvalRunFileError(`${filePath}:${lineNumber}: not a JSON line (${(error as Error).message}). The run file was edited or damaged; move it away to start the run afresh.`);
    }
}

/** Appends records, one `write` per line on an O_APPEND handle, so a line is either whole or the torn last one. */
export class EvalRunFile {
    private constructor(private readonly _handle: fs.FileHandle) {}

    /** Opens for appending, creating the file with `header` or checking an existing one's header matches it. */
    public static async openForAppend(filePath: string, header: EvalRunHeader): Promise<{file: EvalRunFile, existing: EvalRunRecord[]}> {
        await fs.mkdir(path.dirname(filePath), {recursive: true});
        let existing: EvalRunRecord[] = [];
        let stat = await fs.stat(filePath).catch(() => null);
        if (stat != null && stat.size > 0) {
            const contents = await readEvalRunFile(filePath);
            const mismatch = describeHeaderMismatch(contents.header, header);
            if (mismatch != null)
                throw new EvalRunFileError(`${filePath} belongs to another run (${mismatch}). Choose a new run file, or delete this one to start over.`);
            existing = contents.records;
            // Cut a torn last line so the next record starts on a line of its own.
            const text = await fs.readFile(filePath, "utf8");
            const whole = Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1), "utf8");
            if (whole < stat.size) await fs.truncate(filePath, whole);
        } else stat = null;
        const handle = await fs.open(filePath, "a");
        if (stat == null) await handle.write(`${JSON.stringify(header)}\n`);
        return {file: new EvalRunFile(handle), existing};
    }

    public async append(record: EvalRunRecord): Promise<void> {
        await this._handle.write(`${JSON.stringify(record)}\n`);
    }

    public async close(): Promise<void> {
        await this._handle.close();
    }
}

/** Null when `existing` is the same run as `wanted` (same eval set, model, judge and settings). */
export function describeHeaderMismatch(existing: EvalRunHeader, wanted: EvalRunHeader): string | null {
    if (path.resolve(existing.evalSetPath) !== path.resolve(wanted.evalSetPath)) return `eval set ${existing.evalSetPath}`;
    if (existing.model !== wanted.model) return `model ${existing.model}`;
    if ((existing.modelHash ?? null) !== (wanted.modelHash ?? null)) return "another model file";
    if (existing.judge !== wanted.judge) return `judge ${existing.judge}`;
    if (JSON.stringify(existing.settings) !== JSON.stringify(wanted.settings)) return `settings ${JSON.stringify(existing.settings)}`;
    return null;
}

/**
 * Joins the run files of shards (`belle eval --shard i/N`) into one, written to a temporary file and renamed.
 * Every shard must be the same run; an item in two shards keeps its first record.
 */
export async function mergeEvalRunFiles(outputPath: string, shardPaths: string[]): Promise<{records: number, duplicates: number}> {
    if (shardPaths.length === 0) throw new EvalRunFileError("merge needs at least one shard run file");
    const shards = await Promise.all(shardPaths.map((shardPath) => readEvalRunFile(shardPath)));
    const header = {...shards[0]!.header, settings: {...shards[0]!.header.settings, shard: undefined}};
    const byKey = new Map<string, EvalRunRecord>();
    let duplicates = 0;
    shards.forEach((shard, index) => {
        const shardHeader = {...shard.header, settings: {...shard.header.settings, shard: undefined}};
        const mismatch = describeHeaderMismatch(header, shardHeader);
        if (mismatch != null) throw new EvalRunFileError(`${shardPaths[index]} is not a shard of the same run as ${shardPaths[0]} (${mismatch})`);
        for (const record of shard.records) {
            if (byKey.has(record.itemKey)) duplicates++;
            else byKey.set(record.itemKey, record);
        }
    });
    const records = [...byKey.values()].sort((a, b) => a.index - b.index);
    const tempPath = `${outputPath}.${process.pid}.tmp`;
    await fs.mkdir(path.dirname(path.resolve(outputPath)), {recursive: true});
    await fs.writeFile(tempPath, [header, ...records].map((line) => `${JSON.stringify(line)}\n`).join(""), "utf8");
    await fs.rename(tempPath, outputPath);
    return {records: records.length, duplicates};
}
