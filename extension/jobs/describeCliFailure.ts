/**
 * The cause a failed `belle` command gave: its "belle: …" line (the CLI prints its usage after it, which said nothing
 * of the cause), else the last line that is not usage.
 */
export function describeCliFailure(stderr: string): string | null {
    const lines = stderr.split("\n").map((line) => line.trimEnd()).filter((line) => line.trim() !== "");
    const cause = lines.filter((line) => line.startsWith("belle: ")).at(-1);
    if (cause != null) return cause.slice("belle: ".length);
    const usage = lines.findIndex((line) => /^\s*(usage:|belle <command>)/i.test(line));
    return (usage < 0 ? lines : lines.slice(0, usage)).at(-1) ?? null;
}
