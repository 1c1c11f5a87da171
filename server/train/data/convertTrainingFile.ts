import path from "node:path";
import {JsonlFileWriter} from "./JsonlFileWriter";
import {readTrainingFile, type TrainingFileJobOptions} from "./readTrainingFile";
import type {TrainingDataDiagnostic} from "./TrainingDataDiagnostic";
import type {TrainingExample, TrainingFileLayout, TrainingFormat} from "./TrainingExample";

export type ConvertTrainingFileOptions = TrainingFileJobOptions & {
    to: TrainingFormat,
    /** Ids for single-turn records that have none become `<idPrefix>-<n>` (BELLE's converter's `dataset_name`); default: the input's file name. */
    idPrefix?: string,
};

export type ConvertTrainingFileResult = {
    inputPath: string,
    outputPath: string,
    layout: TrainingFileLayout,
    from: TrainingFormat | null,
    to: TrainingFormat,
    written: number,
    /** Records dropped for a problem (each with a diagnostic). */
    skipped: number,
    /** Where the skipped records start (1-based lines), the first 100. */
    skippedLines: number[],
    /** Multi-turn examples of several exchanges written single-turn with the earlier turns packed into `instruction`. */
    packed: number,
    /** Ids made up for records that had none. */
    generatedIds: number,
    diagnostics: TrainingDataDiagnostic[],
    diagnosticsNotListed: number
};

/**
 * Converts a training file between BELLE's single-turn and multi-turn formats, as a stream, to a JSONL file written
 * through a temporary file. Single → multi is BELLE's `convert_to_conv_data.py`: the human turn is instruction +
 * input, the id is the record's (a number stays a number) or `<idPrefix>-<n>`, n the record's place in the input
 * (skipped records count, as its script counts lines). Multi → single: one exchange becomes {instruction, input: "",
 * output}; several are packed as BELLE's multi-turn release does, `Human:…\nAssistant:…\nHuman:…\nAssistant:` in
 * `instruction` and the last answer in `output`. Ids are kept. Converting to the file's own format re-writes the
 * valid records as JSONL. Broken records are dropped and reported.
 */
export async function convertTrainingFile(inputPath: string, outputPath: string, {
    to, idPrefix = path.basename(inputPath).replace(/\.(jsonl?|txt)$/i, ""), maxDiagnostics = 100, signal, onProgress
}: ConvertTrainingFileOptions): Promise<ConvertTrainingFileResult> {
    const result: ConvertTrainingFileResult = {
        inputPath, outputPath, layout: "jsonl", from: null, to, written: 0, skipped: 0, skippedLines: [], packed: 0, generatedIds: 0, diagnostics: [], diagnosticsNotListed: 0
    };
    const writer = await JsonlFileWriter.create(outputPath);
    try {
        const entries = readTrainingFile(inputPath, {signal, onProgress});
        // BELLE's converter numbers records by their place in the file, counting every line it reads; so does this,
        // skipped records included, so made-up ids match the ones its script gives
        let recordNumber = 0;
        let next;
        while (!(next = await entries.next()).done) {
            const entry = next.value;
            recordNumber++;
            if (entry.kind === "diagnostic") {
                result.skipped++;
                if (result.skippedLines.length < maxDiagnostics) result.skippedLines.push(entry.diagnostic.line);
                if (result.diagnostics.length < maxDiagnostics) result.diagnostics.push(entry.diagnostic);
                else result.diagnosticsNotListed++;
                continue;
            }
            const example = entry.example;
            let record: object;
            if (to === "multi-turn") {
                if (example.id == null) result.generatedIds++;
                record = toMultiTurnRecord(example, example.idValue ?? example.id ?? `${idPrefix}-${recordNumber}`);
            } else {
                if (example.turns.length > 2) result.packed++;
                record = toSingleTurnRecord(example);
            }
            await writer.writeLine(JSON.stringify(record));
            result.written++;
        }
        result.layout = next.value.layout;
        result.from = next.value.format;
        await writer.commit();
    } catch (error) {
        await writer.discard();
        throw error;
    }
    return result;
}

/** BELLE's multi-turn record, `{"id", "conversations": [{"from", "value"}, …]}`. */
export function toMultiTurnRecord(example: TrainingExample, id: string | number): {id: string | number, conversations: Array<{from: "human" | "assistant", value: string}>} {
    return {id, conversations: example.turns.map((turn) => ({from: turn.role === "user" ? "human" : "assistant", value: turn.text}))};
}

/** BELLE's single-turn record, with the example's id first when it has one; see `convertTrainingFile` for several exchanges. */
export function toSingleTurnRecord(example: TrainingExample): {id?: string | number, instruction: string, input: string, output: string} {
    const id = example.idValue ?? example.id;
    const idField = id == null ? {} : {id};
    if (example.singleTurn != null)
        return {...idField, ...example.singleTurn, output: example.turns[1]!.text};
    const turns = example.turns;
    if (turns.length === 2)
        return {...idField, instruction: turns[0]!.text, input: "", output: turns[1]!.text};
    let instruction = "";
    for (let index = 0; index < turns.length - 1; index++)
        instruction += `${index === 0 ? "" : "\n"}${turns[index]!.role === "user" ? "Human:" : "Assistant:"}${turns[index]!.text}`;
    return {...idField, instruction: `${instruction}\nAssistant:`, input: "", output: turns.at(-1)!.text};
}
