import {CliUsageError} from "./cli/CliUsageError";
import {evalCommand, evalUsage} from "./cli/evalCommand";
import {inspectCommand, inspectUsage} from "./cli/inspectCommand";
import {serveCommand, serveUsage} from "./cli/serveCommand";
import {trainCommand, trainUsage} from "./cli/trainCommand";

const usage = `belle <command> [options]

Commands:
  serve    run the BELLE engine: an OpenAI-compatible API on a local GGUF model
  inspect  show what a GGUF file holds and the memory it needs
  eval     evaluate a model on a BELLE eval set (answers + judge scores), resumable, shardable
  train    check, convert and split training data (validate: counts, lengths, duplicates, eval contamination); run a training job

${serveUsage}

${inspectUsage}

${evalUsage}

${trainUsage}`;

const commandUsages: Record<string, string> = {serve: serveUsage, inspect: inspectUsage, eval: evalUsage, train: trainUsage};

async function main(argv: string[]) {
    const [command, ...rest] = argv;
    // `belle <command> [<subcommand>] --help`: the command's usage, which covers its subcommands; after "--" it is an argument
    const options = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
    const commandUsage = command == null ? undefined : commandUsages[command];
    if (commandUsage != null && (options.includes("--help") || options.includes("-h"))) {
        process.stdout.write(`${commandUsage}\n`);
        return;
    }
    switch (command) {
        case "serve":
            await serveCommand(rest);
            return;
        case "inspect":
            await inspectCommand(rest);
            return;
        case "eval":
            await evalCommand(rest);
            return;
        case "train":
            await trainCommand(rest);
            return;
        case undefined:
        case "help":
        case "--help":
        case "-h":
            process.stdout.write(`${usage}\n`);
            return;
        default:
            throw new CliUsageError(`Unknown command "${command}".`);
    }
}

// A reader that stops early (`belle eval report run.jsonl | head`) is not an error: the output simply has nowhere to go
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
});

main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof CliUsageError || (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
        process.stderr.write(`belle: ${error.message}\n\n${usage}\n`);
        process.exit(2);
    }
    process.stderr.write(`belle: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
