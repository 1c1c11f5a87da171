import {isUtf8} from "node:buffer";
import {createReadStream} from "node:fs";

export type FileLine = {
    /** 1-based. */
    lineNumber: number,
    /** Without its line break; a UTF-8 byte-order mark at the start of the file is removed. */
    text: string,
    /** False when the line's bytes are not UTF-8 (a GBK file, say); `text` then holds U+FFFD replacements. */
    isValidUtf8: boolean
};

export type ReadFileLinesOptions = {
    signal?: AbortSignal,
    chunkBytes?: number
};

/**
 * The lines of a file, read in chunks so a file of any size never has to be one string. Splits on bytes, not
 * characters, which is safe because 0x0A and 0x0D never occur inside a UTF-8 (or GBK) multi-byte character, and
 * lets each line be checked for valid UTF-8 on its own. Breaks are "\r\n", "\n" and a lone "\r", as in `LineIndex`.
 * Errors opening or reading the file are thrown from the iteration as Node reports them.
 */
export async function* readFileLines(
    filePath: string,
    {signal, chunkBytes = 1024 * 1024}: ReadFileLinesOptions = {}
): AsyncGenerator<FileLine> {
    const stream = createReadStream(filePath, {signal, highWaterMark: chunkBytes});
    let pending: Buffer[] = [];
    let lineNumber = 0;
    let skipLineFeed = false;

    const takeLine = (): FileLine => {
        let bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        pending = [];
        lineNumber++;
        if (lineNumber === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
            bytes = bytes.subarray(3);
        return {lineNumber, text: bytes.toString("utf8"), isValidUtf8: isUtf8(bytes)};
    };

    try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
            let start = 0;
            // A "\r" that ended the previous chunk may be the first half of "\r\n"
            if (skipLineFeed && chunk[0] === 0x0a) start = 1;
            skipLineFeed = false;

            let lineFeed = -2;
            let carriageReturn = -2;
            for (;;) {
                if (lineFeed !== -1 && lineFeed < start) lineFeed = chunk.indexOf(0x0a, start);
                if (carriageReturn !== -1 && carriageReturn < start) carriageReturn = chunk.indexOf(0x0d, start);
                const lineBreak = lineFeed === -1 ? carriageReturn
                    : carriageReturn === -1 ? lineFeed
                        : Math.min(lineFeed, carriageReturn);
                if (lineBreak === -1) break;

                pending.push(chunk.subarray(start, lineBreak));
                yield takeLine();
                start = lineBreak + 1;
                if (chunk[lineBreak] === 0x0d) {
                    if (start === chunk.length) skipLineFeed = true;
                    else if (chunk[start] === 0x0a) start++;
                }
            }
            if (start < chunk.length) pending.push(chunk.subarray(start));
        }
        if (pending.length > 0) yield takeLine();
    } finally {
        // Reached when the consumer stops early (break, return, throw): release the file handle now
        stream.destroy();
    }
}
