/**
 * Lines up the token steps of parallel streams so that they decode in one batch.
 *
 * node-llama-cpp decodes whatever is queued when its dispatch loop comes round, and the sampling of a batch's
 * tokens finishes one sequence after another, so parallel streams drift out of step: 4 streams settle into
 * batches of 3 and 1, or 2 and 2. On CPU a batch of 4 tokens costs about what a batch of 1 does (each weight is
 * read once per batch), so that drift halves the throughput. Each stream calls `arrive()` after it has received
 * a token and before it asks for the next; the barrier lets all of them go together once every member has
 * arrived, or when `maxWaitMs` has passed since the first arrival (a stream that is slow for a step, a grammar or
 * a client, holds the others back at most that long).
 */
export class DecodeStepBarrier {
    private readonly _members = new Set<BarrierMember>();
    private readonly _arrived = new Map<BarrierMember, () => void>();
    private _deadline: NodeJS.Timeout | null = null;

    public constructor(private readonly _maxWaitMs = 250) {}

    /** A stream joins once its prompt is evaluated (it is then in the token-by-token phase) and leaves when done. */
    public join(): BarrierMember {
        const member: BarrierMember = {
            arrive: () => this._arrive(member),
            leave: () => {
                this._members.delete(member);
                this._arrived.get(member)?.();
                this._arrived.delete(member);
                this._releaseIfComplete();
            }
        };
        this._members.add(member);
        return member;
    }

    public get size(): number {
        return this._members.size;
    }

    private _arrive(member: BarrierMember): Promise<void> {
        if (!this._members.has(member) || this._members.size === 1) return Promise.resolve();
        return new Promise((resolve) => {
            this._arrived.set(member, resolve);
            this._deadline ??= setTimeout(() => this._release(), this._maxWaitMs);
            this._releaseIfComplete();
        });
    }

    private _releaseIfComplete() {
        if (this._arrived.size > 0 && this._arrived.size >= this._members.size) this._release();
    }

    private _release() {
        if (this._deadline != null) clearTimeout(this._deadline);
        this._deadline = null;
        const waiting = [...this._arrived.values()];
        this._arrived.clear();
        // on a later turn of the event loop: node-llama-cpp's dispatch loop, still finishing the last batch in
        // this turn's microtasks, must have found its queue empty and stopped, so that all of them start one batch
        setImmediate(() => {
            for (const resolve of waiting) resolve();
        });
    }
}

export type BarrierMember = {
    /** Resolves when this step may go on. */
    arrive(): Promise<void>,
    leave(): void
};
