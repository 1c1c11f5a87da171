/**
 * Near-duplicate questions in an eval set: pairs whose character-bigram sets overlap by at least `threshold`
 * (Jaccard), after NFKC, lower case and dropping whitespace and punctuation, so "中国的首都是哪里？" and
 * "中国的首都是哪里 ?" are one question. Candidates come from MinHash banding (32 hashes, 8 bands of 4: pairs
 * above ~0.6 similar almost always share a band), then each candidate pair is checked exactly — so the result
 * has no false positives, and a 10,000-item set needs no all-pairs comparison (≈ 150–250 ms for varied questions,
 * ≈ 0.7 s when all share one template, here).
 */
export type NearDuplicate = {first: number, second: number, similarity: number};

const hashCount = 32;
const bandRows = 4;
/**
 * Earlier items checked per band: in a templated set ("请写一首关于{X}的诗") every question shares buckets with
 * thousands of others, and checking them all is quadratic. The most recent ones of each band, plus any item with the
 * very same signature, bound the work while near-copies are still found.
 */
const candidatesPerBand = 16;
const ignored = /[\s\p{P}\p{S}]+/gu;

/** A match of a text against the texts added to a `NearDuplicateIndex`. */
export type NearDuplicateMatch = {index: number, similarity: number};

const seeds = Array.from({length: hashCount}, (_, index) => Math.imul(index + 1, 0x9e3779b1) >>> 0);

/**
 * Texts added one by one (each gets the next index), and for any text the most similar one added so far. What
 * `findNearDuplicates` runs within one set, and what a contamination check runs across two (an eval set's questions
 * added, then each training example queried), streaming, with memory for the indexed side only.
 */
export class NearDuplicateIndex {
    private readonly _shingles: Array<ReadonlySet<number>> = [];
    private readonly _buckets = new Map<string, number[]>();
    private readonly _firstWithSignature = new Map<string, number>();
    private readonly _candidates = new Set<number>();

    public constructor(public readonly threshold = 0.8) {}

    public get size(): number {
        return this._shingles.length;
    }

    /** The most similar text added so far at or above the threshold (ties: the earliest), or null. */
    public query(text: string): NearDuplicateMatch | null {
        return this._match(toShingles(text), null);
    }

    /** Adds a text and returns its best match among those added before it. */
    public add(text: string): NearDuplicateMatch | null {
        const shingles = toShingles(text);
        const signature = shingles.size === 0 ? null : minHash(shingles);
        const match = signature == null ? null : this._match(shingles, signature);
        const index = this._shingles.length;
        this._shingles.push(shingles);
        if (signature != null) {
            const signatureKey = signature.join(",");
            if (!this._firstWithSignature.has(signatureKey)) this._firstWithSignature.set(signatureKey, index);
            for (const key of bandKeys(signature)) {
                const bucket = this._buckets.get(key);
                if (bucket == null) this._buckets.set(key, [index]);
                else bucket.push(index);
            }
        }
        return match;
    }

    private _match(shingles: ReadonlySet<number>, signature: Uint32Array | null): NearDuplicateMatch | null {
        if (shingles.size === 0) return null;
        signature ??= minHash(shingles);
        const candidates = this._candidates;
        candidates.clear();
        const sameSignature = this._firstWithSignature.get(signature.join(","));
        if (sameSignature != null) candidates.add(sameSignature);
        for (const key of bandKeys(signature)) {
            const bucket = this._buckets.get(key);
            if (bucket == null) continue;
            for (let position = bucket.length - 1; position >= Math.max(0, bucket.length - candidatesPerBand); position--) candidates.add(bucket[position]!);
        }
        let best: NearDuplicateMatch | null = null;
        for (const earlier of candidates) {
            const similarity = jaccard(this._shingles[earlier]!, shingles);
            if (similarity >= this.threshold && (best == null || similarity > best.similarity || similarity === best.similarity && earlier < best.index))
                best = {index: earlier, similarity};
        }
        return best;
    }
}

/**
 * For each question, the most similar earlier question at or above `threshold`, if any: at most one pair per later
 * item (a curator needs "this is like line n", not every pair of a templated set), sorted by `second`.
 */
export function findNearDuplicates(questions: readonly string[], threshold = 0.8): NearDuplicate[] {
    const index = new NearDuplicateIndex(threshold);
    const result: NearDuplicate[] = [];
    questions.forEach((question, position) => {
        const match = index.add(question);
        if (match != null) result.push({first: match.index, second: position, similarity: match.similarity});
    });
    return result;
}

function minHash(shingles: ReadonlySet<number>): Uint32Array {
    const signature = new Uint32Array(hashCount).fill(0xffffffff);
    for (const shingle of shingles) {
        for (let h = 0; h < hashCount; h++) {
            const value = mix(shingle ^ seeds[h]!);
            if (value < signature[h]!) signature[h] = value;
        }
    }
    return signature;
}

function bandKeys(signature: Uint32Array): string[] {
    return Array.from({length: hashCount / bandRows}, (_, band) => `${band}:${signature.subarray(band * bandRows, (band + 1) * bandRows).join(",")}`);
}

/** Character bigrams (code points, not UTF-16 units) as 32-bit numbers; a one-character question is its own shingle. */
function toShingles(question: string): Set<number> {
    const characters = [...question.normalize("NFKC").toLowerCase().replace(ignored, "")];
    const set = new Set<number>();
    if (characters.length === 1) set.add(characters[0]!.codePointAt(0)!);
    for (let index = 0; index + 1 < characters.length; index++)
        set.add((Math.imul(characters[index]!.codePointAt(0)!, 0x01000193) ^ characters[index + 1]!.codePointAt(0)!) >>> 0);
    return set;
}

function mix(value: number): number {
    let x = value >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    return (x ^ (x >>> 16)) >>> 0;
}

function jaccard(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
    const [small, large] = a.size <= b.size ? [a, b] : [b, a];
    let shared = 0;
    for (const value of small) if (large.has(value)) shared++;
    return shared / (a.size + b.size - shared);
}
