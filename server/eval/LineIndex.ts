/** A 1-based line and a 1-based column counted in UTF-16 code units, as VS Code's `Position.character + 1`. */
export type LineColumn = {line: number, column: number};

/**
 * Turns offsets in a text into lines and columns. Line breaks are "\r\n", "\n" and a lone "\r", the three that
 * VS Code counts, so a diagnostic lands on the line the editor shows.
 */
export class LineIndex {
    private readonly lineStarts: number[] = [0];

    public constructor(text: string) {
        for (let offset = 0; offset < text.length; offset++) {
            const code = text.charCodeAt(offset);
            if (code === 0x0a)
                this.lineStarts.push(offset + 1);
            else if (code === 0x0d) {
                if (text.charCodeAt(offset + 1) === 0x0a) offset++;
                this.lineStarts.push(offset + 1);
            }
        }
    }

    public get lineCount(): number {
        return this.lineStarts.length;
    }

    public positionAt(offset: number): LineColumn {
        let low = 0;
        let high = this.lineStarts.length - 1;
        while (low < high) {
            const middle = (low + high + 1) >> 1;
            if (this.lineStarts[middle]! <= offset) low = middle;
            else high = middle - 1;
        }
        return {line: low + 1, column: offset - this.lineStarts[low]! + 1};
    }
}
