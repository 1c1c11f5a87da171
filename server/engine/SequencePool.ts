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

    public acquire(signal?: AbortSignal): Promise<T> {
        signal?.throwIfAborted();
        const item = this._free.pop();
        if (item !== undefined) return Promise.resolve(item);
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
