import {QueueFullError} from "./engineErrors";

type Waiter<T> = {resolve: (item: T) => void, reject: (error: unknown) => void, signal?: AbortSignal, onAbort: () => void};

/**
 * Hands out a fixed set of items (context sequences) one request at a time. When all are taken, callers wait
 * in FIFO order, up to `maxQueued`; past that they get a QueueFullError. A waiter whose signal aborts leaves
 * the queue at once.
 */
export class SequencePool<T> {
    private readonly _free: T[];
    private readonly _waiters: Array<Waiter<T>> = [];

    public constructor(items: readonly T[], private readonly _maxQueued: number) {
        this._free = [...items];
        this._size = items.length;
    }

    private readonly _size: number;

    public get busy(): number {
        return this._size - this._free.length;
    }

    public get queued(): number {
        return this._waiters.length;
    }

    public get size(): number {
        return this._size;
    }

    /**
     * `affinity` scores a free item for this caller (higher is better, e.g. how much of the prompt the sequence
     * already holds); the best free one is handed out. A waiting caller gets the next item released.
     */
    public acquire(signal?: AbortSignal, affinity?: (item: T) => number): Promise<T> {
        signal?.throwIfAborted();
        if (this._free.length > 0) {
            let best = this._free.length - 1;
            if (affinity != null) {
                let bestScore = affinity(this._free[best]!);
                for (let index = this._free.length - 2; index >= 0; index--) {
                    const score = affinity(this._free[index]!);
                    if (score > bestScore) [best, bestScore] = [index, score];
                }
            }
            return Promise.resolve(this._free.splice(best, 1)[0]!);
        }
        if (this._waiters.length >= this._maxQueued) return Promise.reject(new QueueFullError(this._waiters.length));

        return new Promise<T>((resolve, reject) => {
            const waiter: Waiter<T> = {
                resolve, reject, signal,
                onAbort: () => {
                    const index = this._waiters.indexOf(waiter);
                    if (index >= 0) this._waiters.splice(index, 1);
                    reject(signal!.reason);
                }
            };
            signal?.addEventListener("abort", waiter.onAbort, {once: true});
            this._waiters.push(waiter);
        });
    }

    public release(item: T): void {
        const waiter = this._waiters.shift();
        if (waiter == null) {
            this._free.push(item);
            return;
        }

        waiter.signal?.removeEventListener("abort", waiter.onAbort);
        waiter.resolve(item);
    }
}
