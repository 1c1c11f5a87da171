import crypto from "node:crypto";
import {closeSync, openSync, readSync, fstatSync} from "node:fs";
import fs from "node:fs/promises";

/**
 * `llama_model_save_to_file` writes a trained model with only the metadata llama.cpp keeps in its structs: the chat
 * template, the file type and the quantization version are lost, and `<arch>.context_length` becomes the training
 * context (256, say), so the engine would run the tuned model with the wrong template and a tiny context. This puts
 * the base model's metadata back: every key of the base the saved file lacks is added, and the context length is the
 * base's again; the tensors are copied byte for byte (written to a temp file, then renamed over the saved one).
 */
export async function restoreGgufMetadata(
    baseModelPath: string, savedModelPath: string, {fileType}: {fileType?: number} = {}
): Promise<{added: string[], replaced: string[]}> {
    const base = parseGgufHeader(await readHeaderBytes(baseModelPath));
    const saved = parseGgufHeader(await readHeaderBytes(savedModelPath));
    const architecture = base.stringValue("general.architecture");
    const replacedKeys = new Set(architecture == null ? [] : [`${architecture}.context_length`]);

    const savedKeys = new Set(saved.entries.map((entry) => entry.key));
    const replaced: string[] = [];
    const entries = saved.entries.map((entry) => {
        const fromBase = replacedKeys.has(entry.key) ? base.entries.find((candidate) => candidate.key === entry.key) : undefined;
        if (fromBase == null) return entry.bytes;
        replaced.push(entry.key);
        return fromBase.bytes;
    });
    // The saved file's alignment governs its tensor data; the base's must not come in with the rest
    // `fileType`: what the saved tensors are (the trainer writes F32 whatever the base was); it replaces the base's
    const added = base.entries.filter((entry) => !savedKeys.has(entry.key) && entry.key !== "general.alignment"
        && !(fileType != null && entry.key === "general.file_type"));
    entries.push(...added.map((entry) => entry.bytes));
    if (fileType != null) {
        const index = saved.entries.findIndex((entry) => entry.key === "general.file_type");
        const bytes = uint32Entry("general.file_type", fileType);
        if (index >= 0) entries[index] = bytes;
        else entries.push(bytes);
    }

    const head = Buffer.alloc(24);
    head.write("GGUF", 0, "latin1");
    head.writeUInt32LE(saved.version, 4);
    head.writeBigUInt64LE(BigInt(saved.tensorCount), 8);
    head.writeBigUInt64LE(BigInt(entries.length), 16);
    const header = Buffer.concat([head, ...entries, saved.tensorInfoBytes]);
    const alignment = saved.alignment;
    const padding = Buffer.alloc((alignment - header.length % alignment) % alignment);

    const tempPath = `${savedModelPath}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    const output = await fs.open(tempPath, "w");
    const input = await fs.open(savedModelPath, "r");
    try {
        await output.write(Buffer.concat([header, padding]));
        const chunk = Buffer.alloc(8 * 1024 * 1024);
        for (let position = saved.dataOffset; ;) {
            const {bytesRead} = await input.read(chunk, 0, chunk.length, position);
            if (bytesRead === 0) break;
            await output.write(chunk, 0, bytesRead);
            position += bytesRead;
        }
        await output.sync();
    } catch (error) {
        await output.close();
        await fs.rm(tempPath, {force: true});
        throw error;
    } finally {
        await input.close();
    }
    await output.close();
    await fs.rename(tempPath, savedModelPath);
    return {added: added.map((entry) => entry.key), replaced};
}

type GgufHeader = {
    version: number,
    tensorCount: number,
    /** Each key–value pair as its raw bytes (key, type, value), in file order. */
    entries: Array<{key: string, bytes: Buffer}>,
    tensorInfoBytes: Buffer,
    alignment: number,
    /** Where the tensor data starts. */
    dataOffset: number,
    /** `general.file_type` (a `llama_ftype`; 0 = every tensor F32), null when absent. */
    fileType: number | null,
    stringValue(key: string): string | null
};

const valueSizes: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};
const stringType = 8;
const arrayType = 9;

class HeaderTooShortError extends Error {}

/** The header of a GGUF (v2/v3): its key–value pairs as raw bytes and its tensor infos, read from `buffer`. */
function parseGgufHeader(buffer: Buffer): GgufHeader {
    let offset = 0;
    const need = (bytes: number) => {
        if (offset + bytes > buffer.length) throw new HeaderTooShortError();
    };
    const u32 = () => { need(4); const value = buffer.readUInt32LE(offset); offset += 4; return value; };
    const u64 = () => { need(8); const value = Number(buffer.readBigUInt64LE(offset)); offset += 8; return value; };
    const string = () => { const length = u64(); need(length); const value = buffer.toString("utf8", offset, offset + length); offset += length; return value; };
    const skipValue = (type: number) => {
        if (type === stringType) string();
        else if (type === arrayType) {
            const elementType = u32();
            const count = u64();
            if (elementType === stringType || elementType === arrayType) for (let index = 0; index < count; index++) skipValue(elementType);
            else { need(count * valueSizes[elementType]!); offset += count * valueSizes[elementType]!; }
        } else {
            const size = valueSizes[type];
            if (size == null) throw new Error(`unknown GGUF value type ${type} at byte ${offset}`);
            need(size);
            offset += size;
        }
    };

    need(4);
    if (buffer.toString("latin1", 0, 4) !== "GGUF") throw new Error("not a GGUF file (no GGUF magic)");
    offset = 4;
    const version = u32();
    if (version < 2) throw new Error(`GGUF version ${version} is too old to rewrite`);
    const tensorCount = u64();
    const kvCount = u64();
    const entries: GgufHeader["entries"] = [];
    const strings = new Map<string, string>();
    let alignment = 32;
    let fileType: number | null = null;
    for (let index = 0; index < kvCount; index++) {
        const start = offset;
        const key = string();
        const type = u32();
        const valueStart = offset;
        skipValue(type);
        if (type === stringType) strings.set(key, buffer.toString("utf8", valueStart + 8, offset));
        if (key === "general.alignment" && type === 4) alignment = buffer.readUInt32LE(valueStart);
        if (key === "general.file_type" && type === 4) fileType = buffer.readUInt32LE(valueStart);
        entries.push({key, bytes: Buffer.from(buffer.subarray(start, offset))});
    }
    const tensorStart = offset;
    for (let index = 0; index < tensorCount; index++) {
        string();
        const dimensions = u32();
        need(dimensions * 8 + 12);
        offset += dimensions * 8 + 12; // dims, type (u32), offset (u64)
    }
    const tensorInfoBytes = Buffer.from(buffer.subarray(tensorStart, offset));
    const dataOffset = Math.ceil(offset / alignment) * alignment;
    return {version, tensorCount, entries, tensorInfoBytes, alignment, dataOffset, fileType, stringValue: (key) => strings.get(key) ?? null};
}

/** Enough of the file's start to hold its header: read in growing pieces until it parses. */
async function readHeaderBytes(filePath: string): Promise<Buffer> {
    const file = await fs.open(filePath, "r");
    try {
        const {size} = await file.stat();
        for (let length = Math.min(size, 4 * 1024 * 1024); ; length = Math.min(size, length * 4)) {
            const buffer = Buffer.alloc(length);
            await file.read(buffer, 0, length, 0);
            try {
                parseGgufHeader(buffer);
                return buffer;
            } catch (error) {
                if (!(error instanceof HeaderTooShortError) || length === size) throw error instanceof HeaderTooShortError ? new Error(`${filePath}: the GGUF header is cut short`) : error;
            }
        }
    } finally {
        await file.close();
    }
}

/** A GGUF's `general.file_type` (0: all F32, 1: mostly F16, …), null when it has none; reads only the header. */
export function readGgufFileTypeSync(filePath: string): number | null {
    const file = openSync(filePath, "r");
    try {
        const size = fstatSync(file).size;
        for (let length = Math.min(size, 4 * 1024 * 1024); ; length = Math.min(size, length * 4)) {
            const buffer = Buffer.alloc(length);
            readSync(file, buffer, 0, length, 0);
            try {
                return parseGgufHeader(buffer).fileType;
            } catch (error) {
                if (!(error instanceof HeaderTooShortError) || length === size) throw error;
            }
        }
    } finally {
        closeSync(file);
    }
}

/** A key–value pair of type UINT32 as GGUF writes it. */
function uint32Entry(key: string, value: number): Buffer {
    const keyBytes = Buffer.from(key, "utf8");
    const bytes = Buffer.alloc(8 + keyBytes.length + 4 + 4);
    bytes.writeBigUInt64LE(BigInt(keyBytes.length), 0);
    keyBytes.copy(bytes, 8);
    bytes.writeUInt32LE(4, 8 + keyBytes.length);
    bytes.writeUInt32LE(value, 12 + keyBytes.length);
    return bytes;
}
