import fs from "node:fs/promises";
import {LineSplitter} from "./LineSplitter";

/**
 * Follows a log file that another process (a Slurm job on a shared file system) appends to: each `read()` returns
 * the lines completed since the last one. A file that does not exist yet (the job is still pending) reads as empty.
 */
export class FileTail {
    private offset = 0;
    private readonly splitter = new LineSplitter();

    public constructor(public readonly filePath: string, private readonly chunkBytes = 64 * 1024) {}

    public get bytesRead(): number {
        return this.offset;
    }

    public async read(): Promise<string[]> {
        let handle: fs.FileHandle;
        try {
            handle = await fs.open(this.filePath, "r");
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
            throw error;
        }
        const lines: string[] = [];
        try {
            const buffer = Buffer.alloc(this.chunkBytes);
            for (;;) {
                const {bytesRead} = await handle.read(buffer, 0, buffer.length, this.offset);
                if (bytesRead === 0) break;
                this.offset += bytesRead;
                lines.push(...this.splitter.push(buffer.subarray(0, bytesRead)));
            }
        } finally {
            await handle.close();
        }
        return lines;
    }

    /** The rest, including an unterminated last line: call once the writer has finished. */
    public async end(): Promise<string[]> {
        return [...await this.read(), ...this.splitter.end()];
    }
}
