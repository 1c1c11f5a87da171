import {NearDuplicateIndex} from "../../eval/annotation/findNearDuplicates";
import {readEvalSetFile} from "../../eval/readEvalSet";
import {DigestTable} from "./DigestTable";
import {EvalContaminationIndex, type ContaminationMatch} from "./EvalContaminationIndex";
import {hashTrainingExample} from "./hashTrainingExample";
import {LengthHistogram, type LengthStats} from "./LengthHistogram";
import {readTrainingFile} from "./readTrainingFile";
import {renderTrainingText} from "./renderTrainingText";
import type {TrainingDataDiagnostic} from "./TrainingDataDiagnostic";
import type {TrainingExample, TrainingFileLayout, TrainingFormat} from "./TrainingExample";

export type ValidateTrainingFileOptions = {
    /** A BELLE eval set whose questions must not be in the training data. */
    evalSetPath?: string,
    /**
     * Tokens in a text with the model to be trained's tokenizer (node-llama-cpp's `model.tokenize(text).length`).
     * Without it, lengths are in characters only.
     */
    tokenize?: (text: string) => number,
    /** The training context length: examples longer than this are truncated or dropped by a trainer. */
    contextLength?: number,
    /** Jaccard similarity (0–1) from which two human turns are near-duplicates. */
    nearDuplicateThreshold?: number,
    /** Jaccard similarity (0–1) from which a training text counts as an eval question. */
    contaminationThreshold?: number,
    /**
     * Memory for the near-duplicate index, which holds the human turns of the first examples of the file until this
     * is spent (estimated at 1 KiB plus 48 bytes per character of each, as measured); later examples are still
     * compared against them, but not added.
     */
    nearDuplicateIndexBytes?: number,
    /** How many lines each finding lists (the rest are counted). */
    maxListed?: number,
    maxDiagnostics?: number,
    maxContaminationMatches?: number,
    signal?: AbortSignal,
    onProgress?: (progress: ValidationProgress) => void
};

export type ValidationProgress = {bytesRead: number, totalBytes: number, lines: number, examples: number};

/** What `belle train validate --json` prints. */
export type TrainingFileSummary = {
    filePath: string,
    layout: TrainingFileLayout,
    /** Null when no record was recognisably one format. */
    format: TrainingFormat | null,
    counts: {
        lines: number,
        examples: number,
        turns: number,
        /** Examples of more than one human/assistant exchange. */
        multiExchangeExamples: number,
        /** Diagnostics: each a skipped record, or a problem with the file's structure. */
        badLines: number
    },
    /** Per example: characters (code points) of all its turns' texts. */
    characters: LengthStats,
    /**
     * Per example: tokens of the text the trainer builds (`Human: \n…\n\nAssistant: \n…`, see `renderTrainingText`)
     * plus one EOS per assistant turn; null without a tokenizer.
     */
    tokens: LengthStats | null,
    /** Null without a context length. `unit` is "characters" when no tokenizer was given: a rough stand-in. */
    overContext: {contextLength: number, unit: "tokens" | "characters", count: number, firstLines: number[]} | null,
    duplicates: {
        /** Examples whose turns (trimmed) equal an earlier example's. */
        exact: {count: number, examples: Array<{line: number, firstLine: number}>},
        /** Examples, not exact duplicates, whose human side is as similar as `threshold` to an earlier one's. */
        near: {
            count: number, threshold: number,
            /**
             * Examples whose human side is in the index, and examples compared with it but not added once its memory
             * budget was spent: when `notIndexed` > 0, two near-duplicates both after the first `indexed` are missed.
             */
            indexed: number, notIndexed: number,
            examples: Array<{line: number, firstLine: number, similarity: number}>
        }
    },
    /** Null without an eval set. */
    contamination: {
        evalSetPath: string,
        /** Valid items of the eval set, and the problems its reader reported (broken items are not checked). */
        evalItems: number,
        evalSetProblems: number,
        threshold: number,
        /** Training examples holding at least one eval question, and the distinct eval items found. */
        trainingExamples: number,
        evalItemsFound: number,
        exactMatches: number,
        matches: ContaminationMatch[],
        matchesNotListed: number
    } | null,
    diagnostics: TrainingDataDiagnostic[],
    diagnosticsNotListed: number,
    elapsedMs: number
};

/**
 * Reads a training file once, as a stream, and summarises it before a training job: format, counts, length
 * histograms, examples over the context length, duplicates and eval-set contamination (BELLE's papers insist the
 * eval data stay independent of the training data). Memory stays flat for a JSONL file of any size: per example
 * only an 8-byte digest and its line (`DigestTable`: 12–48 bytes an example, outside the JS heap), plus a
 * near-duplicate index capped at `nearDuplicateIndexBytes` and the eval set's own index; the examples themselves are
 * never kept.
 */
export async function validateTrainingFile(filePath: string, {
    evalSetPath, tokenize, contextLength, nearDuplicateThreshold = 0.8, contaminationThreshold = 0.8,
    nearDuplicateIndexBytes = 32 * 1024 * 1024, maxListed = 20, maxDiagnostics = 100, maxContaminationMatches = 1000, signal, onProgress
}: ValidateTrainingFileOptions = {}): Promise<TrainingFileSummary> {
    const startedAt = performance.now();
    let contamination: TrainingFileSummary["contamination"] = null;
    let evalIndex: EvalContaminationIndex | null = null;
    const evalItemsFound = new Set<number>();
    if (evalSetPath != null) {
        const evalSet = await readEvalSetFile(evalSetPath, {signal});
        evalIndex = new EvalContaminationIndex(evalSet.items, contaminationThreshold);
        contamination = {
            evalSetPath, evalItems: evalSet.items.length, evalSetProblems: evalSet.diagnostics.length, threshold: contaminationThreshold,
            trainingExamples: 0, evalItemsFound: 0, exactMatches: 0, matches: [], matchesNotListed: 0
        };
    }

    const characters = new LengthHistogram();
    const tokens = tokenize == null ? null : new LengthHistogram();
    const overContext = contextLength == null ? null
        : {contextLength, unit: tokenize == null ? "characters" as const : "tokens" as const, count: 0, firstLines: [] as number[]};
    const exactDuplicates = new DigestTable();
    const nearIndex = new NearDuplicateIndex(nearDuplicateThreshold);
    const nearIndexLines: number[] = [];
    let nearIndexBytes = 0;
    const duplicates: TrainingFileSummary["duplicates"] = {
        exact: {count: 0, examples: []},
        near: {count: 0, threshold: nearDuplicateThreshold, indexed: 0, notIndexed: 0, examples: []}
    };
    const counts = {lines: 0, examples: 0, turns: 0, multiExchangeExamples: 0, badLines: 0};
    const diagnostics: TrainingDataDiagnostic[] = [];

    const reportProgress = (progress: ValidationProgress) => {
        try {
            onProgress?.(progress);
        } catch {
            // a throwing progress listener must not stop the validation
        }
    };

    const entries = readTrainingFile(filePath, {
        signal,
        onProgress: onProgress == null ? undefined : (progress) => reportProgress({...progress, examples: counts.examples})
    });
    let next;
    while (!(next = await entries.next()).done) {
        const entry = next.value;
        if (entry.kind === "diagnostic") {
            counts.badLines++;
            if (diagnostics.length < maxDiagnostics) diagnostics.push(entry.diagnostic);
            continue;
        }
        const example = entry.example;
        counts.examples++;
        counts.turns += example.turns.length;
        if (example.turns.length > 2) counts.multiExchangeExamples++;

        const characterCount = countCharacters(example);
        characters.add(characterCount);
        let length = characterCount;
        if (tokenize != null) {
            const assistantTurns = example.turns.length / 2;
            length = tokenize(renderTrainingText(example.turns)) + assistantTurns;
            tokens!.add(length);
        }
        if (overContext != null && length > contextLength!) {
            overContext.count++;
            if (overContext.firstLines.length < maxListed) overContext.firstLines.push(example.line);
        }

        const firstLine = exactDuplicates.firstLineOrAdd(hashTrainingExample(example.turns), example.line);
        if (firstLine != null) {
            duplicates.exact.count++;
            if (duplicates.exact.examples.length < maxListed) duplicates.exact.examples.push({line: example.line, firstLine});
        } else {
            const humanSide = humanText(example);
            const cost = estimatedIndexBytes(humanSide);
            let match;
            if (nearIndexBytes + cost <= nearDuplicateIndexBytes) {
                nearIndexBytes += cost;
                match = nearIndex.add(humanSide);
                nearIndexLines.push(example.line);
            } else {
                // Past the budget: stop adding for good, so "the first examples" stays true
                nearIndexBytes = Infinity;
                duplicates.near.notIndexed++;
                match = nearIndex.query(humanSide);
            }
            if (match != null) {
                duplicates.near.count++;
                if (duplicates.near.examples.length < maxListed)
                    duplicates.near.examples.push({line: example.line, firstLine: nearIndexLines[match.index]!, similarity: round(match.similarity)});
            }
        }

        if (evalIndex != null) {
            const matches = evalIndex.match(example);
            if (matches.length > 0) {
                contamination!.trainingExamples++;
                for (const match of matches) {
                    evalItemsFound.add(match.evalIndex);
                    if (match.exact) contamination!.exactMatches++;
                    if (contamination!.matches.length < maxContaminationMatches)
                        contamination!.matches.push({...match, similarity: round(match.similarity)});
                    else contamination!.matchesNotListed++;
                }
            }
        }
    }
    const shape = next.value;
    counts.lines = shape.lines;
    duplicates.near.indexed = nearIndex.size;
    if (contamination != null) contamination.evalItemsFound = evalItemsFound.size;

    return {
        filePath,
        layout: shape.layout,
        format: shape.format,
        counts,
        characters: characters.toStats(),
        tokens: tokens?.toStats() ?? null,
        overContext,
        duplicates,
        contamination,
        diagnostics,
        diagnosticsNotListed: counts.badLines - diagnostics.length,
        elapsedMs: Math.round(performance.now() - startedAt)
    };
}

/**
 * What a text costs in `NearDuplicateIndex`, measured on CJK text: about 1 KiB per entry (its MinHash signature and
 * band keys as strings) plus 48 bytes per character bigram (a Set of numbers, many boxed).
 */
function estimatedIndexBytes(text: string): number {
    return 1024 + 48 * text.length;
}

/** The human side of an example, for near-duplicates: its human turns, one per line. */
function humanText(example: TrainingExample): string {
    if (example.turns.length === 2) return example.turns[0]!.text;
    return example.turns.filter((turn) => turn.role === "user").map((turn) => turn.text).join("\n");
}

/** Code points, so a CJK character or an emoji counts as one. */
function countCharacters(example: TrainingExample): number {
    let count = 0;
    for (const turn of example.turns) {
        const text = turn.text;
        count += text.length;
        // Each surrogate pair is two UTF-16 units for one character
        for (let index = 0; index < text.length; index++) {
            const code = text.charCodeAt(index);
            if (code >= 0xdc00 && code <= 0xdfff) count--;
        }
    }
    return count;
}

function round(similarity: number): number {
    return Math.round(similarity * 1000) / 1000;
}
