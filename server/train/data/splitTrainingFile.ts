import path from "node:path";
import {hashTrainingExample} from "./hashTrainingExample";
import {JsonlFileWriter} from "./JsonlFileWriter";
import {readTrainingFile, type TrainingFileJobOptions} from "./readTrainingFile";
import type {TrainingDataDiagnostic} from "./TrainingDataDiagnostic";
import type {TrainingFormat, TrainingTurn} from "./TrainingExample";
import {TrainingDataError} from "./trainingDataErrors";

export type SplitTrainingFileOptions = TrainingFileJobOptions & {
    /** Share of the examples for validation, strictly between 0 and 1 (BELLE's scripts use 0.01–0.05). */
    validationRatio: number,
    /** Another seed gives another split; the same seed always gives the same one. */
    seed?: number,
    /** Default: `<name>.train.jsonl` and `<name>.validation.jsonl` beside the input. */
    trainPath?: string,
    validationPath?: string,
};

export type SplitTrainingFileResult = {
    trainPath: string,
    validationPath: string,
    format: TrainingFormat | null,
    train: number,
    validation: number,
    skipped: number,
    diagnostics: TrainingDataDiagnostic[],
    diagnosticsNotListed: number
};

/** The side an example takes in a split: a hash of its content and the seed, compared with the ratio. */
export function isValidationExample(turns: readonly TrainingTurn[], validationRatio: number, seed = 0): boolean {
    return hashTrainingExample(turns, `belle-split:${seed}\n`).readUInt32BE(0) < Math.floor(validationRatio * 2 ** 32);
}

/**
 * Splits a training file into train and validation JSONL files, as a stream. Where an example goes depends only on
 * its content and the seed (a hash of both, compared with the ratio), so a re-run gives the same split, an example
 * keeps its side when others are added or removed, and exact duplicates land on the same side instead of leaking
 * the validation set into training. The shares are the ratio up to sampling noise (±2√(n·r·(1−r)) examples).
 * Records are written as they were (JSONL lines verbatim); broken ones are dropped and reported.
 */
export async function splitTrainingFile(inputPath: string, {
    validationRatio, seed = 0, trainPath, validationPath, maxDiagnostics = 100, signal, onProgress
}: SplitTrainingFileOptions): Promise<SplitTrainingFileResult> {
    if (!(validationRatio > 0 && validationRatio < 1))
        throw new TrainingDataError(`The validation share must be between 0 and 1 (got ${validationRatio}).`, "invalid_split_ratio");
    const base = path.join(path.dirname(inputPath), path.basename(inputPath).replace(/\.(jsonl?|txt)$/i, ""));
    const result: SplitTrainingFileResult = {
        trainPath: trainPath ?? `${base}.train.jsonl`, validationPath: validationPath ?? `${base}.validation.jsonl`,
        format: null, train: 0, validation: 0, skipped: 0, diagnostics: [], diagnosticsNotListed: 0
    };
    const trainWriter = await JsonlFileWriter.create(result.trainPath);
    let validationWriter: JsonlFileWriter | null = null;
    try {
        validationWriter = await JsonlFileWriter.create(result.validationPath);
        const entries = readTrainingFile(inputPath, {signal, onProgress});
        let next;
        while (!(next = await entries.next()).done) {
            const entry = next.value;
            if (entry.kind === "diagnostic") {
                result.skipped++;
                if (result.diagnostics.length < maxDiagnostics) result.diagnostics.push(entry.diagnostic);
                else result.diagnosticsNotListed++;
                continue;
            }
            if (isValidationExample(entry.example.turns, validationRatio, seed)) {
                await validationWriter.writeLine(entry.recordJson);
                result.validation++;
            } else {
                await trainWriter.writeLine(entry.recordJson);
                result.train++;
            }
        }
        result.format = next.value.format;
        await trainWriter.commit();
        await validationWriter.commit();
    } catch (error) {
        await trainWriter.discard();
        await validationWriter?.discard();
        throw error;
    }
    return result;
}
