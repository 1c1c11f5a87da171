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
 * node-llama-cpp's prebuilt package (and its `bins/` folder) that holds the CPU-capable build for a platform: its own
 * platform names (`mac`, `win`); on Apple silicon the only build is the Metal one, which runs on the CPU as well.
 */
export function llamaBinaryPackageFolder(platform: string, arch: string): string {
    if (platform === "darwin") return arch === "arm64" ? "mac-arm64-metal" : `mac-${arch}`;
    if (platform === "win32") return `win-${arch}`;
    return `${platform}-${arch}`;
}

/**
 * The three libraries the trainer loads from a build folder, by node-llama-cpp's file names: `libllama.v0.4.0.so`,
 * `llama.v0.4.0.dll`, `libllama.metal.v0.4.0.dylib` (the build's variant and llama.cpp release in the name), next to
 * an unversioned `libggml-base`. `libllama-common` and the backends are not these.
 */
export function pickLlamaBinaries(directory: string, files: readonly string[], platform: string): LlamaBinaries {
    const extension = platform === "win32" ? "dll" : platform === "darwin" ? "dylib" : "so";
    const pick = (stem: string) => {
        const pattern = new RegExp(`^(lib)?${stem}(\\.[a-z]+)?(\\.v[\\d.]+)?\\.${extension}$`);
        const name = files.find((file) => pattern.test(file));
        if (name == null)
            throw new LlamaBinariesNotFoundError(`no file matching ${pattern} in ${directory}`);
        return path.join(directory, name);
    };
    return {directory, ggmlBase: pick("ggml-base"), ggml: pick("ggml"), llama: pick("llama")};
}

/**
 * The CPU build of llama.cpp shipped in node-llama-cpp's `@node-llama-cpp/<platform>-<arch>` package. The trainer
 * uses the CPU build only: ggml's backward pass is complete on CPU, and the GPU packages carry the same API.
 */
export function findLlamaBinaries({platform = process.platform, arch = process.arch}: {platform?: string, arch?: string} = {}): LlamaBinaries {
    const folder = llamaBinaryPackageFolder(platform, arch);
    const packageName = `@node-llama-cpp/${folder}`;
    const require = createRequire(import.meta.url);
    let entry: string;
    try {
        // Its `exports` hides package.json; the entry is dist/index.js, next to bins/
        entry = require.resolve(packageName);
    } catch (error) {
        throw new LlamaBinariesNotFoundError(`${packageName} is not installed`, {cause: error});
    }

    const directory = path.join(path.dirname(entry), "..", "bins", folder);
    return pickLlamaBinaries(directory, fs.existsSync(directory) ? fs.readdirSync(directory) : [], platform);
}
