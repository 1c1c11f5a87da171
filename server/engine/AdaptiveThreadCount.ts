import fs from "node:fs";
import os from "node:os";

/** CPU time spent so far on the CPUs this process may run on, all processes together, and by this process. */
export type CpuSample = {atMs: number, busyMs: number, ownMs: number};

export type ThreadCountStep = {
    current: number,
    max: number,
    /** CPUs the samples cover (this process's affinity set). */
    cpus: number,
    /** Cores other processes kept busy over the last interval, on average. */
    othersCores: number,
    /** Intervals in a row that have allowed more threads than `current`. */
    raiseVotes: number
};

/**
 * A core counts as free while other processes leave at least this share of it. Below that, one of our threads
 * shares its core, and every barrier of every graph waits whenever the scheduler gives that core away.
 */
const freeCoreShare = 0.75;
/** Intervals in a row with room before threads are added again: load from editors and builds comes in bursts. */
const raiseAfterIntervals = 2;

/**
 * What `--threads auto` uses from one interval to the next: as many threads as the cores other processes leave
 * free, never fewer than 1, never more than `max`. Fewer at once when others take a core; more only when the room
 * has lasted `raiseAfterIntervals` intervals.
 */
export function nextThreadCount({current, max, cpus, othersCores, raiseVotes}: ThreadCountStep): {threads: number, raiseVotes: number} {
    const fitting = Math.max(1, Math.min(max, Math.floor(cpus - othersCores + (1 - freeCoreShare))));
    if (fitting < current) return {threads: fitting, raiseVotes: 0};
    if (fitting === current) return {threads: current, raiseVotes: 0};
    const votes = raiseVotes + 1;
    return votes >= raiseAfterIntervals ? {threads: fitting, raiseVotes: 0} : {threads: current, raiseVotes: votes};
}

/**
 * Keeps the engine's CPU threads within the cores other processes leave free (`--threads auto`).
 *
 * ggml's CPU threads meet at a spinning barrier after each operation of the graph, hundreds of times per token.
 * While every core is taken, a thread the scheduler has set aside keeps the others spinning until it runs again:
 * on 2 cores with another process busy, a decode of the tiny model took 119 ms with 2 threads and 0.5 ms with 1.
 * Every `intervalMs` this compares the CPU time of all processes with ours and sets the threads with `apply`
 * (node-llama-cpp's `llama.maxThreads`, which the next batch picks up).
 */
export class AdaptiveThreadCount {
    private readonly _cpus: number;
    private readonly _sample: () => CpuSample;
    private readonly _timer: NodeJS.Timeout;
    private _threads: number;
    private _raiseVotes = 0;
    private _previous: CpuSample;

    public constructor(
        private readonly _max: number,
        private readonly _apply: (threads: number) => void,
        {intervalMs = 500, cpuIndexes = readAffinityCpuIndexes(), sample = () => sampleCpu(cpuIndexes)}: {
            intervalMs?: number, cpuIndexes?: readonly number[] | null, sample?: () => CpuSample
        } = {}
    ) {
        this._threads = _max;
        this._cpus = cpuIndexes?.length ?? os.cpus().length;
        this._sample = sample;
        this._previous = sample();
        this._timer = setInterval(() => this.update(), intervalMs);
        this._timer.unref();
    }

    public get threads(): number {
        return this._threads;
    }

    /** Takes a sample and applies the thread count it calls for (the timer calls this; tests may call it). */
    public update(): void {
        const now = this._sample();
        const elapsedMs = now.atMs - this._previous.atMs;
        if (elapsedMs <= 0) return;
        const othersCores = Math.max(0, ((now.busyMs - this._previous.busyMs) - (now.ownMs - this._previous.ownMs)) / elapsedMs);
        this._previous = now;
        const next = nextThreadCount({current: this._threads, max: this._max, cpus: this._cpus, othersCores, raiseVotes: this._raiseVotes});
        this._raiseVotes = next.raiseVotes;
        if (next.threads !== this._threads) {
            this._threads = next.threads;
            this._apply(next.threads);
        }
    }

    public dispose(): void {
        clearInterval(this._timer);
    }
}

/** CPU time now, of the CPUs listed (all when null) and of this process. */
export function sampleCpu(cpuIndexes: readonly number[] | null): CpuSample {
    let busyMs = 0;
    os.cpus().forEach((cpu, index) => {
        if (cpuIndexes != null && !cpuIndexes.includes(index)) return;
        const {user, nice, sys, irq} = cpu.times;
        busyMs += user + nice + sys + irq;
    });
    const own = process.cpuUsage();
    return {atMs: performance.now(), busyMs, ownMs: (own.user + own.system) / 1000};
}

/**
 * The CPUs this process may run on, from /proc/self/status (Linux), or null when that is every CPU or unknown.
 * Load on CPUs outside the affinity set takes nothing from us.
 */
export function readAffinityCpuIndexes(): number[] | null {
    if (os.availableParallelism() >= os.cpus().length) return null;
    let status: string;
    try {
        status = fs.readFileSync("/proc/self/status", "utf8");
    } catch {
        return null; // not Linux: count every CPU, the cautious side (others' load elsewhere lowers our threads)
    }
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
    return list == null ? null : parseCpuList(list);
}

/** Parses a kernel CPU list such as "0-3,8,10-11". */
export function parseCpuList(list: string): number[] {
    return list.split(",").flatMap((range) => {
        const [first, last = first] = range.split("-").map(Number);
        if (!Number.isInteger(first) || !Number.isInteger(last)) return [];
        return Array.from({length: last! - first! + 1}, (_, offset) => first! + offset);
    });
}
