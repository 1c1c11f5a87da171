import type {LengthStats} from "./LengthHistogram";
import {formatTrainingDataDiagnostic} from "./TrainingDataDiagnostic";
import type {TrainingFileSummary} from "./validateTrainingFile";

/** The summary as `belle train validate` prints it: English, aligned columns, problems as `path:line:column: message`. */
export function formatTrainingFileSummary(summary: TrainingFileSummary): string {
    const out: string[] = [];
    const {counts} = summary;
    out.push(`Training file   ${summary.filePath}`);
    out.push(`Format          ${summary.format ?? "unknown (no valid record)"}, ${summary.layout === "jsonl" ? "JSONL" : "JSON array"}`);
    out.push(`Examples        ${number(counts.examples)} (${number(counts.multiExchangeExamples)} with several exchanges), ` +
        `${plural(counts.turns, "turn")}, ${plural(counts.lines, "line")}, ${number(counts.badLines)} bad`);
    out.push("");

    const columns: Array<[string, LengthStats]> = [["characters", summary.characters]];
    if (summary.tokens != null) columns.push(["tokens", summary.tokens]);
    out.push(`Length per example${summary.tokens == null ? " (characters; give --model for tokens)" : ""}`);
    const rows: string[][] = [["", ...columns.map(([name]) => name)]];
    summary.characters.histogram.forEach((bucket, index) => rows.push([
        bucket.to == null ? `≥ ${number(bucket.from)}` : `${number(bucket.from)}–${number(bucket.to - 1)}`,
        ...columns.map(([, stats]) => number(stats.histogram[index]!.count))
    ]));
    rows.push(["min", ...columns.map(([, stats]) => number(stats.min))]);
    rows.push(["mean", ...columns.map(([, stats]) => number(Math.round(stats.mean)))]);
    rows.push(["max", ...columns.map(([, stats]) => number(stats.max))]);
    out.push(...table(rows, "  "));
    out.push("");

    if (summary.overContext != null) {
        const {contextLength, unit, count, firstLines} = summary.overContext;
        out.push(`Over the context (${number(contextLength)} ${unit}): ${number(count)}${lineList(firstLines, count)}` +
            (unit === "characters" ? " — characters, not tokens: give --model for the real count" : ""));
    }
    const {exact, near} = summary.duplicates;
    const exactPairs = exact.examples.map((pair) => `line ${pair.line} = line ${pair.firstLine}`);
    out.push(`Exact duplicates: ${number(exact.count)}${listed(exactPairs, exact.count)}`);
    const nearPairs = near.examples.map((pair) => `line ${pair.line} ≈ line ${pair.firstLine} (${pair.similarity.toFixed(2)})`);
    out.push(`Near-duplicate human turns (similarity ≥ ${near.threshold}): ${number(near.count)}${listed(nearPairs, near.count)}`);
    if (near.notIndexed > 0)
        out.push(`  (later examples were compared with the first ${number(near.indexed)} only, to bound memory)`);

    const contamination = summary.contamination;
    if (contamination != null) {
        out.push("");
        out.push(`Contamination with ${contamination.evalSetPath} (${number(contamination.evalItems)} questions` +
            `${contamination.evalSetProblems === 0 ? "" : `, ${contamination.evalSetProblems} problems in the eval set`}; similarity ≥ ${contamination.threshold}, or the whole question inside a longer text)`);
        if (contamination.trainingExamples === 0)
            out.push("  None: no eval question is in the training data.");
        else {
            out.push(`  Found ${plural(contamination.evalItemsFound, "eval question")} in ${plural(contamination.trainingExamples, "training example")} ` +
                `(${number(contamination.exactMatches)} exact). Remove them from the training data, or the eval scores will overstate the model.`);
            const matchRows = [["training line", "field", "eval line", "similarity", "match"]];
            for (const match of contamination.matches)
                matchRows.push([String(match.trainingLine), match.trainingField, String(match.evalLine), match.similarity.toFixed(3), match.exact ? "exact" : match.contained ? "inside a longer text" : "near"]);
            out.push(...table(matchRows, "  "));
            if (contamination.matchesNotListed > 0) out.push(`  … and ${number(contamination.matchesNotListed)} more`);
        }
    }

    if (summary.diagnostics.length > 0) {
        out.push("");
        out.push("Problems (these records are skipped):");
        for (const diagnostic of summary.diagnostics) out.push(formatTrainingDataDiagnostic(diagnostic));
        if (summary.diagnosticsNotListed > 0) out.push(`… and ${number(summary.diagnosticsNotListed)} more`);
    }
    return out.join("\n");
}

/** Rows under a header row; a column of numbers is right-aligned, any other left-aligned. */
function table(rows: readonly string[][], indent: string): string[] {
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => [...row[column]!].length)));
    const numeric = rows[0]!.map((_, column) => rows.slice(1).every((row) => /^[\d.,]+$/.test(row[column]!)));
    return rows.map((row) => indent + row.map((cell, column) => numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)).join("  ").trimEnd());
}

function plural(count: number, noun: string): string {
    return `${number(count)} ${noun}${count === 1 ? "" : "s"}`;
}

function listed(items: readonly string[], count: number): string {
    return items.length === 0 ? "" : ` (${items.join(", ")}${more(items.length, count)})`;
}

function lineList(lines: readonly number[], count: number): string {
    return lines.length === 0 ? "" : ` (line${lines.length === 1 ? "" : "s"} ${lines.join(", ")}${more(lines.length, count)})`;
}

function more(listed: number, count: number): string {
    return count > listed ? `, … ${number(count - listed)} more` : "";
}

function number(value: number): string {
    return value.toLocaleString("en-US");
}
