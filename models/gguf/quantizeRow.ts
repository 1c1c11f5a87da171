import {GgmlType, rowByteSize} from "./ggmlTypes";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a number, rounded to nearest even (as ggml's `GGML_FP32_TO_FP16`). */
export function toHalfBits(value: number): number {
    f32[0] = value;
    const bits = u32[0]!;
    const sign = (bits >>> 16) & 0x8000;
    const exponent = (bits >>> 23) & 0xff;
    let mantissa = bits & 0x7fffff;

    if (exponent === 0xff)
        return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);

    let halfExponent = exponent - 127 + 15;
    if (halfExponent >= 0x1f)
        return sign | 0x7c00;

    if (halfExponent <= 0) {
        if (halfExponent < -10)
            return sign;

        mantissa |= 0x800000;
        const shift = 14 - halfExponent;
        let half = mantissa >>> shift;
        const remainder = mantissa & ((1 << shift) - 1);
        const halfway = 1 << (shift - 1);
        if (remainder > halfway || (remainder === halfway && (half & 1) !== 0))
            half++;

        return sign | half;
    }

    let half = (halfExponent << 10) | (mantissa >>> 13);
    const remainder = mantissa & 0x1fff;
    if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) !== 0))
        half++;

    return sign | half;
}

export function fromHalfBits(half: number): number {
    const sign = (half & 0x8000) !== 0 ? -1 : 1;
    const exponent = (half >>> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0)
        return sign * mantissa * 2 ** -24;
    if (exponent === 0x1f)
        return mantissa !== 0 ? NaN : sign * Infinity;

    return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * Encodes one row of float values into `out` (at `offset`) in the given ggml type, following the reference
 * quantizers `quantize_row_q8_0_ref` and `quantize_row_q4_0_ref` in ggml-quants.c.
 * Returns the number of bytes written.
 */
export function quantizeRow(type: GgmlType, values: Float32Array, out: Buffer, offset: number): number {
    const size = rowByteSize(type, values.length);
    switch (type) {
        case GgmlType.F32:
            for (let i = 0; i < values.length; i++)
                out.writeFloatLE(values[i]!, offset + i * 4);
            break;
        case GgmlType.F16:
            for (let i = 0; i < values.length; i++)
                out.writeUInt16LE(toHalfBits(values[i]!), offset + i * 2);
            break;
        case GgmlType.Q8_0:
            for (let block = 0; block < values.length / 32; block++) {
                const start = block * 32;
                let absMax = 0;
                for (let i = 0; i < 32; i++)
                    absMax = Math.max(absMax, Math.abs(values[start + i]!));

                const scale = absMax / 127;
                const inverse = scale !== 0 ? 1 / scale : 0;
                const at = offset + block * 34;
                out.writeUInt16LE(toHalfBits(scale), at);
                for (let i = 0; i < 32; i++)
                    out.writeInt8(Math.round(values[start + i]! * inverse), at + 2 + i);
            }
            break;
        case GgmlType.Q4_0:
            for (let block = 0; block < values.length / 32; block++) {
                const start = block * 32;
                let absMax = 0;
                let signedMax = 0;
                for (let i = 0; i < 32; i++) {
                    const value = values[start + i]!;
                    if (Math.abs(value) > absMax) {
                        absMax = Math.abs(value);
                        signedMax = value;
                    }
                }

                const scale = signedMax / -8;
                const inverse = scale !== 0 ? 1 / scale : 0;
                const at = offset + block * 18;
                out.writeUInt16LE(toHalfBits(scale), at);
                for (let i = 0; i < 16; i++) {
                    const low = Math.min(15, Math.trunc(values[start + i]! * inverse + 8.5));
                    const high = Math.min(15, Math.trunc(values[start + 16 + i]! * inverse + 8.5));
                    out[at + 2 + i] = low | (high << 4);
                }
            }
            break;
    }

    return size;
}
