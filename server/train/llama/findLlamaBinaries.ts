import fs from "node:fs";
import path from "node:path";
import {createRequire} from "node:module";

export class LlamaBinariesNotFoundError extends Error {
    override name = "LlamaBinariesNotFoundError";
}

export type LlamaBinaries = {
    directory: string,
    ggmlBase: string,
    ggml: string,
    llama: string
};

/**
 * The CPU build of llama.cpp shipped in node-llama-cpp's `@node-llama-cpp/<platform>-<arch>` package. The trainer
 * uses the CPU build only: ggml's backward pass is complete on CPU, and the GPU packages carry the same API.
 */
export function findLlamaBinaries({platform = process.platform, arch = process.arch}: {platform?: string, arch?: string} = {}): LlamaBinaries {
    const packageName = `@node-llama-cpp/${platform}-${arch}`;
    const require = createRequire(import.meta.url);
    let entry: string;
    try {
        // Its `exports` hides package.json; the entry is dist/index.js, next to bins/
        entry = require.resolve(packageName);
    } catch (error) {
        throw new LlamaBinariesNotFoundError(`${packageName} is not installed`, {cause: error});
    }

    const directory = path.join(path.dirname(entry), "..", "bins", `${platform}-${arch}`);
    const files = fs.existsSync(directory) ? fs.readdirSync(directory) : [];
    const pick = (pattern: RegExp) => {
        const name = files.find((file) => pattern.test(file));
        if (name == null)
            throw new LlamaBinariesNotFoundError(`no file matching ${pattern} in ${directory}`);
        return path.join(directory, name);
    };
    const extension = platform === "win32" ? "dll" : platform === "darwin" ? "dylib" : "so";
    return {
        directory,
        ggmlBase: pick(new RegExp(`^(lib)?ggml-base\\.${extension}$`)),
        ggml: pick(new RegExp(`^(lib)?ggml(\\.v[\\d.]+)?\\.${extension}$`)),
        llama: pick(new RegExp(`^(lib)?llama(\\.v[\\d.]+)?\\.${extension}$`))
    };
}
