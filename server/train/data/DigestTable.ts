/**
 * A set of 64-bit digests (the first 8 bytes of a hash), each with the line where it was first seen: an
 * open-addressing table in typed arrays, 12 bytes a slot at most half full, so 2 million examples take about 48 MiB
 * (outside the JS heap) where a `Map` of hex strings would take several times that. Two different examples share a
 * 64-bit digest with a probability of about n²/2⁶⁵ (1 in 10 million for 2 million examples).
 */
export class DigestTable {
    private high: Uint32Array;
    private low: Uint32Array;
    /** 0 marks an empty slot: lines start at 1. */
    private lines: Uint32Array;
    private _size = 0;

    public constructor(initialCapacity = 1 << 16) {
        const capacity = 2 ** Math.ceil(Math.log2(Math.max(16, initialCapacity)));
        this.high = new Uint32Array(capacity);
        this.low = new Uint32Array(capacity);
        this.lines = new Uint32Array(capacity);
    }

    public get size(): number {
        return this._size;
    }

    /** Bytes held by the table. */
    public get byteLength(): number {
        return this.high.byteLength + this.low.byteLength + this.lines.byteLength;
    }

    /** The line `digest` was first seen on, or null after adding it with `line` (≥ 1). */
    public firstLineOrAdd(digest: Uint8Array, line: number): number | null {
        const high = readUint32(digest, 0);
        const low = readUint32(digest, 4);
        const found = this.find(high, low);
        if (this.lines[found] !== 0) return this.lines[found]!;
        this.high[found] = high;
        this.low[found] = low;
        this.lines[found] = line;
        if (++this._size * 2 > this.lines.length) this.grow();
        return null;
    }

    private find(high: number, low: number): number {
        const mask = this.lines.length - 1;
        // The digest is already uniform: its low word is the slot
        let slot = low & mask;
        while (this.lines[slot] !== 0 && (this.high[slot] !== high || this.low[slot] !== low)) slot = (slot + 1) & mask;
        return slot;
    }

    private grow(): void {
        const {high, low, lines} = this;
        const capacity = lines.length * 2;
        this.high = new Uint32Array(capacity);
        this.low = new Uint32Array(capacity);
        this.lines = new Uint32Array(capacity);
        for (let slot = 0; slot < lines.length; slot++) {
            if (lines[slot] === 0) continue;
            const target = this.find(high[slot]!, low[slot]!);
            this.high[target] = high[slot]!;
            this.low[target] = low[slot]!;
            this.lines[target] = lines[slot]!;
        }
    }
}

function readUint32(bytes: Uint8Array, offset: number): number {
    return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}
