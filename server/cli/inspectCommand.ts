import {parseArgs} from "node:util";
import {formatGgufSummary, inspectGguf} from "../../models/gguf/inspectGguf";
import {CliUsageError} from "./CliUsageError";
import {resolveModelArgument} from "./resolveModelArgument";

export const inspectUsage = `belle inspect <file.gguf | embedded> [--ctx-size <n>] [--parallel <n>] [--json]

  Prints a GGUF's architecture, parameters, quantization, context, chat template and the memory it needs
  (CPU only and fully offloaded) for the given context size and parallel sequences.`;

export async function inspectCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
            "ctx-size": {type: "string"},
            parallel: {type: "string", default: "1"},
            json: {type: "boolean", default: false}
        }
    });
    const target = positionals[0];
    if (target == null)
        throw new CliUsageError("inspect needs a .gguf path (or \"embedded\").");

    const filePath = await resolveModelArgument(target);
    const info = await inspectGguf(filePath);
    const contextSize = values["ctx-size"] == null ? undefined : Number(values["ctx-size"]);
    const sequences = Number(values.parallel);
    if ((contextSize != null && !(contextSize > 0)) || !(sequences >= 1))
        throw new CliUsageError("--ctx-size and --parallel must be positive integers.");

    if (values.json) {
        const {estimateMemory: _estimate, planGpuLayers: _plan, ...summary} = info;
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else
        process.stdout.write(`${formatGgufSummary(info, {contextSize, sequences})}\n`);
}
