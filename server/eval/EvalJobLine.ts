/**
 * What `belle eval --json-lines` prints on stdout, one JSON object per line: the contract between the eval job
 * process and whoever shows it (VS Code's progress notification). Diagnostics and errors go to stderr.
 */
export type EvalJobLine =
    | {
        /** After the run file is opened (`resumed` items were already in it) and after each item. */
        type: "progress",
        runFilePath: string,
        done: number,
        total: number,
        failed: number,
        meanScore: number | null,
        etaMs: number | null
    }
    | {
        /** The last line: `complete` false when the job was stopped (SIGINT/SIGTERM) and can be resumed. */
        type: "finished",
        runFilePath: string,
        done: number,
        total: number,
        resumed: number,
        cachedAnswers: number,
        generatedAnswers: number,
        complete: boolean
    };

export function isEvalJobLine(value: unknown): value is EvalJobLine {
    if (typeof value !== "object" || value == null) return false;
    const line = value as Record<string, unknown>;
    const counts = typeof line.runFilePath === "string" && typeof line.done === "number" && typeof line.total === "number";
    if (line.type === "progress")
        return counts && typeof line.failed === "number" && (line.meanScore === null || typeof line.meanScore === "number")
            && (line.etaMs === null || typeof line.etaMs === "number");
    if (line.type === "finished")
        return counts && typeof line.resumed === "number" && typeof line.cachedAnswers === "number"
            && typeof line.generatedAnswers === "number" && typeof line.complete === "boolean";
    return false;
}
