/**
 * A generator of numbers in [0, 1) that the seed alone determines, so a report computed twice from the same run gets
 * the same confidence intervals (`Math.random` cannot be seeded). sfc32 (Chris Doty-Humphrey's small fast counting
 * generator: passes PractRand, period at least 2^32 thanks to its counter, about 2^127 on average) is plenty for
 * bootstrap draws; its state is filled by splitmix32 so that neighbouring seeds such as 1 and 2 give unrelated streams.
 */
export function createSeededRandom(seed: number): () => number {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`A random seed must be an integer, got ${seed}.`);
    // Fold the high bits in so seeds that differ only above 2^32 still differ
    let splitState = (seed ^ Math.floor(seed / 0x1_0000_0000)) | 0;
    const splitmix32 = (): number => {
        splitState = (splitState + 0x9e3779b9) | 0;
        let mixed = Math.imul(splitState ^ (splitState >>> 16), 0x21f0aaad);
        mixed = Math.imul(mixed ^ (mixed >>> 15), 0x735a2d97);
        return mixed ^ (mixed >>> 15);
    };
    let a = splitmix32(), b = splitmix32(), c = splitmix32(), d = splitmix32();

    const next = (): number => {
        const t = (((a + b) | 0) + d) | 0;
        d = (d + 1) | 0;
        a = b ^ (b >>> 9);
        b = (c + (c << 3)) | 0;
        c = (c << 21) | (c >>> 11);
        c = (c + t) | 0;
        return (t >>> 0) / 0x1_0000_0000;
    };
    // The customary warm-up, so the first draws do not echo the seeding
    for (let i = 0; i < 12; i++) next();
    return next;
}
