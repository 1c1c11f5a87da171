import fs from "node:fs";
import path from "node:path";
import {once} from "node:events";
import zlib from "node:zlib";

// A streaming reader for the .tgz files npm publishes (ustar, with pax or GNU long-name headers for long paths), so
// the extension needs no tar package: node-llama-cpp's `tar` is cmake-js's dependency, not ours to lean on.

export class InvalidTarballError extends Error {
    public constructor(filePath: string, reason: string) {
        super(`${path.basename(filePath)} is not a tarball we can unpack: ${reason}`);
        this.name = new.target.name;
    }
}

const blockBytes = 512;

/**
 * Unpacks the regular files and folders of `tarGzPath` into `destDir`. `mapEntry` turns an entry's path (as in the
 * tarball, `/`-separated, e.g. `package/bins/x.so`) into one relative to `destDir`, or undefined to skip it. Links and
 * device entries are refused, as are paths that would leave `destDir`.
 */
export async function extractTarGz(tarGzPath: string, destDir: string, {mapEntry = (entryPath) => entryPath, signal}: {
    mapEntry?: (entryPath: string) => string | undefined,
    signal?: AbortSignal
} = {}): Promise<{files: number}> {
    const root = path.resolve(destDir);
    const input = fs.createReadStream(tarGzPath, {highWaterMark: 1 << 20}).pipe(zlib.createGunzip());
    const onAbort = () => input.destroy(signal!.reason as Error);
    signal?.addEventListener("abort", onAbort, {once: true});

    let buffered: Buffer = Buffer.alloc(0);
    /** Names a pax (`x`) or GNU (`L`) header gave the entry that follows. */
    let pendingPath: string | undefined;
    let files = 0;
    let ended = false;

    /** Takes `byteLength` bytes from the stream, or fewer at its end. */
    const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const take = async (byteLength: number): Promise<Buffer> => {
        while (buffered.length < byteLength) {
            const next = await iterator.next();
            if (next.done) break;
            buffered = buffered.length === 0 ? next.value : Buffer.concat([buffered, next.value]);
        }
        const taken = buffered.subarray(0, byteLength);
        buffered = buffered.subarray(taken.length);
        return taken;
    };
    /** Streams `byteLength` bytes (and the block padding after them) into `write`, without holding them all. */
    const pass = async (byteLength: number, write: (chunk: Buffer) => Promise<void>) => {
        let left = byteLength;
        while (left > 0) {
            if (buffered.length === 0) {
                const next = await iterator.next();
                if (next.done) throw new InvalidTarballError(tarGzPath, "it ends inside a file");
                buffered = next.value;
            }
            const chunk = buffered.subarray(0, Math.min(left, buffered.length));
            buffered = buffered.subarray(chunk.length);
            left -= chunk.length;
            await write(chunk);
        }
        const padding = (blockBytes - (byteLength % blockBytes)) % blockBytes;
        if ((await take(padding)).length !== padding) throw new InvalidTarballError(tarGzPath, "it ends inside a file's padding");
    };

    try {
        while (!ended) {
            const header = await take(blockBytes);
            if (header.length === 0) break;
            if (header.length < blockBytes) throw new InvalidTarballError(tarGzPath, "it ends inside a header");
            if (header.every((byte) => byte === 0)) {
                ended = true;
                break;
            }
            const size = parseOctal(header.subarray(124, 136));
            if (size == null || !checksumMatches(header)) throw new InvalidTarballError(tarGzPath, "a header is damaged");
            const type = String.fromCharCode(header[156]!);
            const headerPath = readString(header, 345, 155) !== "" && header.subarray(257, 262).toString("latin1") === "ustar"
                ? `${readString(header, 345, 155)}/${readString(header, 0, 100)}`
                : readString(header, 0, 100);

            if (type === "x" || type === "L") {
                const chunks: Buffer[] = [];
                await pass(size, async (chunk) => { chunks.push(Buffer.from(chunk)); });
                const body = Buffer.concat(chunks);
                pendingPath = type === "L" ? body.toString("utf8").replace(/\0+$/, "") : parsePaxPath(body) ?? pendingPath;
                continue;
            }
            const entryPath = pendingPath ?? headerPath;
            pendingPath = undefined;
            if (type === "g") {
                await pass(size, async () => {});
                continue;
            }
            if (type !== "0" && type !== "\0" && type !== "5" && type !== "7")
                throw new InvalidTarballError(tarGzPath, `${entryPath} is a link or a device (type ${JSON.stringify(type)})`);

            const relative = mapEntry(entryPath.replace(/\/+$/, ""));
            const target = relative == null ? undefined : path.resolve(root, relative);
            if (target != null && target !== root && !target.startsWith(root + path.sep))
                throw new InvalidTarballError(tarGzPath, `${entryPath} would be written outside ${destDir}`);

            if (type === "5") {
                if (target != null) await fs.promises.mkdir(target, {recursive: true});
                await pass(size, async () => {});
                continue;
            }
            if (target == null) {
                await pass(size, async () => {});
                continue;
            }
            await fs.promises.mkdir(path.dirname(target), {recursive: true});
            const mode = parseOctal(header.subarray(100, 108)) ?? 0o644;
            const file = fs.createWriteStream(target, {mode: (mode & 0o111) !== 0 ? 0o755 : 0o644});
            try {
                await pass(size, async (chunk) => {
                    if (!file.write(chunk)) await once(file, "drain");
                });
                file.end();
                await once(file, "close");
            } finally {
                file.destroy();
            }
            files++;
        }
        if (!ended) throw new InvalidTarballError(tarGzPath, "it has no end-of-archive blocks");
    } finally {
        signal?.removeEventListener("abort", onAbort);
        input.destroy();
    }
    signal?.throwIfAborted();
    return {files};
}

function readString(block: Buffer, offset: number, length: number): string {
    const field = block.subarray(offset, offset + length);
    const end = field.indexOf(0);
    return field.subarray(0, end === -1 ? field.length : end).toString("utf8");
}

function parseOctal(field: Buffer): number | undefined {
    const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
    return /^[0-7]+$/.test(text) ? parseInt(text, 8) : text === "" ? 0 : undefined;
}

/** The header checksum: the sum of its bytes with the checksum field itself read as spaces. */
function checksumMatches(header: Buffer): boolean {
    const expected = parseOctal(header.subarray(148, 156));
    let sum = 0;
    for (let index = 0; index < blockBytes; index++) sum += index >= 148 && index < 156 ? 0x20 : header[index]!;
    return expected === sum;
}

/** A pax header's `path` record (`<length> path=<value>\n`), if it has one. */
function parsePaxPath(body: Buffer): string | undefined {
    let offset = 0;
    let found: string | undefined;
    while (offset < body.length) {
        const space = body.indexOf(0x20, offset);
        if (space === -1) break;
        const length = Number(body.subarray(offset, space).toString("latin1"));
        if (!Number.isInteger(length) || length <= 0) break;
        const record = body.subarray(space + 1, offset + length - 1).toString("utf8");
        if (record.startsWith("path=")) found = record.slice("path=".length);
        offset += length;
    }
    return found;
}
