// Shared by the in-host suite (which prints the markers) and the runner (which reads them): mocha's report
// reaches the runner mixed into the workbench log, one `[level] message` line per console call.

export const inHostReportStart = "===== BELLE in-host suite: mocha report =====";
export const inHostReportEnd = "===== BELLE in-host suite: end of report =====";

/** Mocha's report out of the workbench log, without the level prefixes; empty when the suite never started. */
export function extractInHostReport(logs: readonly string[]): string[] {
    const messages = logs.map((line) => line.replace(/^\[\w+\] /, ""));
    const start = messages.indexOf(inHostReportStart);
    if (start === -1) return [];
    const end = messages.indexOf(inHostReportEnd, start);
    return messages.slice(start + 1, end === -1 ? undefined : end);
}
