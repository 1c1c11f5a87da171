import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import {Transform} from "node:stream";
import {pipeline} from "node:stream/promises";
import {safeProgressListener} from "./safeProgressListener";

export type DownloadProgress = {
    downloadedBytes: number,
    /** null while the server has not said how big the file is. */
    totalBytes: number | null
};

export type DownloadModelOptions = {
    /** An https or http URL, or `hf:<user>/<repo>/<file>[#<revision>]` (node-llama-cpp's file URI form). */
    source: string,
    dirPath: string,
    /** Defaults to the last path segment of the source. */
    fileName?: string,
    /** Hex, any case. When given, a file that does not match is deleted and `ChecksumMismatchError` thrown. */
    sha256?: string | null,
    headers?: Record<string, string>,
    signal?: AbortSignal,
    onProgress?: (progress: DownloadProgress) => void,
    /** Reconnections after a dropped connection or a server error, each resuming where the last one stopped. */
    maxRetries?: number,
    retryDelayMs?: number,
    /** A connection that sends nothing for this long is dropped (and retried). */
    idleTimeoutMs?: number,
    progressIntervalMs?: number,
    /** Where `hf:` URIs point; defaults to $HF_ENDPOINT (e.g. a mirror), then https://huggingface.co. */
    huggingFaceEndpoint?: string,
    /** Keep a file already at the destination when it matches `sha256` (or, without one, whatever it is). */
    skipExisting?: boolean,
    log?: (line: string) => void
};

export type DownloadModelResult = {
    filePath: string,
    sizeBytes: number,
    sha256: string,
    /** Bytes an earlier, interrupted download had left on disk when this call started. */
    resumedFromBytes: number,
    /** True when the file was already complete and nothing was fetched. */
    alreadyPresent: boolean
};

export type HuggingFaceFileUri = {user: string, repo: string, filePath: string, revision: string};

/** The downloaded bytes are not the file the catalog promised; the bad file has been deleted. */
export class ChecksumMismatchError extends Error {
    public constructor(
        public readonly filePath: string,
        public readonly expectedSha256: string,
        public readonly actualSha256: string
    ) {
        super(
            `The downloaded file ${path.basename(filePath)} has sha256 ${actualSha256}, but ${expectedSha256} was expected. ` +
            "The file was deleted so it cannot be loaded by mistake. Download it again; if the checksum still differs, " +
            "the source no longer serves that file: check the model's source and sha256 in the catalog."
        );
        this.name = new.target.name;
    }
}

export class DownloadHttpError extends Error {
    public constructor(public readonly status: number, public readonly url: string) {
        super(
            `The server answered HTTP ${status} for ${url}. ` +
            (status === 401 || status === 403
                ? "The file may be gated: accept its licence on Hugging Face and pass a token in the Authorization header."
                : status === 404
                    ? "Check the model's source URI (user, repository, file name and revision)."
                    : "Try again later, or use a mirror (set HF_ENDPOINT, e.g. https://hf-mirror.com).")
        );
        this.name = new.target.name;
    }

    public get retryable(): boolean {
        return this.status >= 500 || this.status === 408 || this.status === 429;
    }
}

/** Connection problems outlasted the retries; the partial file is kept so the next call resumes. */
export class DownloadInterruptedError extends Error {
    public constructor(
        public readonly partialPath: string,
        public readonly downloadedBytes: number,
        public readonly totalBytes: number | null,
        cause: unknown
    ) {
        super(
            `The download stopped at ${downloadedBytes}${totalBytes != null ? ` of ${totalBytes}` : ""} bytes ` +
            `(${cause instanceof Error ? cause.message : String(cause)}). ` +
            `The partial file ${partialPath} is kept: start the download again to resume from there.`,
            {cause}
        );
        this.name = new.target.name;
    }
}

export class InvalidModelSourceError extends Error {
    public constructor(source: string, reason: string) {
        super(`"${source}" is not a model source we can download: ${reason}`);
        this.name = new.target.name;
    }
}

/** A response we could not append to the partial file (cut short, or resumed elsewhere): worth another attempt. */
class RetryableResponseError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

const retryableNetworkCodes = new Set([
    "ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH",
    "ERR_STREAM_PREMATURE_CLOSE"
]);
const maxRedirects = 10;
const revisionPattern = /^[A-Za-z0-9._\-/]+$/;

/** Parses `hf:<user>/<repo>/<file path>[#<revision>]`; null for anything else, including `hf:<user>/<repo>:<quant>`. */
export function parseHuggingFaceUri(source: string): HuggingFaceFileUri | null {
    const match = /^hf:([^/\s:#]+)\/([^/\s:#]+)\/([^#\s]+?)(?:#([^\s]+))?$/.exec(source);
    if (match == null) return null;

    const [, user, repo, filePath, revision = "main"] = match;
    if (filePath!.split("/").some((part) => part === "" || part === "." || part === "..")) return null;
    if (!revisionPattern.test(revision)) return null;

    return {user: user!, repo: repo!, filePath: filePath!, revision};
}

/** The URL a source downloads from. Throws `InvalidModelSourceError` for anything we cannot download. */
export function resolveDownloadUrl(source: string, {huggingFaceEndpoint}: {huggingFaceEndpoint?: string} = {}): URL {
    if (source.startsWith("hf:")) {
        const uri = parseHuggingFaceUri(source);
        if (uri == null)
            throw new InvalidModelSourceError(source, "expected hf:<user>/<repo>/<file>.gguf[#<revision>]; a file must be named so its size and checksum can be pinned");

        const endpoint = (huggingFaceEndpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
        const encodedPath = uri.filePath.split("/").map(encodeURIComponent).join("/");
        return new URL(`${endpoint}/${encodeURIComponent(uri.user)}/${encodeURIComponent(uri.repo)}/resolve/${encodeURIComponent(uri.revision)}/${encodedPath}`);
    }

    let url: URL;
    try {
        url = new URL(source);
    } catch {
        throw new InvalidModelSourceError(source, "it is neither a URL nor an hf: URI");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:")
        throw new InvalidModelSourceError(source, `the ${url.protocol} scheme is not supported`);

    return url;
}

/**
 * Downloads a model file, resuming an earlier partial download, and verifies its sha256.
 *
 * We speak HTTP ourselves instead of using node-llama-cpp's `createModelDownloader`: its `ipull` engine splits the
 * file into 5 MB chunks, restarts a chunk from its start when a connection drops, and in our checks left nothing on
 * disk when cancelled, so an interrupted multi-gigabyte download started over. Here the bytes go to
 * `<file>.partial`, a new attempt asks for `Range: bytes=<size of .partial>-`, and the file gets its final name only
 * once complete and verified.
 */
export async function downloadModel({
    source, dirPath, fileName, sha256: givenSha256 = null, headers = {}, signal, onProgress, maxRetries = 5,
    retryDelayMs = 1000, idleTimeoutMs = 60_000, progressIntervalMs = 250, huggingFaceEndpoint, skipExisting = true,
    log = (line) => console.warn(line)
}: DownloadModelOptions): Promise<DownloadModelResult> {
    signal?.throwIfAborted();
    const url = resolveDownloadUrl(source, {huggingFaceEndpoint});
    const name = fileName ?? decodeURIComponent(url.pathname.split("/").pop() ?? "");
    if (name === "" || name !== path.basename(name))
        throw new InvalidModelSourceError(source, `"${name}" cannot be used as a file name; pass fileName`);
    // Tools differ in case (PowerShell's Get-FileHash prints upper case); node:crypto gives lower case
    const expectedSha256 = givenSha256?.toLowerCase() ?? null;
    if (expectedSha256 != null && !/^[0-9a-f]{64}$/.test(expectedSha256))
        throw new TypeError(`sha256 must be 64 hex digits, got "${givenSha256}"`);

    const filePath = path.join(dirPath, name);
    const partialPath = `${filePath}.partial`;
    await fs.promises.mkdir(dirPath, {recursive: true});

    if (skipExisting && fs.existsSync(filePath)) {
        const existingSha256 = await sha256OfFile(filePath, signal);
        if (expectedSha256 == null || existingSha256 === expectedSha256) {
            const {size} = await fs.promises.stat(filePath);
            return {filePath, sizeBytes: size, sha256: existingSha256, resumedFromBytes: 0, alreadyPresent: true};
        }

        log(`[download] ${name} is already there but its sha256 is ${existingSha256}, not ${expectedSha256}: downloading it again`);
        await fs.promises.rm(filePath, {force: true});
    }

    const resumedFromBytes = await fileSize(partialPath);
    const report = throttle(safeProgressListener(onProgress, log, "download"), progressIntervalMs);
    // What the server last said the whole file weighs, so an interruption can say how far it got
    const known: {totalBytes: number | null} = {totalBytes: null};
    for (let attempt = 0; ; attempt++) {
        try {
            await fetchIntoPartial(url, partialPath, {headers, signal, idleTimeoutMs, report, known});
            break;
        } catch (error) {
            if (signal?.aborted) throw signal.reason;
            if (!isRetryable(error)) throw error;

            const downloadedBytes = await fileSize(partialPath);
            if (attempt >= maxRetries)
                throw new DownloadInterruptedError(partialPath, downloadedBytes, known.totalBytes, error);

            log(`[download] ${name}: ${errorMessage(error)} at ${downloadedBytes} bytes; resuming (retry ${attempt + 1} of ${maxRetries})`);
            await sleep(retryDelayMs * (attempt + 1), signal);
        }
    }

    const sizeBytes = await fileSize(partialPath);
    report.flush({downloadedBytes: sizeBytes, totalBytes: known.totalBytes ?? sizeBytes});

    // Hash what is on disk rather than what went over the wire: a resumed file is only right if both halves are
    const actualSha256 = await sha256OfFile(partialPath, signal);
    if (expectedSha256 != null && actualSha256 !== expectedSha256) {
        await fs.promises.rm(partialPath, {force: true});
        throw new ChecksumMismatchError(filePath, expectedSha256, actualSha256);
    }

    await fs.promises.rename(partialPath, filePath);
    return {filePath, sizeBytes, sha256: actualSha256, resumedFromBytes, alreadyPresent: false};
}

type Reporter = ((progress: DownloadProgress) => void) & {flush(progress: DownloadProgress): void};

/** One request: appends to the partial file from where it ends, and notes the file's total size when told. */
async function fetchIntoPartial(url: URL, partialPath: string, {headers, signal, idleTimeoutMs, report, known}: {
    headers: Record<string, string>, signal: AbortSignal | undefined, idleTimeoutMs: number, report: Reporter,
    known: {totalBytes: number | null}
}): Promise<void> {
    const offset = await fileSize(partialPath);
    const requestHeaders = offset > 0 ? {...headers, range: `bytes=${offset}-`} : headers;
    const response = await openResponse(url, requestHeaders, signal, idleTimeoutMs);

    let start: number;
    let totalBytes: number | null;
    if (response.statusCode === 206) {
        const range = parseContentRange(response.headers["content-range"]);
        if (range == null || range.start !== offset) {
            // A server that resumes somewhere else cannot be appended to; start over on the next attempt
            response.destroy();
            await fs.promises.truncate(partialPath, 0);
            throw new RetryableResponseError(`asked to resume at byte ${offset}, the server sent "${response.headers["content-range"]}"`);
        }
        start = offset;
        totalBytes = range.total;
    } else if (response.statusCode === 200) {
        // No range support (or nothing to resume): the whole file comes again
        start = 0;
        const length = Number(response.headers["content-length"]);
        totalBytes = Number.isFinite(length) && response.headers["content-length"] != null ? length : null;
    } else if (response.statusCode === 416) {
        response.resume();
        const total = parseUnsatisfiedRangeTotal(response.headers["content-range"]);
        known.totalBytes = total ?? known.totalBytes;
        if (total === offset) return;

        await fs.promises.truncate(partialPath, 0);
        throw new RetryableResponseError(`the partial file has ${offset} bytes but the server's file has ${total ?? "an unknown number of"}`);
    } else {
        response.resume();
        throw new DownloadHttpError(response.statusCode ?? 0, url.href);
    }

    known.totalBytes = totalBytes ?? known.totalBytes;
    let downloadedBytes = start;
    report({downloadedBytes, totalBytes});
    const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
            downloadedBytes += chunk.length;
            report({downloadedBytes, totalBytes});
            callback(null, chunk);
        }
    });
    const file = fs.createWriteStream(partialPath, {flags: start === 0 ? "w" : "a"});
    const fileClosed = new Promise<void>((resolve) => file.once("close", () => resolve()));
    try {
        await pipeline(response, counter, file, {signal});
    } finally {
        // A cut connection rejects the pipeline while the last write may still be landing: wait for the file to
        // close, so the partial file's size (where a resume starts) is final
        file.destroy();
        await fileClosed;
    }

    if (totalBytes != null && downloadedBytes !== totalBytes)
        throw new RetryableResponseError(`the connection closed after ${downloadedBytes} of ${totalBytes} bytes`);
}

function openResponse(
    url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, idleTimeoutMs: number, redirectsLeft = maxRedirects
): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
        const client = url.protocol === "https:" ? https : http;
        const request = client.get(url, {headers, signal}, (response) => {
            const status = response.statusCode ?? 0;
            const location = response.headers.location;
            if (status >= 300 && status < 400 && location != null) {
                response.resume();
                if (redirectsLeft === 0) {
                    reject(new Error(`too many redirects from ${url.href}`));
                    return;
                }

                // Hugging Face redirects file downloads to a CDN; our credentials are not for that host
                const target = new URL(location, url);
                const forwarded = target.host === url.host
                    ? headers
                    : Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== "authorization"));
                openResponse(target, forwarded, signal, idleTimeoutMs, redirectsLeft - 1).then(resolve, reject);
                return;
            }
            resolve(response);
        });
        request.setTimeout(idleTimeoutMs, () => {
            request.destroy(Object.assign(new Error(`no data for ${idleTimeoutMs} ms`), {code: "ETIMEDOUT"}));
        });
        request.on("error", reject);
    });
}

function parseContentRange(header: string | undefined): {start: number, total: number | null} | null {
    const match = header == null ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
    if (match == null) return null;

    return {start: Number(match[1]), total: match[3] === "*" ? null : Number(match[3])};
}

function parseUnsatisfiedRangeTotal(header: string | undefined): number | null {
    const match = header == null ? null : /^bytes \*\/(\d+)$/.exec(header.trim());
    return match == null ? null : Number(match[1]);
}

function isRetryable(error: unknown): boolean {
    if (error instanceof RetryableResponseError) return true;
    if (error instanceof DownloadHttpError) return error.retryable;

    const code = (error as {code?: unknown} | null)?.code;
    return typeof code === "string" && retryableNetworkCodes.has(code);
}

async function fileSize(filePath: string): Promise<number> {
    try {
        return (await fs.promises.stat(filePath)).size;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
        throw error;
    }
}

async function sha256OfFile(filePath: string, signal: AbortSignal | undefined): Promise<string> {
    const hash = crypto.createHash("sha256");
    await pipeline(fs.createReadStream(filePath, {highWaterMark: 1 << 20}), hash, {signal});
    return hash.digest("hex");
}


function throttle(listener: (progress: DownloadProgress) => void, intervalMs: number): Reporter {
    let lastTime = -Infinity;
    const reporter = (progress: DownloadProgress) => {
        const now = performance.now();
        if (now - lastTime < intervalMs) return;
        lastTime = now;
        listener(progress);
    };
    return Object.assign(reporter, {flush: listener});
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
        const onAbort = () => {
            clearTimeout(timer);
            reject(signal!.reason);
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        signal?.addEventListener("abort", onAbort, {once: true});
    });
}

function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
