import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {generateLlamaModel, type GenerateModelOptions} from "./generateLlamaModel";

/** Bump when the generator's output changes, so cached files are regenerated. */
const generatorVersion = 3;

export function getBelleCacheDir(): string {
    return process.env.BELLE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "belle");
}

/** Path of a generated model in the cache, generating it first if it is not there yet. */
export async function ensureGeneratedModel(options: GenerateModelOptions, {signal}: {signal?: AbortSignal} = {}): Promise<string> {
    const {shape, type = "F16", seed = 1, withoutChatTemplate = false, successor = false} = options;
    const fileName = `belle-${shape}-${type.toLowerCase()}-s${seed}${withoutChatTemplate ? "-notemplate" : ""}${successor ? "-successor" : ""}-g${generatorVersion}.gguf`;
    const filePath = path.join(getBelleCacheDir(), "models", fileName);
    if (!fs.existsSync(filePath))
        await generateLlamaModel(filePath, options, {signal});

    return filePath;
}

/** The embedded default: the tiny Chinese chat model, so everything works offline without a download. */
export function ensureEmbeddedModel(): Promise<string> {
    return ensureGeneratedModel({shape: "tiny", type: "F16", name: "BELLE embedded demo (generated)"});
}
