import {open} from "node:fs/promises";

/** How JSON records sit in a file: one per line, or one array; "utf-16" for a file that is not UTF-8 at all. */
export type SniffedJsonLayout = "jsonl" | "json-array" | "utf-16";

const sniffChunkBytes = 64 * 1024;

/**
 * The layout of a file of JSON records (eval sets, training data) from its first byte that is not whitespace (a
 * UTF-8 BOM skipped), reading no more of the file than that takes: '[' is an array, anything else JSONL.
 */
export async function sniffJsonLayout(filePath: string): Promise<SniffedJsonLayout> {
    const file = await open(filePath, "r");
    try {
        const buffer = Buffer.alloc(sniffChunkBytes);
        let position = 0;
        for (;;) {
            const {bytesRead} = await file.read(buffer, 0, sniffChunkBytes, position);
            if (bytesRead === 0) return "jsonl";
            let index = 0;
            if (position === 0) {
                if ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff)) return "utf-16";
                if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) index = 3;
            }
            for (; index < bytesRead; index++) {
                const byte = buffer[index];
                if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)
                    return byte === 0x5b ? "json-array" : "jsonl";
            }
            position += bytesRead;
        }
    } finally {
        await file.close();
    }
}
