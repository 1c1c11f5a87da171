/** A small, fast, seeded PRNG (xoshiro128**), so generated models are the same bytes on every machine. */
export class SeededRandom {
    private _a: number;
    private _b: number;
    private _c: number;
    private _d: number;

    public constructor(seed: number) {
        // splitmix32 spreads a small integer seed over the whole state
        let state = seed >>> 0;
        const next = () => {
            state = (state + 0x9e3779b9) >>> 0;
            let z = state;
            z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
            z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
            return (z ^ (z >>> 16)) >>> 0;
        };
        this._a = next();
        this._b = next();
        this._c = next();
        this._d = next();
    }

    public nextUint32(): number {
        const result = Math.imul(rotl(Math.imul(this._b, 5), 7), 9) >>> 0;
        const t = this._b << 9;
        this._c ^= this._a;
        this._d ^= this._b;
        this._b ^= this._c;
        this._a ^= this._d;
        this._c ^= t;
        this._d = rotl(this._d, 11);
        return result;
    }

    /** Uniform in [-1, 1). */
    public nextSigned(): number {
        return this.nextUint32() / 0x80000000 - 1;
    }
}

function rotl(x: number, k: number): number {
    return (x << k) | (x >>> (32 - k));
}
