import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {getBelleCacheDir} from "../../models/generate/ensureGeneratedModel";

/**
 * The sha256 of a model file, remembered by (path, size, mtime) so a multi-GB GGUF is read once, not per run;
 * a swapped file gets a new hash, so cached answers of the old one are never reused.
 */
export async function hashModelFile(filePath: string, {cacheDir = getBelleCacheDir()}: {cacheDir?: string} = {}): Promise<string> {
    const stat = await fs.promises.stat(filePath);
    const key = crypto.createHash("sha256").update(`${path.resolve(filePath)}\0${stat.size}\0${stat.mtimeMs}`).digest("hex");
    const memoPath = path.join(cacheDir, "model-hashes", `${key}.txt`);
    const remembered = await fs.promises.readFile(memoPath, "utf8").catch(() => null);
    if (remembered != null && /^[0-9a-f]{64}$/.test(remembered.trim())) return remembered.trim();

    const hash = crypto.createHash("sha256");
    for await (const chunk of fs.createReadStream(filePath)) hash.update(chunk as Buffer);
    const digest = hash.digest("hex");
    await fs.promises.mkdir(path.dirname(memoPath), {recursive: true});
    const tempPath = `${memoPath}.${process.pid}.tmp`;
    await fs.promises.writeFile(tempPath, digest);
    await fs.promises.rename(tempPath, memoPath);
    return digest;
}

/**
 * The answer cache's identity of a model as served: the GGUF's sha256, combined with each LoRA adapter's sha256 and
 * scale when there are adapters (the adapted model answers differently from the base). The same for the same files
 * wherever and however they are served, so it survives an engine restart on another port.
 */
export async function hashServedModel(modelPath: string, loraAdapters: ReadonlyArray<{filePath: string, scale: number}> = [],
    options: {cacheDir?: string} = {}): Promise<string> {
    const modelHash = await hashModelFile(modelPath, options);
    if (loraAdapters.length === 0) return modelHash;
    const adapters: string[] = [];
    for (const {filePath, scale} of loraAdapters) adapters.push(`${await hashModelFile(filePath, options)}:${scale}`);
    return crypto.createHash("sha256").update([modelHash, ...adapters].join("\n")).digest("hex");
}
