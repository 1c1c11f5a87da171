import fs from "node:fs/promises";
import path from "node:path";

/**
 * A training job as a small JSON file in the workspace (`.belle/train/<name>.json`), so it can be re-run, edited
 * and run headless: `belle train run <spec.json>`. Paths are relative to the spec's folder.
 *
 * ```json
 * {"version": 1, "baseModel": "../models/base-f32.gguf", "trainingFile": "../data/train.jsonl",
 *  "output": "../models/tuned.gguf", "epochs": 2, "learningRate": 0.0001, "contextTokens": 512, "lossOn": "assistant",
 *  "validationSplit": 0.05}
 * ```
 *
 * A validation loss is reported after each epoch when the spec holds out examples: `validationSplit` (a share of the
 * training file's examples, chosen by a hash of their content as `belle train split` does, so the same file always
 * gives the same split) or `validationFile` (a file of its own), not both.
 */
export type TrainJobSpec = {
    version: 1,
    /** An F32 (or F16) GGUF: llama.cpp trains F32 tensors only. */
    baseModel: string,
    /** BELLE single-turn or multi-turn JSONL (or a JSON array). */
    trainingFile: string,
    output: string,
    epochs: number,
    learningRate: number,
    /** Tokens per training window, a multiple of 256. */
    contextTokens: number,
    lossOn: "assistant" | "all",
    /** Share of the training file's examples held out for validation, 0 to 0.5; 0 (the default) holds out none. */
    validationSplit: number,
    /** Validation examples from a file of their own (same formats as trainingFile); null when none. */
    validationFile: string | null
};

export class TrainJobSpecError extends Error {
    override name = "TrainJobSpecError";
}

const defaults = {epochs: 2, learningRate: 1e-4, contextTokens: 512, lossOn: "assistant"} as const;

/** Reads and checks a spec; its paths come back absolute. Throws `TrainJobSpecError` naming the file and the field. */
export async function readTrainJobSpec(specPath: string): Promise<TrainJobSpec> {
    let value: unknown;
    try {
        value = JSON.parse(await fs.readFile(specPath, "utf8"));
    } catch (error) {
        throw new TrainJobSpecError(`${specPath}: not a readable JSON file (${(error as Error).message}).`);
    }
    if (value == null || typeof value !== "object" || Array.isArray(value))
        throw new TrainJobSpecError(`${specPath}: a training job is a JSON object such as {"version": 1, "baseModel": …, "trainingFile": …, "output": …}.`);
    const spec = value as Record<string, unknown>;
    const fail = (field: string, what: string): never => {
        throw new TrainJobSpecError(`${specPath}: "${field}" ${what}.`);
    };
    if (spec.version !== 1) fail("version", "must be 1");
    const folder = path.dirname(path.resolve(specPath));
    const filePath = (field: string) => {
        const entry = spec[field];
        if (typeof entry !== "string" || entry.trim() === "") return fail(field, "must be a path (relative to the spec's folder)");
        return path.resolve(folder, entry);
    };
    const positive = (field: keyof typeof defaults, integer: boolean): number => {
        const entry = spec[field] ?? defaults[field];
        if (typeof entry !== "number" || !Number.isFinite(entry) || entry <= 0 || (integer && !Number.isInteger(entry)))
            return fail(field, `must be a positive ${integer ? "whole " : ""}number`);
        return entry;
    };
    const contextTokens = positive("contextTokens", true);
    if (contextTokens % 256 !== 0) fail("contextTokens", `must be a multiple of 256 (llama.cpp pads a training context to one), such as ${Math.ceil(contextTokens / 256) * 256}`);
    const lossOn = spec.lossOn ?? defaults.lossOn;
    if (lossOn !== "assistant" && lossOn !== "all") fail("lossOn", "must be \"assistant\" (BELLE's: answers only) or \"all\"");
    const validationSplit = spec.validationSplit ?? 0;
    if (typeof validationSplit !== "number" || !(validationSplit >= 0 && validationSplit <= 0.5))
        fail("validationSplit", "must be a share of the examples from 0 to 0.5, such as 0.05");
    const validationFile = spec.validationFile == null ? null : filePath("validationFile");
    if (validationFile != null && (validationSplit as number) > 0)
        fail("validationSplit", "cannot be used with \"validationFile\": hold out examples one way, not both");
    return {
        version: 1, baseModel: filePath("baseModel"), trainingFile: filePath("trainingFile"), output: filePath("output"),
        epochs: positive("epochs", true), learningRate: positive("learningRate", false), contextTokens, lossOn: lossOn as "assistant" | "all",
        validationSplit: validationSplit as number, validationFile
    };
}
