import assert from "node:assert/strict";
import {AdaptiveThreadCount, nextThreadCount, parseCpuList, sampleCpu, type CpuSample} from "../../server/engine/AdaptiveThreadCount";

describe("AdaptiveThreadCount (--threads auto)", () => {
    it("drops to the cores other processes leave free at once, never below one thread", () => {
        const step = {current: 2, max: 2, cpus: 2, raiseVotes: 0};
        assert.deepEqual(nextThreadCount({...step, othersCores: 1}), {threads: 1, raiseVotes: 0}, "another process spinning on one core");
        assert.deepEqual(nextThreadCount({...step, othersCores: 0.4}), {threads: 1, raiseVotes: 0}, "a core shared with another process is not free");
        assert.deepEqual(nextThreadCount({...step, othersCores: 2}), {threads: 1, raiseVotes: 0}, "both cores busy: one thread still works");
        assert.deepEqual(nextThreadCount({...step, othersCores: 0.1}), {threads: 2, raiseVotes: 0}, "background noise leaves every core to us");
        assert.deepEqual(nextThreadCount({current: 16, max: 16, cpus: 16, othersCores: 3, raiseVotes: 0}), {threads: 13, raiseVotes: 0});
    });

    it("adds threads back only after the room has lasted two intervals", () => {
        const first = nextThreadCount({current: 1, max: 2, cpus: 2, othersCores: 0, raiseVotes: 0});
        assert.deepEqual(first, {threads: 1, raiseVotes: 1});
        assert.deepEqual(nextThreadCount({current: 1, max: 2, cpus: 2, othersCores: 0, raiseVotes: first.raiseVotes}), {threads: 2, raiseVotes: 0});
        assert.deepEqual(nextThreadCount({current: 1, max: 2, cpus: 2, othersCores: 1, raiseVotes: first.raiseVotes}), {threads: 1, raiseVotes: 0},
            "a busy interval in between starts the count again");
    });

    it("counts only other processes' CPU time, not the engine's own", () => {
        // 1 s intervals on 2 CPUs: the engine itself keeps both busy, then another process takes one of them
        const samples: CpuSample[] = [
            {atMs: 0, busyMs: 0, ownMs: 0},
            {atMs: 1000, busyMs: 2000, ownMs: 2000},
            {atMs: 2000, busyMs: 4000, ownMs: 3000},
            {atMs: 3000, busyMs: 4900, ownMs: 3900},
            {atMs: 4000, busyMs: 5800, ownMs: 4800}
        ];
        const applied: number[] = [];
        const adaptive = new AdaptiveThreadCount(2, (threads) => applied.push(threads), {cpuIndexes: [0, 1], sample: () => samples.shift()!, intervalMs: 60_000});
        try {
            adaptive.update();
            assert.equal(adaptive.threads, 2, "the engine's own load is not contention");
            adaptive.update();
            assert.equal(adaptive.threads, 1);
            adaptive.update();
            adaptive.update();
            assert.equal(adaptive.threads, 2);
            assert.deepEqual(applied, [1, 2]);
        } finally {
            adaptive.dispose();
        }
    });

    it("samples this machine's CPU time and its own", () => {
        const before = sampleCpu(null);
        let spin = 0;
        const until = performance.now() + 50;
        while (performance.now() < until) spin++;
        const after = sampleCpu(null);
        assert.ok(spin > 0);
        assert.ok(after.ownMs > before.ownMs, "the spin above counts as this process's CPU time");
        assert.ok(after.busyMs >= before.busyMs);
        assert.ok(after.atMs > before.atMs);
    });

    it("parses the kernel's CPU lists", () => {
        assert.deepEqual(parseCpuList("0-3,8,10-11"), [0, 1, 2, 3, 8, 10, 11]);
        assert.deepEqual(parseCpuList("1"), [1]);
    });
});
