import {StringDecoder} from "node:string_decoder";

/**
 * Cuts a byte stream that arrives in arbitrary pieces (reads of a growing log file, a child's stdout) into UTF-8
 * lines: a line or a multibyte character split across two pieces comes out whole, once its end has arrived.
 * `\r` inside a line is kept (a tqdm bar redraws itself with carriage returns; parseTrainerLogLine reads the last
 * state); a `\r\n` ending is not.
 */
export class LineSplitter {
    private readonly decoder = new StringDecoder("utf8");
    private partial = "";

    /** The lines that this piece completes. */
    public push(chunk: Uint8Array): string[] {
        const text = this.partial + this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        const lines = text.split("\n");
        this.partial = lines.pop()!;
        return lines.map(stripCarriageReturn);
    }

    /** The unterminated last line, if any (at the end of the stream). */
    public end(): string[] {
        const rest = this.partial + this.decoder.end();
        this.partial = "";
        return rest === "" ? [] : [stripCarriageReturn(rest)];
    }
}

function stripCarriageReturn(line: string): string {
    return line.endsWith("\r") ? line.slice(0, -1) : line;
}
