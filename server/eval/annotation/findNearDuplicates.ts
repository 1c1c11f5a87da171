/**
 * Near-duplicate questions in an eval set: pairs whose character-bigram sets overlap by at least `threshold`
 * (Jaccard), after NFKC, lower case and dropping whitespace and punctuation, so "中国的首都是哪里？" and
 * "中国的首都是哪里 ?" are one question. Candidates come from MinHash banding (32 hashes, 8 bands of 4: pairs
 * above ~0.6 similar almost always share a band), then each candidate pair is checked exactly — so the result
 * has no false positives, and a 10,000-item set needs no all-pairs comparison.
 */
export type NearDuplicate = {first: number, second: number, similarity: number};

const hashCount = 32;
const bandRows = 4;
const ignored = /[\s\p{P}\p{S}]+/gu;

export function findNearDuplicates(questions: readonly string[], threshold = 0.8): NearDuplicate[] {
    const shingles = questions.map(toShingles);
    const seeds = Array.from({length: hashCount}, (_, index) => Math.imul(index + 1, 0x9e3779b1) >>> 0);
    const buckets = new Map<string, number[]>();
    shingles.forEach((set, index) => {
        if (set.size === 0) return;
        const signature = new Uint32Array(hashCount).fill(0xffffffff);
        for (const shingle of set) {
            for (let h = 0; h < hashCount; h++) {
                const value = mix(shingle ^ seeds[h]!);
                if (value < signature[h]!) signature[h] = value;
            }
        }
        for (let band = 0; band < hashCount / bandRows; band++) {
            const key = `${band}:${signature.subarray(band * bandRows, (band + 1) * bandRows).join(",")}`;
            const bucket = buckets.get(key);
            if (bucket == null) buckets.set(key, [index]);
            else bucket.push(index);
        }
    });

    const checked = new Set<number>();
    const result: NearDuplicate[] = [];
    for (const bucket of buckets.values()) {
        for (let i = 0; i < bucket.length; i++) {
            for (let j = i + 1; j < bucket.length; j++) {
                const first = bucket[i]!;
                const second = bucket[j]!;
                const pairKey = first * questions.length + second;
                if (checked.has(pairKey)) continue;
                checked.add(pairKey);
                const similarity = jaccard(shingles[first]!, shingles[second]!);
                if (similarity >= threshold) result.push({first, second, similarity});
            }
        }
    }
    return result.sort((a, b) => a.first - b.first || a.second - b.second);
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
