import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type {AddressInfo} from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import {cudaBinariesRoot, planCudaBinariesDownload, type CudaBinariesDownloadPlan} from "../../extension/engine/cudaBinariesDownloadPlan";
import {
    CudaPackageIntegrityError, CudaPackageMetadataError, cudaBinariesAvailable, cudaBinariesDownloaded, downloadCudaBinaries,
    linkCudaBinaries, type CudaBinariesProgress
} from "../../extension/engine/downloadCudaBinaries";
import {extractTarGz, InvalidTarballError} from "../../extension/engine/extractTarGz";
import {DownloadHttpError, DownloadInterruptedError} from "../../models/download/downloadModel";

const version = "3.22.1";
const build = "linux-x64-cuda";
const longName = `${"very-long-folder-name-".repeat(6)}/libggml-cuda-with-a-name-past-100-bytes.so`;

/** Deterministic bytes, so a test can compare what was unpacked with what was packed. */
function bytes(byteLength: number, seed: string): Buffer {
    const out = Buffer.alloc(byteLength);
    for (let offset = 0, block = 0; offset < byteLength; block++) {
        const digest = crypto.createHash("sha256").update(`${seed}:${block}`).digest();
        offset += digest.copy(out, offset);
    }
    return out;
}

/** What node-llama-cpp publishes, in small: the main package (the build) and the -ext one (its fallback folder). */
const mainFiles: Record<string, Buffer> = {
    "package/package.json": Buffer.from(JSON.stringify({name: `@node-llama-cpp/${build}`, version})),
    "package/dist/index.js": Buffer.from("export function getBinsDir() {}\n"),
    [`package/bins/${build}/llama-addon.node`]: bytes(200_000, "addon"),
    [`package/bins/${build}/_nlcBuildMetadata.json`]: Buffer.from(JSON.stringify({buildOptions: {gpu: "cuda"}})),
    [`package/bins/${build}/libggml-cuda.so`]: bytes(300_000, "cuda13"),
    [`package/bins/${build}/${longName}`]: Buffer.from("a path only a pax header can hold")
};
const extFiles: Record<string, Buffer> = {
    "package/package.json": Buffer.from(JSON.stringify({name: `@node-llama-cpp/${build}-ext`, version})),
    "package/dist/index.js": Buffer.from("// the -ext package's own, which must not replace the main one's\n"),
    [`package/bins/${build}/fallback/libggml-cuda.so`]: bytes(250_000, "cuda12")
};

function tarHeader(name: string, size: number, type: string): Buffer {
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, "utf8");
    const octal = (offset: number, length: number, value: number) => header.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, length, "latin1");
    octal(100, 8, type === "5" ? 0o755 : 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, size);
    octal(136, 12, 1_700_000_000);
    header.write(type, 156, 1, "latin1");
    header.write("ustar\0" + "00", 257, 8, "latin1");
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
    return header;
}

function padded(data: Buffer): Buffer[] {
    return [data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

/** A gzipped ustar archive as npm writes it: a folder entry, a pax header before any path past 100 bytes. */
function buildTgz(files: Record<string, Buffer>): Buffer {
    const blocks: Buffer[] = [tarHeader("package/", 0, "5")];
    for (const [name, data] of Object.entries(files)) {
        if (Buffer.byteLength(name) > 100) {
            const record = (length: number) => `${length} path=${name}\n`;
            let length = Buffer.byteLength(record(0));
            while (Buffer.byteLength(record(length)) !== length) length = Buffer.byteLength(record(length));
            const pax = Buffer.from(record(length));
            blocks.push(tarHeader("PaxHeader", pax.length, "x"), ...padded(pax));
        }
        blocks.push(tarHeader(name.slice(0, 100), data.length, "0"), ...padded(data));
    }
    blocks.push(Buffer.alloc(1024));
    return zlib.gzipSync(Buffer.concat(blocks));
}

function integrityOf(data: Buffer): string {
    return `sha512-${crypto.createHash("sha512").update(data).digest("base64")}`;
}

type RegistryBehaviour = {
    /** Destroy the connection after this many tarball bytes, for the next `cutCount` tarball responses. */
    cutAfterBytes?: number,
    cutCount?: number,
    /** Send tarballs in chunks with a pause between them, so a test can act while they stream. */
    chunkBytes?: number,
    chunkDelayMs?: number,
    /** The packument's integrity for the main package, where a test wants one that does not match. */
    mainIntegrity?: string,
    /** Leave the version out of the -ext package's packument. */
    extVersionMissing?: boolean,
    /** Answer 404 for the main package's tarball, though its packument names it. */
    mainTarballMissing?: boolean
};

type FakeRegistry = {
    url: string,
    requests: Array<{url: string, range: string | null}>,
    behaviour: RegistryBehaviour,
    tarballBytes: number,
    close(): Promise<void>
};

/** Serves two packuments and their tarballs as registry.npmjs.org lays them out, with range requests. */
async function startFakeRegistry(): Promise<FakeRegistry> {
    const tarballs = new Map<string, Buffer>([
        [`/@node-llama-cpp/${build}/-/${build}-${version}.tgz`, buildTgz(mainFiles)],
        [`/@node-llama-cpp/${build}-ext/-/${build}-ext-${version}.tgz`, buildTgz(extFiles)]
    ]);
    const requests: FakeRegistry["requests"] = [];
    const behaviour: RegistryBehaviour = {};
    const server = http.createServer((request, response) => {
        const url = request.url ?? "";
        requests.push({url, range: request.headers.range ?? null});
        const packument = /^\/@node-llama-cpp%2f(.+)$/i.exec(url);
        if (packument != null) {
            const name = packument[1]!;
            const tarballPath = `/@node-llama-cpp/${name}/-/${name}-${version}.tgz`;
            const tarball = tarballs.get(tarballPath);
            if (tarball == null) {
                response.writeHead(404).end("{}");
                return;
            }
            const integrity = name === build && behaviour.mainIntegrity != null ? behaviour.mainIntegrity : integrityOf(tarball);
            const versions = name.endsWith("-ext") && behaviour.extVersionMissing === true
                ? {}
                : {[version]: {name: `@node-llama-cpp/${name}`, version, dist: {tarball: `${registry.url}${tarballPath}`, integrity}}};
            response.writeHead(200, {"content-type": "application/json"}).end(JSON.stringify({name: `@node-llama-cpp/${name}`, versions}));
            return;
        }
        const tarball = behaviour.mainTarballMissing === true && url.includes(`/${build}-${version}.tgz`) ? undefined : tarballs.get(url);
        if (tarball == null) {
            response.writeHead(404).end();
            return;
        }
        const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
        const start = range == null ? 0 : Number(range[1]);
        const body = tarball.subarray(start);
        response.writeHead(range == null ? 200 : 206, {
            "content-length": body.length,
            "accept-ranges": "bytes",
            ...(range == null ? {} : {"content-range": `bytes ${start}-${tarball.length - 1}/${tarball.length}`})
        });
        let limit = body.length;
        // A response shorter than the cut is not cut and does not use one up (which one comes first is up to timing)
        if (behaviour.cutAfterBytes != null && behaviour.cutAfterBytes < body.length && (behaviour.cutCount ?? 0) > 0) {
            behaviour.cutCount = behaviour.cutCount! - 1;
            limit = Math.min(limit, behaviour.cutAfterBytes);
        }
        const chunkBytes = behaviour.chunkBytes ?? body.length;
        let offset = 0;
        const sendNext = () => {
            if (response.destroyed) return;
            if (offset >= limit) {
                if (limit < body.length) response.destroy();
                else response.end();
                return;
            }
            const chunk = body.subarray(offset, Math.min(limit, offset + chunkBytes));
            offset += chunk.length;
            // The next step (a cut among them) once the chunk is on the socket, so that a cut loses no written bytes
            response.write(chunk, () => {
                if (behaviour.chunkDelayMs != null) setTimeout(sendNext, behaviour.chunkDelayMs);
                else setImmediate(sendNext);
            });
        };
        sendNext();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const registry: FakeRegistry = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        behaviour,
        tarballBytes: [...tarballs.values()].reduce((sum, tarball) => sum + tarball.length, 0),
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        })
    };
    return registry;
}

describe("downloadCudaBinaries", () => {
    let registry: FakeRegistry;
    let tempDir: string;
    let plan: CudaBinariesDownloadPlan;

    beforeEach(async () => {
        registry = await startFakeRegistry();
        tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "belle-cuda-"));
        plan = planCudaBinariesDownload({
            platform: "linux", arch: "x64", cudaGpuDetected: true, nodeLlamaCppVersion: version,
            globalStoragePath: path.join(tempDir, "globalStorage"),
            nodeLlamaCppDir: path.join(tempDir, "extension", "dist", "node_modules", "node-llama-cpp"),
            registryUrl: registry.url
        })!;
        await fs.promises.mkdir(plan.linkPath.replace(/bins[\\/][^\\/]+$/, ""), {recursive: true});
    });

    afterEach(async () => {
        await registry.close();
        await fs.promises.rm(tempDir, {recursive: true, force: true});
    });

    /** What a failed download must leave: no version folder, no link. */
    function assertNothingLeftBehind() {
        const root = cudaBinariesRoot(path.join(tempDir, "globalStorage"));
        assert.deepEqual(fs.existsSync(root) ? fs.readdirSync(root) : [], [], "the version folder is gone");
        assert.equal(fs.existsSync(plan.linkPath), false, "no link was made");
        assert.equal(cudaBinariesDownloaded(plan), false);
    }

    it("downloads both packages with progress, checks them, unpacks them into one build and links node-llama-cpp's bins folder to it", async () => {
        const staleDir = path.join(cudaBinariesRoot(path.join(tempDir, "globalStorage")), "3.21.1", build);
        await fs.promises.mkdir(staleDir, {recursive: true});
        const progress: CudaBinariesProgress[] = [];

        const result = await downloadCudaBinaries(plan, {onProgress: (event) => progress.push(event), progressIntervalMs: 0, log: () => {}});

        for (const [name, data] of Object.entries(mainFiles))
            assert.ok(fs.readFileSync(path.join(plan.packageDir, name.slice("package/".length))).equals(data), name);
        assert.ok(fs.readFileSync(path.join(plan.binsDir, "fallback", "libggml-cuda.so")).equals(extFiles[`package/bins/${build}/fallback/libggml-cuda.so`]!));
        assert.equal(fs.readFileSync(path.join(plan.packageDir, "dist", "index.js"), "utf8"), mainFiles["package/dist/index.js"]!.toString());

        assert.equal(result.linkedBy, "symlink");
        assert.equal(fs.realpathSync(plan.linkPath), fs.realpathSync(plan.binsDir));
        assert.ok(fs.readFileSync(path.join(plan.linkPath, "llama-addon.node")).equals(mainFiles[`package/bins/${build}/llama-addon.node`]!));
        assert.ok(cudaBinariesAvailable(plan));
        assert.deepEqual(result.removedVersions, ["3.21.1"]);
        assert.deepEqual(fs.readdirSync(path.dirname(path.dirname(plan.packageDir))), [version]);
        assert.deepEqual(fs.readdirSync(path.dirname(plan.packageDir)), [build], "no download or staging folder is left");

        const downloads = progress.filter((event) => event.phase === "download");
        assert.ok(downloads.length >= 2);
        for (let index = 1; index < downloads.length; index++)
            assert.ok(downloads[index]!.downloadedBytes >= downloads[index - 1]!.downloadedBytes, "progress never goes back");
        assert.deepEqual(downloads.at(-1), {phase: "download", downloadedBytes: registry.tarballBytes, totalBytes: registry.tarballBytes});
        assert.deepEqual(progress.slice(-2).map((event) => event.phase), ["verify", "unpack"]);
        assert.equal(result.downloadedBytes, registry.tarballBytes);
    });

    it("deletes a tarball whose sha512 differs from the registry's integrity and installs nothing", async () => {
        registry.behaviour.mainIntegrity = integrityOf(Buffer.from("some other tarball"));

        await assert.rejects(downloadCudaBinaries(plan, {log: () => {}}), (error: unknown) => {
            assert.ok(error instanceof CudaPackageIntegrityError);
            assert.equal(error.packageName, `@node-llama-cpp/${build}`);
            return true;
        });
        assertNothingLeftBehind();
    });

    it("resumes a tarball where the server dropped the connection, with a range request", async () => {
        registry.behaviour.cutAfterBytes = 100_000;
        registry.behaviour.cutCount = 2;
        // In chunks, so that most of what came before a cut is in the partial file (the last chunk may be lost with the connection)
        registry.behaviour.chunkBytes = 16_384;
        registry.behaviour.chunkDelayMs = 2;

        await downloadCudaBinaries(plan, {retryDelayMs: 10, log: () => {}});

        assert.ok(cudaBinariesAvailable(plan));
        const resumed = registry.requests.filter((request) => request.range != null);
        assert.ok(resumed.length >= 2, `expected range requests, got ${JSON.stringify(registry.requests)}`);
        // A reset may lose the last bytes in flight: each resume starts where the partial file ends, at most the cut
        for (const request of resumed) {
            const start = Number(/^bytes=(\d+)-$/.exec(request.range!)?.[1]);
            assert.ok(start > 0 && start <= 100_000, request.range!);
        }
    });

    it("gives a clear error and leaves no partial folder when the connection keeps dropping", async () => {
        registry.behaviour.cutAfterBytes = 0;
        registry.behaviour.cutCount = 1000;

        await assert.rejects(downloadCudaBinaries(plan, {maxRetries: 2, retryDelayMs: 10, log: () => {}}), DownloadInterruptedError);
        assertNothingLeftBehind();
    });

    it("stops when aborted mid-download and leaves no partial folder", async () => {
        registry.behaviour.chunkBytes = 16 * 1024;
        registry.behaviour.chunkDelayMs = 20;
        const controller = new AbortController();
        const downloading = downloadCudaBinaries(plan, {
            signal: controller.signal, progressIntervalMs: 0, log: () => {},
            onProgress: (event) => { if (event.downloadedBytes > 64 * 1024) controller.abort(); }
        });

        await assert.rejects(downloading, (error: unknown) => (error as Error).name === "AbortError");
        assertNothingLeftBehind();
    });

    it("stops the other download when one tarball fails, and leaves no partial folder", async () => {
        registry.behaviour.mainTarballMissing = true;
        registry.behaviour.chunkBytes = 1024;
        registry.behaviour.chunkDelayMs = 50;
        const startedMs = performance.now();

        await assert.rejects(downloadCudaBinaries(plan, {log: () => {}}), DownloadHttpError);
        assert.ok(performance.now() - startedMs < 2000, "the slow -ext download was not waited for to the end");
        assertNothingLeftBehind();
    });

    it("names the missing package version when the registry has no -ext build for it", async () => {
        registry.behaviour.extVersionMissing = true;

        await assert.rejects(downloadCudaBinaries(plan, {log: () => {}}), (error: unknown) => {
            assert.ok(error instanceof CudaPackageMetadataError);
            assert.match(error.message, /@node-llama-cpp\/linux-x64-cuda-ext@3\.22\.1/);
            return true;
        });
        assertNothingLeftBehind();
    });

    it("relinks an already downloaded build after an update replaced node-llama-cpp's folder", async () => {
        await downloadCudaBinaries(plan, {log: () => {}});
        await fs.promises.rm(path.dirname(plan.linkPath), {recursive: true});
        assert.equal(cudaBinariesAvailable(plan), false);

        assert.equal(await linkCudaBinaries(plan), "symlink");
        assert.ok(cudaBinariesAvailable(plan));
    });
});

describe("extractTarGz", () => {
    let tempDir: string;

    beforeEach(async () => { tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "belle-tar-")); });
    afterEach(async () => { await fs.promises.rm(tempDir, {recursive: true, force: true}); });

    it("refuses an entry that would be written outside the destination", async () => {
        const tarball = path.join(tempDir, "evil.tgz");
        await fs.promises.writeFile(tarball, buildTgz({"package/../../escaped.txt": Buffer.from("x")}));

        await assert.rejects(extractTarGz(tarball, path.join(tempDir, "out")), InvalidTarballError);
        assert.equal(fs.existsSync(path.join(tempDir, "escaped.txt")), false);
    });

    it("refuses a tarball cut short inside a file", async () => {
        const tarball = path.join(tempDir, "short.tgz");
        const whole = zlib.gunzipSync(buildTgz(mainFiles));
        await fs.promises.writeFile(tarball, zlib.gzipSync(whole.subarray(0, 5000)));

        await assert.rejects(extractTarGz(tarball, path.join(tempDir, "out")), InvalidTarballError);
    });
});

describe("the CUDA packages on registry.npmjs.org", () => {
    it("publish @node-llama-cpp/linux-x64-cuda 3.22.1 and its -ext at the tarball URLs the plan names, with sha512 integrity", async () => {
        const plan = planCudaBinariesDownload({
            platform: "linux", arch: "x64", cudaGpuDetected: true, nodeLlamaCppVersion: version,
            globalStoragePath: os.tmpdir(), nodeLlamaCppDir: os.tmpdir()
        })!;
        for (const npmPackage of plan.packages) {
            let response: Response;
            try {
                response = await fetch(npmPackage.packumentUrl, {headers: {accept: "application/vnd.npm.install-v1+json"}, signal: AbortSignal.timeout(15_000)});
            } catch (error) {
                throw new Error(`registry.npmjs.org is unreachable from this machine (${(error as Error).message}); this test needs it`);
            }
            assert.equal(response.status, 200, npmPackage.packumentUrl);
            const packument = await response.json() as {versions: Record<string, {dist: {tarball: string, integrity: string}}>};
            const dist = packument.versions[version]?.dist;
            assert.ok(dist != null, `${npmPackage.packageName}@${version} is not published`);
            assert.equal(npmPackage.tarballUrl, dist.tarball);
            assert.match(dist.integrity, /^sha512-/);
        }
    });
});
