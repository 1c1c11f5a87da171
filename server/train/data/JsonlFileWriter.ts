import {randomBytes} from "node:crypto";
import {open, rename, rm, type FileHandle} from "node:fs/promises";
import {TrainingFileAccessError} from "./trainingDataErrors";

const flushChars = 1024 * 1024;

/**
 * Writes a JSONL file through a temporary file beside it, renamed over the target on `commit()`: a reader never sees
 * half a file, and a failed or cancelled job leaves the old file as it was. Lines are buffered and written in
 * chunks of about 1 MiB; each write is awaited, so memory stays flat whatever the file's size.
 */
export class JsonlFileWriter {
    private buffer: string[] = [];
    private bufferedChars = 0;
    private _lines = 0;
    private closed = false;

    private constructor(public readonly targetPath: string, private readonly tempPath: string, private readonly file: FileHandle) {}

    public static async create(targetPath: string): Promise<JsonlFileWriter> {
        const tempPath = `${targetPath}.${randomBytes(4).toString("hex")}.tmp`;
        try {
            return new JsonlFileWriter(targetPath, tempPath, await open(tempPath, "wx"));
        } catch (error) {
            throw new TrainingFileAccessError(targetPath, "write", error);
        }
    }

    public get lines(): number {
        return this._lines;
    }

    /** Appends one line; `json` must hold no line break (`JSON.stringify` never writes one). */
    public async writeLine(json: string): Promise<void> {
        this.buffer.push(json, "\n");
        this.bufferedChars += json.length + 1;
        this._lines++;
        if (this.bufferedChars >= flushChars) await this.flush();
    }

    /** Flushes, syncs and renames the temporary file over the target. */
    public async commit(): Promise<void> {
        try {
            await this.flush();
            await this.file.sync();
            await this.close();
            await rename(this.tempPath, this.targetPath);
        } catch (error) {
            await this.discard();
            throw error instanceof TrainingFileAccessError ? error : new TrainingFileAccessError(this.targetPath, "write", error);
        }
    }

    /** Drops what was written; the target is left untouched. Safe to call more than once. */
    public async discard(): Promise<void> {
        await this.close();
        await rm(this.tempPath, {force: true});
    }

    private async flush(): Promise<void> {
        if (this.buffer.length === 0) return;
        const text = this.buffer.join("");
        this.buffer = [];
        this.bufferedChars = 0;
        try {
            await this.file.write(text);
        } catch (error) {
            throw new TrainingFileAccessError(this.targetPath, "write", error);
        }
    }

    private async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        await this.file.close();
    }
}
