import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import {pipeline} from "node:stream/promises";
import {downloadModel, type DownloadProgress} from "../../models/download/downloadModel";
import {staleCudaBinaryVersions, type CudaBinariesDownloadPlan, type CudaBinariesPackage} from "./cudaBinariesDownloadPlan";
import {extractTarGz} from "./extractTarGz";
import {safeProgressListener} from "../../models/download/safeProgressListener";

export type CudaBinariesProgress = DownloadProgress & {
    /** "download" while bytes arrive (totals over all the packages), then "verify" and "unpack". */
    phase: "download" | "verify" | "unpack"
};

export type DownloadCudaBinariesResult = {
    binsDir: string,
    /** How node-llama-cpp reaches `binsDir`: a symlink (a junction on Windows), or a copy where no link could be made. */
    linkedBy: "symlink" | "junction" | "copy",
    downloadedBytes: number,
    /** Older versions' folders that were deleted. */
    removedVersions: string[]
};

/** The registry has no such package version, or its metadata lacks what we need. */
export class CudaPackageMetadataError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

/** A tarball whose bytes do not match the registry's `dist.integrity`: it was deleted, nothing was unpacked. */
export class CudaPackageIntegrityError extends Error {
    public constructor(public readonly packageName: string, expected: string, actual: string) {
        super(`The download of ${packageName} does not match the registry's checksum (expected ${expected}, got ${actual}). ` +
            "It was deleted and nothing was installed; try again, and if it persists the registry or a proxy serves a different file.");
        this.name = new.target.name;
    }
}

/**
 * Fetches the plan's packages from the registry, checks each tarball against its packument's `dist.integrity`,
 * unpacks them into a staging folder renamed to `plan.packageDir` only once complete, links node-llama-cpp's
 * `bins/<name>` to the build, and deletes the folders of other versions. On any failure or abort nothing is left
 * under the version's folder but what was there before.
 */
export async function downloadCudaBinaries(plan: CudaBinariesDownloadPlan, {
    signal, onProgress, maxRetries = 5, retryDelayMs = 1000, progressIntervalMs = 250, log = (line) => console.warn(line)
}: {
    signal?: AbortSignal,
    onProgress?: (progress: CudaBinariesProgress) => void,
    maxRetries?: number,
    retryDelayMs?: number,
    progressIntervalMs?: number,
    log?: (line: string) => void
} = {}): Promise<DownloadCudaBinariesResult> {
    signal?.throwIfAborted();
    const report = safeProgressListener(onProgress, log, "cuda");
    const versionDir = path.dirname(plan.packageDir);
    const versionDirExisted = fs.existsSync(versionDir);
    const downloadDir = path.join(versionDir, ".download");
    const stagingDir = path.join(versionDir, `.staging-${crypto.randomBytes(4).toString("hex")}`);
    let downloadedBytes = 0;
    try {
        const dists = await Promise.all(plan.packages.map((npmPackage) => fetchDist(npmPackage, plan.version, signal)));

        const progress = plan.packages.map((): DownloadProgress => ({downloadedBytes: 0, totalBytes: null}));
        const reportDownload = () => {
            const totals = progress.map((part) => part.totalBytes);
            report({
                phase: "download",
                downloadedBytes: progress.reduce((sum, part) => sum + part.downloadedBytes, 0),
                totalBytes: totals.every((total) => total != null) ? totals.reduce((sum: number, total) => sum + total!, 0) : null
            });
        };
        // The tarballs come in parallel; when one fails the others stop, and all have settled before the cleanup
        const downloads = new AbortController();
        const onAbort = () => downloads.abort(signal!.reason);
        signal?.addEventListener("abort", onAbort, {once: true});
        let firstError: unknown;
        const settled = await Promise.allSettled(dists.map(async (dist, index) => {
            try {
                const result = await downloadModel({
                    source: dist.tarball, dirPath: downloadDir, fileName: path.posix.basename(new URL(dist.tarball).pathname),
                    skipExisting: false, signal: downloads.signal, maxRetries, retryDelayMs, progressIntervalMs, log,
                    onProgress: (partProgress) => {
                        progress[index] = partProgress;
                        reportDownload();
                    }
                });
                return result.filePath;
            } catch (error) {
                if (!downloads.signal.aborted) {
                    firstError = error;
                    downloads.abort(error);
                }
                throw error;
            }
        })).finally(() => signal?.removeEventListener("abort", onAbort));
        if (downloads.signal.aborted) throw firstError ?? downloads.signal.reason;
        const tarballs = settled.map((outcome) => (outcome as PromiseFulfilledResult<string>).value);
        downloadedBytes = progress.reduce((sum, part) => sum + part.downloadedBytes, 0);

        report({phase: "verify", downloadedBytes, totalBytes: downloadedBytes});
        for (const [index, tarball] of tarballs.entries())
            await verifyIntegrity(tarball, plan.packages[index]!.packageName, dists[index]!.integrity, signal);

        report({phase: "unpack", downloadedBytes, totalBytes: downloadedBytes});
        for (const [index, tarball] of tarballs.entries()) {
            const unpack = plan.packages[index]!.unpack;
            await extractTarGz(tarball, stagingDir, {
                signal,
                mapEntry: (entryPath) => {
                    // npm tarballs hold one top folder, `package/` by convention (some publish tools name it otherwise)
                    const inner = entryPath.split("/").slice(1).join("/");
                    if (inner === "") return undefined;
                    return unpack === "all" || inner === "bins" || inner.startsWith("bins/") ? inner : undefined;
                }
            });
        }
        const buildRelative = path.relative(plan.packageDir, plan.binsDir);
        for (const required of ["llama-addon.node", "_nlcBuildMetadata.json"])
            if (!fs.existsSync(path.join(stagingDir, buildRelative, required)))
                throw new CudaPackageMetadataError(`${plan.packageName}@${plan.version} has no ${path.join(buildRelative, required)}: it is not the build node-llama-cpp expects`);

        signal?.throwIfAborted();
        await fs.promises.rm(plan.packageDir, {recursive: true, force: true});
        await fs.promises.rename(stagingDir, plan.packageDir);
    } catch (error) {
        await fs.promises.rm(stagingDir, {recursive: true, force: true});
        await fs.promises.rm(downloadDir, {recursive: true, force: true});
        if (!versionDirExisted) await fs.promises.rm(versionDir, {recursive: true, force: true});
        throw error;
    }
    await fs.promises.rm(downloadDir, {recursive: true, force: true});

    const linkedBy = await linkCudaBinaries(plan);
    const removedVersions = await removeStaleVersions(path.dirname(versionDir), plan.version, log);
    return {binsDir: plan.binsDir, linkedBy, downloadedBytes, removedVersions};
}

/** Whether the build is unpacked in global storage (it may still need `linkCudaBinaries` after an update). */
export function cudaBinariesDownloaded(plan: CudaBinariesDownloadPlan): boolean {
    return hasBuild(plan.binsDir);
}

/**
 * Whether node-llama-cpp will find a CUDA build: through the link, or (in a development checkout, where npm installed
 * the optional dependencies) in its own `@node-llama-cpp/<name>` package next to it.
 */
export function cudaBinariesAvailable(plan: CudaBinariesDownloadPlan): boolean {
    const buildName = path.basename(plan.linkPath);
    const nodeModules = path.dirname(path.dirname(path.dirname(plan.linkPath)));
    return hasBuild(plan.linkPath) || hasBuild(path.join(nodeModules, "@node-llama-cpp", buildName, "bins", buildName));
}

/**
 * Points `<node-llama-cpp>/bins/<name>` at the downloaded build: a symlink, a junction on Windows (needs no admin
 * rights), or, where the file system allows neither, a copy. Replaces whatever was there.
 */
export async function linkCudaBinaries(plan: CudaBinariesDownloadPlan): Promise<"symlink" | "junction" | "copy"> {
    await fs.promises.mkdir(path.dirname(plan.linkPath), {recursive: true});
    await fs.promises.rm(plan.linkPath, {recursive: true, force: true});
    const type = process.platform === "win32" ? "junction" : "dir";
    try {
        await fs.promises.symlink(plan.binsDir, plan.linkPath, type);
        return type === "junction" ? "junction" : "symlink";
    } catch {
        // FAT drives and some network shares have no links; a copy costs disk space but works
        const copyDir = `${plan.linkPath}.copying`;
        await fs.promises.rm(copyDir, {recursive: true, force: true});
        await fs.promises.cp(plan.binsDir, copyDir, {recursive: true});
        await fs.promises.rename(copyDir, plan.linkPath);
        return "copy";
    }
}

function hasBuild(dir: string): boolean {
    return fs.existsSync(path.join(dir, "llama-addon.node")) && fs.existsSync(path.join(dir, "_nlcBuildMetadata.json"));
}

async function removeStaleVersions(root: string, currentVersion: string, log: (line: string) => void): Promise<string[]> {
    const folders = (await fs.promises.readdir(root, {withFileTypes: true})).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    const stale = staleCudaBinaryVersions(folders, currentVersion);
    for (const folder of stale) {
        try {
            await fs.promises.rm(path.join(root, folder), {recursive: true, force: true});
        } catch (error) {
            // A running engine on Windows keeps its DLLs open; the next download tries again
            log(`[cuda] could not delete ${path.join(root, folder)} yet: ${(error as Error).message}`);
        }
    }
    return stale;
}

type Dist = {tarball: string, integrity: string};

/** `versions[version].dist` from the registry's (abbreviated) packument. */
async function fetchDist(npmPackage: CudaBinariesPackage, version: string, signal: AbortSignal | undefined): Promise<Dist> {
    const body = await getText(new URL(npmPackage.packumentUrl), signal);
    let packument: {versions?: Record<string, {dist?: {tarball?: unknown, integrity?: unknown}}>};
    try {
        packument = JSON.parse(body) as typeof packument;
    } catch {
        throw new CudaPackageMetadataError(`The registry's answer for ${npmPackage.packageName} (${npmPackage.packumentUrl}) is not JSON`);
    }
    const dist = packument.versions?.[version]?.dist;
    if (dist == null)
        throw new CudaPackageMetadataError(`The registry has no ${npmPackage.packageName}@${version} (${npmPackage.packumentUrl}): node-llama-cpp ${version} has no CUDA build there`);
    if (typeof dist.tarball !== "string" || typeof dist.integrity !== "string" || !dist.integrity.startsWith("sha512-"))
        throw new CudaPackageMetadataError(`The registry's metadata for ${npmPackage.packageName}@${version} has no tarball URL or sha512 integrity`);
    return {tarball: dist.tarball, integrity: dist.integrity};
}

async function verifyIntegrity(filePath: string, packageName: string, integrity: string, signal: AbortSignal | undefined): Promise<void> {
    const hash = crypto.createHash("sha512");
    await pipeline(fs.createReadStream(filePath, {highWaterMark: 1 << 20}), hash, {signal});
    const actual = `sha512-${hash.digest("base64")}`;
    if (actual !== integrity) {
        await fs.promises.rm(filePath, {force: true});
        throw new CudaPackageIntegrityError(packageName, integrity, actual);
    }
}

function getText(url: URL, signal: AbortSignal | undefined, redirectsLeft = 5): Promise<string> {
    return new Promise((resolve, reject) => {
        const client = url.protocol === "https:" ? https : http;
        // The abbreviated packument: a few KB instead of every version's README
        const request = client.get(url, {headers: {accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"}, signal}, (response) => {
            const status = response.statusCode ?? 0;
            if (status >= 300 && status < 400 && response.headers.location != null && redirectsLeft > 0) {
                response.resume();
                getText(new URL(response.headers.location, url), signal, redirectsLeft - 1).then(resolve, reject);
                return;
            }
            if (status !== 200) {
                response.resume();
                reject(new CudaPackageMetadataError(`The registry answered HTTP ${status} for ${url.href}`));
                return;
            }
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
            response.on("error", reject);
        });
        request.setTimeout(30_000, () => request.destroy(new Error(`no answer from ${url.host} in 30 s`)));
        request.on("error", reject);
    });
}

