import fs from "node:fs";
import path from "node:path";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {CliUsageError} from "./CliUsageError";

/** A `--model` argument as a file path: "embedded" is the generated demo model; a missing file is a usage error. */
export async function resolveModelArgument(argument: string): Promise<string> {
    if (argument === "embedded") return ensureEmbeddedModel();
    const filePath = path.resolve(argument);
    if (!fs.existsSync(filePath))
        throw new CliUsageError(`Model file not found: ${filePath}. Pass the path of a .gguf file, or "embedded" for the built-in demo model.`);
    return filePath;
}
