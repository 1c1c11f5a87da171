export interface TopLevelBlock {
    type: string,
    startLine: number,
    /** Exclusive. */
    endLine: number,
    /** The fence characters for a fence (``` or ~~~…). */
    markup: string
}

/** Whether `line` closes a fence opened with `markup` (CommonMark: same character, at least as many, nothing after). */
export function isClosingFence(line: string, markup: string): boolean {
    const match = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
    return match != null && match[1]![0] === markup[0] && match[1]!.length >= markup.length;
}

/**
 * The first line of `lines` that text still to come can change: everything before it renders the same whatever
 * follows, so its DOM can be built once and kept.
 *
 * A block is final once the next top-level block has started on a finished line: that line did not continue it,
 * and appending text changes only the unfinished last line. (An unfinished line can still flip the block before
 * it: "2" under "1. a" may become "2. b" and join the list; "-" under a paragraph may become a setext underline.)
 * A top-level fence whose closing line is finished is final too, whatever comes next.
 *
 * `lines` is the text split on "\n"; its last entry is the unfinished line (possibly empty).
 */
export function findSettledLine(blocks: readonly TopLevelBlock[], lines: readonly string[]): number {
    const unfinishedLine = lines.length - 1;
    let settled = 0;
    // From the first block too: what precedes it is blank lines (or reference definitions, which render nothing).
    for (const block of blocks)
        if (block.startLine < unfinishedLine) settled = Math.max(settled, block.startLine);
    for (const block of blocks) {
        if (block.type !== "fence" || block.endLine - 1 <= block.startLine || block.endLine - 1 >= unfinishedLine) continue;
        if (isClosingFence(lines[block.endLine - 1]!, block.markup)) settled = Math.max(settled, block.endLine);
    }
    return settled;
}
