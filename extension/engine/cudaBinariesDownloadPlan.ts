import path from "node:path";

// The .vsix carries no CUDA build of llama.cpp (node-llama-cpp's are 180 MB for linux-x64, more with the -ext
// fallback). Where a CUDA GPU is found, the extension fetches node-llama-cpp's own CUDA package from the npm registry
// into its global storage, and points node-llama-cpp at it. This file is the pure part: what to fetch and where it
// goes. (The fetch, with progress and the sha512 check against the packument's `dist.integrity`, is not written yet.)

/** node-llama-cpp's platform names (its `getPlatform()`), for the platforms it publishes a CUDA build for. */
const cudaPlatforms: Partial<Record<NodeJS.Platform, string>> = {linux: "linux", win32: "win"};
const cudaArchitectures = new Set(["x64"]);

export type CudaBinariesDownloadPlan = {
    /** `@node-llama-cpp/linux-x64-cuda` or `@node-llama-cpp/win-x64-cuda` */
    packageName: string,
    /** The installed node-llama-cpp's version: its addon and the package's must match exactly. */
    version: string,
    /** npm's metadata document for the package: `versions[version].dist` holds the tarball and its integrity. */
    packumentUrl: string,
    /** Where npm publishes the tarball, by the registry's naming convention (the packument's `dist.tarball`). */
    tarballUrl: string,
    /** The global storage folder the tarball's `package/` folder unpacks into, one per version. */
    packageDir: string,
    /** The build inside it: `llama-addon.node`, `_nlcBuildMetadata.json`, libggml-cuda and the CPU variants. */
    binsDir: string,
    /**
     * node-llama-cpp looks for a prebuilt build in its own `bins/<name>` folder before it imports the binary packages;
     * in the installed extension a link there to `binsDir` makes `getLlama({gpu: "auto"})` find the CUDA build.
     */
    linkPath: string
};

/**
 * What to fetch for a machine with a CUDA GPU; undefined where node-llama-cpp publishes no CUDA build (macOS,
 * arm64) or no CUDA GPU was detected.
 */
export function planCudaBinariesDownload({
    platform, arch, cudaGpuDetected, nodeLlamaCppVersion, globalStoragePath, extensionPath,
    registryUrl = "https://registry.npmjs.org/"
}: {
    platform: NodeJS.Platform,
    arch: string,
    cudaGpuDetected: boolean,
    nodeLlamaCppVersion: string,
    globalStoragePath: string,
    extensionPath: string,
    registryUrl?: string
}): CudaBinariesDownloadPlan | undefined {
    const nlcPlatform = cudaPlatforms[platform];
    if (!cudaGpuDetected || nlcPlatform == null || !cudaArchitectures.has(arch)) return undefined;
    const buildName = `${nlcPlatform}-${arch}-cuda`;
    const packageName = `@node-llama-cpp/${buildName}`;
    const registry = registryUrl.endsWith("/") ? registryUrl : `${registryUrl}/`;
    const packageDir = path.join(cudaBinariesRoot(globalStoragePath), nodeLlamaCppVersion, buildName);
    return {
        packageName,
        version: nodeLlamaCppVersion,
        packumentUrl: `${registry}${packageName.replace("/", "%2f")}`,
        tarballUrl: `${registry}${packageName}/-/${buildName}-${nodeLlamaCppVersion}.tgz`,
        packageDir,
        binsDir: path.join(packageDir, "bins", buildName),
        linkPath: path.join(extensionPath, "dist", "node_modules", "node-llama-cpp", "bins", buildName)
    };
}

/** The global storage folder that holds one subfolder per node-llama-cpp version fetched. */
export function cudaBinariesRoot(globalStoragePath: string): string {
    return path.join(globalStoragePath, "node-llama-cpp-cuda");
}

/** Folders under `cudaBinariesRoot` left by earlier versions of the extension: 180 MB each, to delete. */
export function staleCudaBinaryVersions(versionFolders: readonly string[], currentVersion: string): string[] {
    return versionFolders.filter((folder) => folder !== currentVersion);
}
