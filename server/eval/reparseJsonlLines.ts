import type {EvalItem} from "./EvalItem";
import type {EvalSetDiagnostic} from "./EvalSetDiagnostic";
import {EvalSetReader} from "./EvalSetReader";
import type {EvalSetParseResult} from "./readEvalSet";

/** Diagnostics about the whole file, or about the reader's cap: with them, only a full parse says the same. */
const wholeFileCodes: ReadonlySet<string> = new Set(["empty_eval_set", "too_many_diagnostics", "invalid_encoding"]);

/**
 * A JSONL eval set's parse after edits that stayed within lines (typing in a question, say): only the changed lines
 * are read again, and the duplicate warnings, which link lines, are worked out again from the items. The result is
 * what `parseEvalSet` gives for the new text (a unit test holds it to that on random edits), at the cost of the
 * changed lines plus one pass over the items' questions. Null when it cannot be: not JSONL, an edit that added or
 * removed a line break or turned a blank line into an item (indices move), whole-file diagnostics, or the cap.
 * `lineText(n)` gives the new text of 1-based line n; `changedLines` the lines whose text may differ.
 */
export function reparseJsonlLines(
    previous: EvalSetParseResult,
    lineText: (line: number) => string,
    changedLines: Iterable<number>,
    {maxDiagnostics = 1000}: {maxDiagnostics?: number} = {}
): EvalSetParseResult | null {
    if (previous.format !== "jsonl" || previous.diagnostics.some((diagnostic) => wholeFileCodes.has(diagnostic.code))) return null;
    const {filePath} = previous;
    const previousItemsByLine = new Map(previous.items.map((item) => [item.range.line, item]));
    const itemsByLine = new Map(previousItemsByLine);
    const diagnosticsByLine = new Map<number, EvalSetDiagnostic[]>();
    for (const diagnostic of previous.diagnostics) {
        if (diagnostic.code === "duplicate_question") continue; // worked out again below
        const onLine = diagnosticsByLine.get(diagnostic.line);
        if (onLine == null) diagnosticsByLine.set(diagnostic.line, [diagnostic]);
        else onLine.push(diagnostic);
    }

    for (const line of new Set(changedLines)) {
        const oldIndex = itemsByLine.get(line)?.index ?? diagnosticsByLine.get(line)?.find((diagnostic) => diagnostic.itemIndex != null)?.itemIndex;
        const text = lineText(line);
        const blank = /^\s*$/.test(line === 1 && text.startsWith("\ufeff") ? text.slice(1) : text);
        if (oldIndex == null) {
            if (blank) continue; // blank before (a line with no entry) and blank now
            return null; // a new item: the indices of every later item move
        }
        if (blank) return null; // an item removed: indices move too
        const entries = new EvalSetReader(filePath, Number.MAX_SAFE_INTEGER, oldIndex).readJsonlLine(text, line);
        itemsByLine.delete(line);
        diagnosticsByLine.delete(line);
        for (const entry of entries) {
            if (entry.kind === "item") itemsByLine.set(line, entry.item);
            else {
                const onLine = diagnosticsByLine.get(line);
                if (onLine == null) diagnosticsByLine.set(line, [entry.diagnostic]);
                else onLine.push(entry.diagnostic);
            }
        }
    }

    const lines = [...new Set([...itemsByLine.keys(), ...diagnosticsByLine.keys()])].sort((left, right) => left - right);
    const items: EvalItem[] = lines.flatMap((line) => itemsByLine.get(line) ?? []);

    // Duplicates as the reader finds them: in file order, among valid items, by the question with runs of whitespace as one
    const previousDuplicates = new Map(previous.diagnostics.filter((diagnostic) => diagnostic.code === "duplicate_question").map((diagnostic) => [diagnostic.line, diagnostic]));
    const firstLineOfQuestion = new Map<string, number>();
    const duplicates = new Map<number, EvalSetDiagnostic>();
    for (const item of items) {
        const key = item.question.replace(/\s+/gu, " ").trim();
        const firstLine = firstLineOfQuestion.get(key);
        if (firstLine === undefined) {
            firstLineOfQuestion.set(key, item.range.line);
            continue;
        }
        const known = previousDuplicates.get(item.range.line);
        if (known != null && known.args.firstLine === firstLine && item === previousItemsByLine.get(item.range.line)) {
            duplicates.set(item.range.line, known);
            continue;
        }
        // Read the pair again so the warning is the reader's own: its range, message and args
        const reader = new EvalSetReader(filePath, Number.MAX_SAFE_INTEGER, item.index - 1);
        reader.readJsonlLine(lineText(firstLine), firstLine);
        const warning = reader.readJsonlLine(lineText(item.range.line), item.range.line)
            .find((entry) => entry.kind === "diagnostic" && entry.diagnostic.code === "duplicate_question");
        if (warning?.kind !== "diagnostic") return null;
        duplicates.set(item.range.line, {...warning.diagnostic, itemIndex: item.index});
    }

    const diagnostics = lines.flatMap((line) => [...diagnosticsByLine.get(line) ?? [], ...duplicates.has(line) ? [duplicates.get(line)!] : []]);
    if (diagnostics.length > maxDiagnostics) return null;
    return {filePath, format: "jsonl", items, diagnostics};
}
