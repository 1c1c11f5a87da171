import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type {AddressInfo} from "node:net";
import os from "node:os";
import path from "node:path";
import {SeededRandom} from "../../models/generate/SeededRandom";
import {
    ChecksumMismatchError, DownloadInterruptedError, downloadModel, InvalidModelSourceError, parseHuggingFaceUri,
    resolveDownloadUrl, type DownloadProgress
} from "../../models/download/downloadModel";

type ServedRequest = {path: string, range: string | null};

type FileServerBehaviour = {
    /** Destroy the connection after this many body bytes, for the next `cutCount` file responses. */
    cutAfterBytes?: number,
    cutCount?: number,
    /** Send the body in chunks with a pause between them, so a test can act while it streams. */
    chunkBytes?: number,
    chunkDelayMs?: number,
    /** Answer every request with the whole file, as servers without range support do. */
    ignoreRange?: boolean
};

type FileServer = {
    baseUrl: string,
    requests: ServedRequest[],
    behaviour: FileServerBehaviour,
    close(): Promise<void>
};

function seededBytes(byteLength: number, seed: number): Buffer {
    const random = new SeededRandom(seed);
    const words = new Uint32Array(byteLength / 4);
    for (let i = 0; i < words.length; i++) words[i] = random.nextUint32();
    return Buffer.from(words.buffer);
}

function sha256(data: Buffer): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}

/** Serves `data` at /model.gguf with byte ranges, and the same file behind a Hugging Face-style redirect. */
async function startFileServer(data: Buffer, behaviour: FileServerBehaviour = {}): Promise<FileServer> {
    const requests: ServedRequest[] = [];
    const server = http.createServer((request, response) => {
        const url = request.url ?? "/";
        requests.push({path: url, range: request.headers.range ?? null});

        if (url === "/user/repo/resolve/main/model.gguf") {
            response.writeHead(302, {location: "/cdn/model.gguf"}).end();
            return;
        }
        if (url !== "/model.gguf" && url !== "/cdn/model.gguf") {
            response.writeHead(404).end();
            return;
        }

        const range = server.behaviour.ignoreRange ? null : /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
        const start = range == null ? 0 : Number(range[1]);
        if (start >= data.length) {
            response.writeHead(416, {"content-range": `bytes */${data.length}`}).end();
            return;
        }
        const body = data.subarray(start);
        response.writeHead(range == null ? 200 : 206, {
            "accept-ranges": "bytes",
            "content-length": body.length,
            ...(range == null ? {} : {"content-range": `bytes ${start}-${data.length - 1}/${data.length}`})
        });
        void sendBody(response, body, server.behaviour);
    }) as http.Server & {behaviour: FileServerBehaviour};
    server.behaviour = {...behaviour};

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const {port} = server.address() as AddressInfo;
    return {
        baseUrl: `http://127.0.0.1:${port}`,
        requests,
        get behaviour() { return server.behaviour; },
        close: () => new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        })
    };
}

async function sendBody(response: http.ServerResponse, body: Buffer, behaviour: FileServerBehaviour) {
    const {chunkBytes = body.length, chunkDelayMs = 0} = behaviour;
    let limit = body.length;
    if (behaviour.cutAfterBytes != null && (behaviour.cutCount ?? 1) > 0) {
        behaviour.cutCount = (behaviour.cutCount ?? 1) - 1;
        limit = Math.min(limit, behaviour.cutAfterBytes);
    }

    for (let offset = 0; offset < limit && !response.destroyed; offset += chunkBytes) {
        const chunk = body.subarray(offset, Math.min(offset + chunkBytes, limit));
        await new Promise<void>((resolve) => response.write(chunk, () => resolve()));
        if (chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
    }

    if (limit < body.length) response.destroy();
    else response.end();
}

describe("downloadModel: resumable model downloads with our own sha256 check", function () {
    this.timeout(10_000);

    const data = seededBytes(4 << 20, 20240607);
    const dataSha256 = sha256(data);
    let dirPath: string;
    let server: FileServer;
    let logLines: string[];
    const log = (line: string) => { logLines.push(line); };

    beforeEach(async () => {
        dirPath = await fs.promises.mkdtemp(path.join(os.tmpdir(), "belle-download-"));
        server = await startFileServer(data);
        logLines = [];
    });
    afterEach(async () => {
        await server.close();
        await fs.promises.rm(dirPath, {recursive: true, force: true});
    });

    it("resumes with a Range request after the server cuts the connection, and the file's sha256 matches", async () => {
        server.behaviour.cutAfterBytes = 1_500_000;
        const result = await downloadModel({
            source: `${server.baseUrl}/model.gguf`, dirPath, sha256: dataSha256, retryDelayMs: 10, log
        });

        assert.equal(result.sha256, dataSha256);
        assert.equal(result.sizeBytes, data.length);
        assert.equal(sha256(await fs.promises.readFile(result.filePath)), dataSha256);
        assert.equal(server.requests.length, 2);
        assert.equal(server.requests[0]!.range, null);
        const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.requests[1]!.range ?? "")?.[1]);
        assert.ok(resumedAt > 0 && resumedAt <= 1_500_000, `second request asked for ${server.requests[1]!.range}`);
        assert.ok(logLines.some((line) => line.includes("resuming")));
        assert.equal(fs.existsSync(`${result.filePath}.partial`), false);
    });

    it("keeps the partial file when retries run out, and a later call resumes it", async () => {
        server.behaviour.cutAfterBytes = 1_000_000;
        const source = `${server.baseUrl}/model.gguf`;
        const error = await downloadModel({source, dirPath, maxRetries: 0, log})
            .then(() => assert.fail("the download should have been interrupted"), (caught: unknown) => caught);

        const partialPath = path.join(dirPath, "model.gguf.partial");
        const partialBytes = (await fs.promises.stat(partialPath)).size;
        assert.ok(partialBytes > 0 && partialBytes <= 1_000_000);
        assert.ok(error instanceof DownloadInterruptedError);
        assert.equal(error.downloadedBytes, partialBytes);
        assert.equal(error.totalBytes, data.length);
        assert.match(error.message, /start the download again to resume/);
        assert.equal(fs.existsSync(path.join(dirPath, "model.gguf")), false);

        const result = await downloadModel({source, dirPath, sha256: dataSha256, log});
        assert.equal(result.resumedFromBytes, partialBytes);
        assert.equal(server.requests.at(-1)!.range, `bytes=${partialBytes}-`);
        assert.equal(sha256(await fs.promises.readFile(result.filePath)), dataSha256);
    });

    it("throws ChecksumMismatchError on a wrong sha256 and leaves no file behind", async () => {
        const wrongSha256 = "0".repeat(64);
        const error = await downloadModel({source: `${server.baseUrl}/model.gguf`, dirPath, sha256: wrongSha256, log})
            .then(() => assert.fail("the download should have failed"), (caught: unknown) => caught);

        assert.ok(error instanceof ChecksumMismatchError);
        assert.equal(error.expectedSha256, wrongSha256);
        assert.equal(error.actualSha256, dataSha256);
        assert.match(error.message, new RegExp(`${dataSha256}.*${wrongSha256}`, "s"));
        assert.match(error.message, /model\.gguf/);
        assert.match(error.message, /Download it again/);
        assert.deepEqual(await fs.promises.readdir(dirPath), []);
    });

    it("stops when its AbortSignal fires, keeps the partial file, and resumes from it later", async () => {
        Object.assign(server.behaviour, {chunkBytes: 64 * 1024, chunkDelayMs: 5});
        const source = `${server.baseUrl}/model.gguf`;
        const controller = new AbortController();
        const aborted = downloadModel({
            source, dirPath, signal: controller.signal, progressIntervalMs: 0, log,
            onProgress: ({downloadedBytes}) => { if (downloadedBytes >= 1 << 20) controller.abort(); }
        });
        await assert.rejects(aborted, {name: "AbortError"});

        const partialBytes = (await fs.promises.stat(path.join(dirPath, "model.gguf.partial"))).size;
        assert.ok(partialBytes > 0 && partialBytes < data.length, `partial file has ${partialBytes} bytes`);
        assert.equal(fs.existsSync(path.join(dirPath, "model.gguf")), false);

        Object.assign(server.behaviour, {chunkBytes: undefined, chunkDelayMs: 0});
        const result = await downloadModel({source, dirPath, sha256: dataSha256, log});
        assert.equal(result.resumedFromBytes, partialBytes);
        assert.equal(server.requests.at(-1)!.range, `bytes=${partialBytes}-`);
        assert.equal(result.sha256, dataSha256);
    });

    it("reports progress that never goes backwards and ends at the total", async () => {
        Object.assign(server.behaviour, {chunkBytes: 256 * 1024, chunkDelayMs: 1});
        const events: DownloadProgress[] = [];
        await downloadModel({
            source: `${server.baseUrl}/model.gguf`, dirPath, progressIntervalMs: 0, log,
            onProgress: (progress) => { events.push(progress); }
        });

        assert.ok(events.length > 2, `only ${events.length} progress events`);
        for (let i = 1; i < events.length; i++)
            assert.ok(events[i]!.downloadedBytes >= events[i - 1]!.downloadedBytes);
        assert.ok(events.every((event) => event.totalBytes === data.length));
        assert.deepEqual(events.at(-1), {downloadedBytes: data.length, totalBytes: data.length});
    });

    it("finishes the download when a progress listener throws, and logs it once", async () => {
        const result = await downloadModel({
            source: `${server.baseUrl}/model.gguf`, dirPath, sha256: dataSha256, progressIntervalMs: 0, log,
            onProgress: () => { throw new Error("listener bug"); }
        });

        assert.equal(result.sha256, dataSha256);
        assert.equal(logLines.filter((line) => line.includes("listener bug")).length, 1);
    });

    it("starts over when the server ignores the Range header", async () => {
        const partialPath = path.join(dirPath, "model.gguf.partial");
        await fs.promises.writeFile(partialPath, Buffer.alloc(12345, 7));
        server.behaviour.ignoreRange = true;

        const result = await downloadModel({source: `${server.baseUrl}/model.gguf`, dirPath, sha256: dataSha256, log});
        assert.equal(server.requests[0]!.range, "bytes=12345-");
        assert.equal(result.sizeBytes, data.length);
        assert.equal(result.sha256, dataSha256);
    });

    it("downloads an hf: URI from the configured endpoint through its redirect", async () => {
        const result = await downloadModel({
            source: "hf:user/repo/model.gguf", dirPath, huggingFaceEndpoint: server.baseUrl, sha256: dataSha256, log
        });

        assert.deepEqual(server.requests.map((request) => request.path), ["/user/repo/resolve/main/model.gguf", "/cdn/model.gguf"]);
        assert.equal(result.filePath, path.join(dirPath, "model.gguf"));
        assert.equal(result.sha256, dataSha256);
    });

    it("keeps a complete file that already matches its sha256 without asking the server", async () => {
        await fs.promises.writeFile(path.join(dirPath, "model.gguf"), data);
        const result = await downloadModel({source: `${server.baseUrl}/model.gguf`, dirPath, sha256: dataSha256, log});

        assert.equal(result.alreadyPresent, true);
        assert.equal(server.requests.length, 0);
    });
});

describe("resolveDownloadUrl: which URL a model source downloads from", () => {
    it("turns hf:<user>/<repo>/<file>#<revision> into a resolve URL on the endpoint", () => {
        const url = resolveDownloadUrl("hf:Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf#bc640142", {huggingFaceEndpoint: "https://hf-mirror.com/"});
        assert.equal(url.href, "https://hf-mirror.com/Qwen/Qwen3-4B-GGUF/resolve/bc640142/Qwen3-4B-Q4_K_M.gguf");
    });

    it("reads the revision as main when the URI names none", () => {
        assert.deepEqual(parseHuggingFaceUri("hf:user/repo/dir/file.gguf"), {user: "user", repo: "repo", filePath: "dir/file.gguf", revision: "main"});
    });

    it("rejects URIs that do not name a file, and schemes it cannot fetch", () => {
        assert.throws(() => resolveDownloadUrl("hf:Qwen/Qwen3-4B-GGUF:Q4_K_M"), InvalidModelSourceError);
        assert.throws(() => resolveDownloadUrl("hf:Qwen/Qwen3-4B-GGUF"), InvalidModelSourceError);
        assert.throws(() => resolveDownloadUrl("ftp://example.com/model.gguf"), InvalidModelSourceError);
        assert.throws(() => resolveDownloadUrl("model.gguf"), InvalidModelSourceError);
    });
});
