import fs from "node:fs";
import path from "node:path";
import {GgmlType, rowByteSize} from "./ggmlTypes";
import {quantizeRow} from "./quantizeRow";

/** GGUF metadata value types (gguf.h `gguf_type`). */
const ValueType = {
    UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9,
    UINT64: 10, INT64: 11, FLOAT64: 12
} as const;

export type GgufMetadataValue =
    | {type: "uint32" | "int32" | "float32" | "uint64", value: number}
    | {type: "bool", value: boolean}
    | {type: "string", value: string}
    | {type: "string[]", value: readonly string[]}
    | {type: "float32[]" | "int32[]", value: ArrayLike<number>};

/** Fills one tensor row by row: `fillRow(rowIndex, row)` writes the row's float values into `row`. */
export type TensorRowSource = (rowIndex: number, row: Float32Array) => void;

type PendingTensor = {
    name: string,
    dims: number[],
    type: GgmlType,
    fillRow: TensorRowSource,
    byteSize: number,
    offset: number
};

const alignment = 32;
const ggufVersion = 3;

/**
 * Writes a GGUF v3 file. Metadata is kept in memory, tensor data is produced row by row while writing, so a
 * model of any size needs only one row's worth of memory. The file appears at its path only once complete.
 */
export class GgufWriter {
    private readonly _metadata: Array<[string, GgufMetadataValue]> = [];
    private readonly _tensors: PendingTensor[] = [];
    private _dataSize = 0;

    public setMetadata(key: string, value: GgufMetadataValue): this {
        if (this._metadata.some(([existing]) => existing === key))
            throw new Error(`GGUF metadata key "${key}" is set twice`);

        this._metadata.push([key, value]);
        return this;
    }

    /** `dims` in ggml order: dims[0] is the row length (ne0). */
    public addTensor(name: string, dims: number[], type: GgmlType, fillRow: TensorRowSource): this {
        const rowCount = dims.slice(1).reduce((a, b) => a * b, 1);
        const byteSize = rowByteSize(type, dims[0]!) * rowCount;
        this._tensors.push({name, dims, type, fillRow, byteSize, offset: this._dataSize});
        this._dataSize += alignUp(byteSize);
        return this;
    }

    public get parameterCount(): number {
        return this._tensors.reduce((sum, tensor) => sum + tensor.dims.reduce((a, b) => a * b, 1), 0);
    }

    public async write(filePath: string, {signal}: {signal?: AbortSignal} = {}): Promise<void> {
        await fs.promises.mkdir(path.dirname(filePath), {recursive: true});
        const tempPath = `${filePath}.${process.pid}.tmp`;
        const handle = await fs.promises.open(tempPath, "w");
        try {
            const header = this._encodeHeader();
            let position = 0;
            await handle.write(header, 0, header.length, position);
            position += alignUp(header.length);

            for (const tensor of this._tensors) {
                signal?.throwIfAborted();
                await this._writeTensor(handle, tensor, position + tensor.offset);
            }

            await handle.truncate(position + this._dataSize);
            await handle.close();
            await fs.promises.rename(tempPath, filePath);
        } catch (error) {
            await handle.close().catch(() => undefined);
            await fs.promises.rm(tempPath, {force: true});
            throw error;
        }
    }

    private async _writeTensor(handle: fs.promises.FileHandle, tensor: PendingTensor, position: number) {
        const rowLength = tensor.dims[0]!;
        const rowBytes = rowByteSize(tensor.type, rowLength);
        const rowCount = tensor.byteSize / rowBytes;
        const rowsPerChunk = Math.max(1, Math.floor((4 << 20) / rowBytes));
        const row = new Float32Array(rowLength);
        const chunk = Buffer.alloc(rowsPerChunk * rowBytes);

        for (let firstRow = 0; firstRow < rowCount; firstRow += rowsPerChunk) {
            const rows = Math.min(rowsPerChunk, rowCount - firstRow);
            for (let i = 0; i < rows; i++) {
                tensor.fillRow(firstRow + i, row);
                quantizeRow(tensor.type, row, chunk, i * rowBytes);
            }
            await handle.write(chunk, 0, rows * rowBytes, position + firstRow * rowBytes);
        }
    }

    private _encodeHeader(): Buffer {
        const parts: Buffer[] = [];
        const u32 = (value: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(value); parts.push(b); };
        const u64 = (value: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(value)); parts.push(b); };
        const str = (value: string) => { const bytes = Buffer.from(value, "utf8"); u64(bytes.length); parts.push(bytes); };

        parts.push(Buffer.from("GGUF", "latin1"));
        u32(ggufVersion);
        u64(this._tensors.length);
        u64(this._metadata.length);

        for (const [key, entry] of this._metadata) {
            str(key);
            switch (entry.type) {
                case "uint32": u32(ValueType.UINT32); u32(entry.value); break;
                case "int32": { u32(ValueType.INT32); const b = Buffer.alloc(4); b.writeInt32LE(entry.value); parts.push(b); break; }
                case "float32": { u32(ValueType.FLOAT32); const b = Buffer.alloc(4); b.writeFloatLE(entry.value); parts.push(b); break; }
                case "uint64": u32(ValueType.UINT64); u64(entry.value); break;
                case "bool": u32(ValueType.BOOL); parts.push(Buffer.from([entry.value ? 1 : 0])); break;
                case "string": u32(ValueType.STRING); str(entry.value); break;
                case "string[]":
                    u32(ValueType.ARRAY); u32(ValueType.STRING); u64(entry.value.length);
                    for (const item of entry.value) str(item);
                    break;
                case "float32[]":
                case "int32[]": {
                    const isFloat = entry.type === "float32[]";
                    u32(ValueType.ARRAY); u32(isFloat ? ValueType.FLOAT32 : ValueType.INT32); u64(entry.value.length);
                    const b = Buffer.alloc(entry.value.length * 4);
                    for (let i = 0; i < entry.value.length; i++) {
                        if (isFloat) b.writeFloatLE(entry.value[i]!, i * 4);
                        else b.writeInt32LE(entry.value[i]!, i * 4);
                    }
                    parts.push(b);
                    break;
                }
            }
        }

        for (const tensor of this._tensors) {
            str(tensor.name);
            u32(tensor.dims.length);
            for (const dim of tensor.dims) u64(dim);
            u32(tensor.type);
            u64(tensor.offset);
        }

        return Buffer.concat(parts);
    }
}

function alignUp(size: number): number {
    return Math.ceil(size / alignment) * alignment;
}

