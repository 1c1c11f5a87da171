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

async function main(argv: string[]) {
    const [command, ...rest] = argv;
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

main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof CliUsageError || (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
        process.stderr.write(`belle: ${error.message}\n\n${usage}\n`);
        process.exit(2);
    }
    process.stderr.write(`belle: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
