import assert from "node:assert/strict";
import {GgmlType, rowByteSize} from "../../models/gguf/ggmlTypes";
import {fromHalfBits, quantizeRow, toHalfBits} from "../../models/gguf/quantizeRow";

describe("ggml row encoding", () => {
    it("converts floats to IEEE half precision bits like ggml, rounding to nearest even", () => {
        assert.equal(toHalfBits(0), 0x0000);
        assert.equal(toHalfBits(-0), 0x8000);
        assert.equal(toHalfBits(1), 0x3c00);
        assert.equal(toHalfBits(-2), 0xc000);
        assert.equal(toHalfBits(65504), 0x7bff);
        assert.equal(toHalfBits(1e6), 0x7c00, "overflow is infinity");
        assert.equal(toHalfBits(2 ** -24), 0x0001, "smallest subnormal");
        assert.equal(toHalfBits(1 + 2 ** -11), 0x3c00, "a tie rounds to the even mantissa");
        assert.equal(toHalfBits(1 + 3 * 2 ** -11), 0x3c02);
        for (const value of [0.1, -3.75, 1234.5, 6.1e-5])
            assert.ok(Math.abs(fromHalfBits(toHalfBits(value)) - value) <= Math.abs(value) * 2 ** -11);
    });

    it("writes Q8_0 blocks as an f16 scale of max|x|/127 and 32 rounded int8 values", () => {
        const values = Float32Array.from({length: 32}, (_, i) => (i - 16) / 8);
        const out = Buffer.alloc(rowByteSize(GgmlType.Q8_0, 32));
        assert.equal(quantizeRow(GgmlType.Q8_0, values, out, 0), 34);
        const scale = fromHalfBits(out.readUInt16LE(0));
        assert.ok(Math.abs(scale - 2 / 127) < 1e-5);
        assert.equal(out.readInt8(2), -127);
        assert.equal(out.readInt8(2 + 16), 0);
        assert.equal(out.readInt8(2 + 24), Math.round(1 / (2 / 127)));
    });

    it("writes Q4_0 blocks as scale max/-8 and nibbles packed low half first", () => {
        const values = new Float32Array(32);
        values[0] = -8;
        values[1] = 4;
        values[16] = 7;
        const out = Buffer.alloc(18);
        assert.equal(quantizeRow(GgmlType.Q4_0, values, out, 0), 18);
        assert.equal(fromHalfBits(out.readUInt16LE(0)), 1);
        assert.equal(out[2]! & 0x0f, 0, "-8 / 1 + 8");
        assert.equal(out[2]! >> 4, 15, "element 16 goes in the high nibble of byte 0");
        assert.equal(out[3]! & 0x0f, 12);
        assert.equal(out[4]! & 0x0f, 8, "zero maps to 8");
    });

    it("refuses a row that is not a whole number of quantization blocks", () => {
        assert.throws(() => rowByteSize(GgmlType.Q8_0, 48), /whole number of 32-element blocks/);
        assert.equal(rowByteSize(GgmlType.F16, 48), 96);
    });
});
