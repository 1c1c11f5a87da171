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
