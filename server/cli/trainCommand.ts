import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {convertTrainingFile} from "../train/data/convertTrainingFile";
import {formatTrainingFileSummary} from "../train/data/formatTrainingFileSummary";
import type {TrainingFileReadProgress} from "../train/data/readTrainingFile";
import {isValidationExample, splitTrainingFile} from "../train/data/splitTrainingFile";
import {formatTrainingDataDiagnostic, type TrainingDataDiagnostic} from "../train/data/TrainingDataDiagnostic";
import {validateTrainingFile} from "../train/data/validateTrainingFile";
import type {TrainingTurn} from "../train/data/TrainingExample";
import {readTrainingFile} from "../train/data/readTrainingFile";
import {readTrainJobSpec} from "../train/TrainJobSpec";
import {runTrainWorker} from "../train/trainer/runTrainWorker";
import {CliUsageError} from "./CliUsageError";
import {trainSubmitCommand, trainSubmitUsage} from "./trainClusterCommand";
import {trainExternalCommand, trainExternalUsage} from "./trainExternalCommand";
import {resolveModelArgument} from "./resolveModelArgument";

export const trainUsage = `belle train validate <file> [--eval-set <file>] [--model <file.gguf | embedded>] [--context-length <n>] [--json]
    Checks a training file (JSONL, or a JSON array up to 64 MiB; single-turn {"instruction","input","output"} or
    multi-turn {"id","conversations"}) as a stream: counts, lengths, duplicates, bad records (path:line:column),
    and eval questions found in it (--eval-set). --model counts tokens with that model's tokenizer.
belle train convert <in> <out.jsonl> --to single|multi [--id-prefix <name>]
belle train split <file> --validation <share, e.g. 0.05> [--seed <n>] [--train-out <file>] [--validation-out <file>]
    Same seed, same split: an example's side depends on its content only.
belle train run <spec.json> [--json-lines]
    Full-parameter fine-tuning of an F32 GGUF with llama.cpp's training API, in a worker process. The spec:
    {"version": 1, "baseModel", "trainingFile", "output", "epochs": 2, "learningRate": 1e-4, "contextTokens": 512,
     "lossOn": "assistant" | "all", "validationSplit": 0 to 0.5 | "validationFile"} (paths relative to the spec's folder).
    validationSplit holds out that share of the examples (by content, as split does), validationFile a file of
    its own; either gives a validation loss per epoch.
${trainSubmitUsage}
${trainExternalUsage}`;

/** `belle train`: training-data checks and preparation, headless. */
export async function trainCommand(argv: string[]): Promise<void> {
    const [subcommand, ...rest] = argv;
    switch (subcommand) {
        case "validate": return validateCommand(rest);
        case "convert": return convertCommand(rest);
        case "split": return splitCommand(rest);
        case "run": return runCommand(rest);
        case "submit": return trainSubmitCommand(rest);
        case "external": return trainExternalCommand(rest);
        default:
            throw new CliUsageError(subcommand == null ? "train needs a subcommand: validate, convert, split, run, submit or external." : `Unknown train subcommand "${subcommand}".`);
    }
}

/**
 * `belle train run <spec.json>`: the built-in trainer on a job spec (`TrainJobSpec`), in a worker process; prints the
 * dataset, then loss, accuracy and speed per epoch (and the validation loss, when the spec holds out examples), and the
 * saved model. Bad records of the training and validation files are listed and skipped; no valid example to train on
 * (or, with validation asked for, none to validate on) stops before any training.
 */
async function runCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({args: argv, allowPositionals: true, strict: true, options: {"json-lines": {type: "boolean", default: false}}});
    // --json-lines: the worker's messages as they come, one JSON object per line (the extension's training view reads them)
    const jsonLines = values["json-lines"];
    const spec = await readTrainJobSpec(onePositional(positionals, "run needs the job spec (a .json file)."));
    const examples: TrainingTurn[][] = [];
    const validationExamples: TrainingTurn[][] = [];
    for (const turns of await readExamples(spec.trainingFile)) {
        // By content, as `belle train split` does: a re-run holds out the same examples, and duplicates stay together
        if (spec.validationSplit > 0 && isValidationExample(turns, spec.validationSplit)) validationExamples.push(turns);
        else examples.push(turns);
    }
    if (spec.validationFile != null) validationExamples.push(...await readExamples(spec.validationFile));
    if (examples.length === 0)
        throw new CliUsageError(`${spec.trainingFile}: no valid training example${spec.validationSplit > 0 && validationExamples.length > 0 ? " left after the validation split" : ""}; see \`belle train validate\`.`);
    if (validationExamples.length === 0 && (spec.validationSplit > 0 || spec.validationFile != null))
        throw new CliUsageError(spec.validationFile != null ? `${spec.validationFile}: no valid validation example.`
            : `validationSplit ${spec.validationSplit} held out none of the ${examples.length} examples: use a larger share or a validationFile.`);

    const workerPath = path.join(path.dirname(fileURLToPath(import.meta.url)), "trainWorker.mjs");
    await runTrainWorker({
        modelPath: spec.baseModel, outputPath: spec.output, examples, validationExamples, contextTokens: spec.contextTokens, epochs: spec.epochs,
        learningRate: spec.learningRate, lossOn: spec.lossOn
    }, {
        command: [process.execPath, workerPath],
        signal: interruptSignal(),
        onMessage: (message) => {
            if (jsonLines) process.stdout.write(`${JSON.stringify(message)}\n`);
            else if (message.type === "dataset")
                process.stdout.write(`${examples.length} examples → ${message.windows} windows of ${message.contextTokens} tokens (${message.tokens} tokens, ${(message.trainedLabelShare * 100).toFixed(0)}% trained)` +
                    `${message.validationWindows === 0 ? "" : `; ${validationExamples.length} validation examples → ${message.validationWindows} windows`}\n`);
            else if (message.type === "epoch")
                process.stdout.write(`epoch ${message.epoch + 1}/${spec.epochs}: loss ${message.loss.toFixed(4)}, accuracy ${message.accuracy.toFixed(3)}` +
                    `${message.validationLoss == null ? "" : `, validation loss ${message.validationLoss.toFixed(4)}, accuracy ${message.validationAccuracy?.toFixed(3)}`}` +
                    `, ${message.tokensPerSecond.toFixed(0)} tok/s\n`);
            else if (message.type === "saved")
                process.stdout.write(`saved ${message.outputPath}\n`);
        }
    });
}

/** A training file's valid examples; its bad records are listed on stderr (the first 20) and skipped. */
async function readExamples(filePath: string): Promise<TrainingTurn[][]> {
    const examples: TrainingTurn[][] = [];
    let badRecords = 0;
    const entries = readTrainingFile(filePath, {signal: interruptSignal()});
    for (let next = await entries.next(); next.done !== true; next = await entries.next()) {
        if (next.value.kind === "example") examples.push(next.value.example.turns);
        else if (badRecords++ < 20) process.stderr.write(`${formatTrainingDataDiagnostic(next.value.diagnostic)}\n`);
    }
    if (badRecords > 0) process.stderr.write(`${filePath}: ${badRecords} bad records skipped.\n`);
    return examples;
}

async function validateCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({
        args: argv, allowPositionals: true, strict: true,
        options: {
            "eval-set": {type: "string"},
            model: {type: "string"},
            "context-length": {type: "string"},
            json: {type: "boolean", default: false}
        }
    });
    const filePath = onePositional(positionals, "validate needs the training file.");
    const contextLength = values["context-length"] == null ? undefined : integer(values["context-length"], "--context-length", 1);

    const tokenizer = values.model == null ? null : await loadTokenizer(await resolveModelArgument(values.model));
    try {
        const summary = await validateTrainingFile(filePath, {
            evalSetPath: values["eval-set"], contextLength, tokenize: tokenizer?.tokenize, signal: interruptSignal(), onProgress: progressPrinter()
        });
        process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatTrainingFileSummary(summary)}\n`);
        if (summary.counts.examples === 0) process.exitCode = 1;
    } finally {
        await tokenizer?.dispose();
    }
}

async function convertCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({
        args: argv, allowPositionals: true, strict: true,
        options: {to: {type: "string"}, "id-prefix": {type: "string"}}
    });
    if (positionals.length !== 2) throw new CliUsageError("convert needs the input file and the output file.");
    const to = values.to === "single" ? "single-turn" : values.to === "multi" ? "multi-turn" : null;
    if (to == null) throw new CliUsageError("--to is single or multi.");
    const result = await convertTrainingFile(positionals[0]!, positionals[1]!, {
        to, idPrefix: values["id-prefix"], signal: interruptSignal(), onProgress: progressPrinter()
    });
    printDiagnostics(result.diagnostics, result.diagnosticsNotListed);
    process.stderr.write(`[train] ${result.outputPath}: ${result.written} ${to} records from ${result.from ?? "no valid"} records` +
        `${result.skipped === 0 ? "" : `, ${result.skipped} skipped (${skippedLinesText(result.skippedLines, result.skipped)})`}` +
        `${result.packed === 0 ? "" : `, ${result.packed} conversations packed into "instruction"`}` +
        `${result.generatedIds === 0 ? "" : `, ${result.generatedIds} ids made up`}\n`);
    if (result.written === 0) process.exitCode = 1;
}

function skippedLinesText(lines: readonly number[], skipped: number): string {
    const shown = lines.slice(0, 10);
    return `line${shown.length === 1 ? "" : "s"} ${shown.join(", ")}${skipped > shown.length ? ` and ${skipped - shown.length} more` : ""}`;
}

async function splitCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({
        args: argv, allowPositionals: true, strict: true,
        options: {validation: {type: "string"}, seed: {type: "string", default: "0"}, "train-out": {type: "string"}, "validation-out": {type: "string"}}
    });
    const filePath = onePositional(positionals, "split needs the training file.");
    const validationRatio = Number(values.validation);
    if (values.validation == null || !(validationRatio > 0 && validationRatio < 1))
        throw new CliUsageError("--validation is the validation share, between 0 and 1 (e.g. 0.05).");
    const result = await splitTrainingFile(filePath, {
        validationRatio, seed: integer(values.seed, "--seed", 0), trainPath: values["train-out"], validationPath: values["validation-out"],
        signal: interruptSignal(), onProgress: progressPrinter()
    });
    printDiagnostics(result.diagnostics, result.diagnosticsNotListed);
    const total = result.train + result.validation;
    process.stderr.write(`[train] ${result.trainPath}: ${result.train} examples; ${result.validationPath}: ${result.validation} ` +
        `(${total === 0 ? 0 : (100 * result.validation / total).toFixed(2)}%)${result.skipped === 0 ? "" : `; ${result.skipped} skipped`}\n`);
    if (total === 0) process.exitCode = 1;
}

/** The model's vocabulary only (no weights): enough to count tokens, in a second even for a large GGUF. */
async function loadTokenizer(modelPath: string): Promise<{tokenize: (text: string) => number, dispose: () => Promise<void>}> {
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
    const model = await llama.loadModel({modelPath, vocabOnly: true});
    return {
        tokenize: (text) => model.tokenize(text, false).length,
        dispose: async () => {
            await model.dispose();
            await llama.dispose();
        }
    };
}

function printDiagnostics(diagnostics: readonly TrainingDataDiagnostic[], notListed: number): void {
    for (const diagnostic of diagnostics) process.stderr.write(`${formatTrainingDataDiagnostic(diagnostic)}\n`);
    if (notListed > 0) process.stderr.write(`… and ${notListed} more problems\n`);
}

/** Progress on stderr for a long file, at most every 2 s: position, share, and what a terminal needs to keep calm. */
function progressPrinter(): (progress: TrainingFileReadProgress) => void {
    let lastPrintedAt = performance.now();
    return ({bytesRead, totalBytes, lines}) => {
        const now = performance.now();
        if (now - lastPrintedAt < 2000 || bytesRead >= totalBytes) return;
        lastPrintedAt = now;
        process.stderr.write(`[train] ${(100 * bytesRead / Math.max(1, totalBytes)).toFixed(0)}% (${(bytesRead / 1048576).toFixed(0)} of ${(totalBytes / 1048576).toFixed(0)} MiB), ${lines.toLocaleString("en-US")} lines\n`);
    };
}

/** Ctrl+C, or SIGTERM (how VS Code's Cancel and Slurm's scancel stop a job): the job is aborted, its worker stopped. */
function interruptSignal(): AbortSignal {
    const controller = new AbortController();
    const interrupt = () => controller.abort(new Error("Interrupted: output files, if any, were left as they were."));
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    return controller.signal;
}

function onePositional(positionals: readonly string[], message: string): string {
    if (positionals.length !== 1) throw new CliUsageError(message);
    return positionals[0]!;
}

function integer(text: string, flag: string, min: number): number {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new CliUsageError(`${flag} must be an integer ≥ ${min} (got "${text}").`);
    return value;
}
