import path from "node:path";
import type {LoraAdapterOption} from "../engine/checkLoraAdapters";
import {CliUsageError} from "./CliUsageError";

/**
 * A `--lora <file.gguf>[:scale]` argument. The scale is what follows the last colon when it is a number, so a
 * Windows path ("C:\adapters\x.gguf") keeps its drive letter; without one the scale is 1.
 */
export function parseLoraArgument(argument: string): LoraAdapterOption {
    const match = /^(.*):([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i.exec(argument);
    const file = match?.[1] ?? argument;
    const scale = match == null ? 1 : Number(match[2]);
    if (file.trim() === "")
        throw new CliUsageError(`--lora needs a file: --lora <adapter.gguf>[:scale], got "${argument}".`);
    return {filePath: path.resolve(file), scale};
}
