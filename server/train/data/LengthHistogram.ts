/** Bucket edges shared by every histogram, so two files (or characters and tokens) can be compared bucket by bucket. */
export const lengthBucketEdges = [0, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384] as const;

/** A bucket holds lengths in [from, to); the last one has no upper edge (`to` null). */
export type LengthBucket = {from: number, to: number | null, count: number};

export type LengthStats = {
    count: number,
    /** 0 when there is nothing counted. */
    min: number,
    max: number,
    mean: number,
    histogram: LengthBucket[]
};

/** Lengths counted into fixed buckets: constant memory however many are added. */
export class LengthHistogram {
    private readonly counts = new Array<number>(lengthBucketEdges.length).fill(0);
    private count = 0;
    private total = 0;
    private min = Infinity;
    private max = 0;

    public add(length: number): void {
        let bucket = lengthBucketEdges.length - 1;
        while (bucket > 0 && length < lengthBucketEdges[bucket]!) bucket--;
        this.counts[bucket]!++;
        this.count++;
        this.total += length;
        if (length < this.min) this.min = length;
        if (length > this.max) this.max = length;
    }

    public toStats(): LengthStats {
        return {
            count: this.count,
            min: this.count === 0 ? 0 : this.min,
            max: this.max,
            mean: this.count === 0 ? 0 : this.total / this.count,
            histogram: lengthBucketEdges.map((from, index) => ({from, to: lengthBucketEdges[index + 1] ?? null, count: this.counts[index]!}))
        };
    }
}
