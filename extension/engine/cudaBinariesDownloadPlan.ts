import path from "node:path";

// The .vsix carries no CUDA build of llama.cpp (node-llama-cpp's linux-x64 one is 143 MB compressed, its -ext fallback
// 177 MB more). Where a CUDA GPU is found, the extension fetches node-llama-cpp's own CUDA packages from the npm
// registry into its global storage, and points node-llama-cpp at them. This file is the pure part: what to fetch and
// where it goes; downloadCudaBinaries.ts does the fetching.
//
// How node-llama-cpp 3.21.1 finds a prebuilt build (dist/bindings/utils/compileLLamaCpp.js, `getPrebuiltBinaryPath`):
// for `gpu: "cuda"` the build folder name is `<platform>-<arch>-cuda` (getBuildFolderNameForBuildOptions.js), and it
// first looks in its own `bins/<name>/` folder (`llamaPrebuiltBinsDirectory`, config.js), taking it when both
// `llama-addon.node` and `_nlcBuildMetadata.json` are there, with no version check; only then does it import
// `@node-llama-cpp/<name>` and `@node-llama-cpp/<name>-ext`. When the CUDA backend does not load, Llama.js tries
// `<the addon's folder>/fallback/` (or the -ext package's, when it came from the packages): the -ext package holds
// exactly that folder, a libggml-cuda built against CUDA 12 where the main one needs CUDA 13. So both unpack into one
// folder, and a link from `bins/<name>` to it makes `getLlama({gpu: "auto" | "cuda"})` find it. Neither package
// carries the CUDA runtime (libcudart, libcublas): node-llama-cpp only tries CUDA where those are installed.

/** node-llama-cpp's platform names (its `getPlatform()`), for the platforms it publishes a CUDA build for. */
const cudaPlatforms: Partial<Record<NodeJS.Platform, string>> = {linux: "linux", win32: "win"};
const cudaArchitectures = new Set(["x64"]);

/** Both tarballs together, compressed, for node-llama-cpp 3.21.1 linux-x64 (143 MB + 177 MB): what the offer names. */
export const approximateCudaDownloadMegabytes = 320;

export type CudaBinariesPackage = {
    /** `@node-llama-cpp/linux-x64-cuda`, `@node-llama-cpp/linux-x64-cuda-ext`, … */
    packageName: string,
    /** npm's metadata document for the package: `versions[version].dist` holds the tarball and its integrity. */
    packumentUrl: string,
    /** Where npm publishes the tarball, by the registry's naming convention (the packument's `dist.tarball`). */
    tarballUrl: string,
    /**
     * What of the tarball's `package/` folder goes into `packageDir`: all of it for the main package; only `bins/`
     * (its `fallback/` folder) for the -ext one, whose package.json and dist/ would clash with the main one's.
     */
    unpack: "all" | "bins"
};

export type CudaBinariesDownloadPlan = {
    /** The main package's name, `@node-llama-cpp/linux-x64-cuda` or `@node-llama-cpp/win-x64-cuda`. */
    packageName: string,
    /** The installed node-llama-cpp's version: its addon and the packages' must match exactly. */
    version: string,
    /** The main package first, then its -ext fallback. */
    packages: CudaBinariesPackage[],
    /** The global storage folder the packages unpack into, one per version. */
    packageDir: string,
    /** The build inside it: `llama-addon.node`, `_nlcBuildMetadata.json`, libggml-cuda, the CPU variants, `fallback/`. */
    binsDir: string,
    /** `<node-llama-cpp>/bins/<name>`: a link there to `binsDir` is where node-llama-cpp looks first. */
    linkPath: string
};

/**
 * What to fetch for a machine with a CUDA GPU; undefined where node-llama-cpp publishes no CUDA build (macOS,
 * arm64) or no CUDA GPU was detected. `nodeLlamaCppDir` is the installed node-llama-cpp package folder (in the
 * .vsix, `<extension>/dist/node_modules/node-llama-cpp`).
 */
export function planCudaBinariesDownload({
    platform, arch, cudaGpuDetected, nodeLlamaCppVersion, globalStoragePath, nodeLlamaCppDir,
    registryUrl = "https://registry.npmjs.org/"
}: {
    platform: NodeJS.Platform,
    arch: string,
    cudaGpuDetected: boolean,
    nodeLlamaCppVersion: string,
    globalStoragePath: string,
    nodeLlamaCppDir: string,
    registryUrl?: string
}): CudaBinariesDownloadPlan | undefined {
    const nlcPlatform = cudaPlatforms[platform];
    if (!cudaGpuDetected || nlcPlatform == null || !cudaArchitectures.has(arch)) return undefined;
    const buildName = `${nlcPlatform}-${arch}-cuda`;
    const registry = registryUrl.endsWith("/") ? registryUrl : `${registryUrl}/`;
    const npmPackage = (name: string, unpack: CudaBinariesPackage["unpack"]): CudaBinariesPackage => ({
        packageName: `@node-llama-cpp/${name}`,
        packumentUrl: `${registry}@node-llama-cpp%2f${name}`,
        tarballUrl: `${registry}@node-llama-cpp/${name}/-/${name}-${nodeLlamaCppVersion}.tgz`,
        unpack
    });
    const packageDir = path.join(cudaBinariesRoot(globalStoragePath), nodeLlamaCppVersion, buildName);
    return {
        packageName: `@node-llama-cpp/${buildName}`,
        version: nodeLlamaCppVersion,
        packages: [npmPackage(buildName, "all"), npmPackage(`${buildName}-ext`, "bins")],
        packageDir,
        binsDir: path.join(packageDir, "bins", buildName),
        linkPath: path.join(nodeLlamaCppDir, "bins", buildName)
    };
}

/** The global storage folder that holds one subfolder per node-llama-cpp version fetched. */
export function cudaBinariesRoot(globalStoragePath: string): string {
    return path.join(globalStoragePath, "node-llama-cpp-cuda");
}

/** Folders under `cudaBinariesRoot` left by earlier versions of the extension: hundreds of MB each, to delete. */
export function staleCudaBinaryVersions(versionFolders: readonly string[], currentVersion: string): string[] {
    return versionFolders.filter((folder) => folder !== currentVersion);
}
