import fs from "node:fs";
import os from "node:os";

export type CpuBudget = {
    /** CPUs the process may run on (sched affinity). */
    affinityCpus: number,
    /** CPUs the cgroup quota allows (cpu.max or cfs quota/period), or null when unlimited. */
    quotaCpus: number | null
};

/**
 * Threads for token generation that never oversubscribe the CPUs this process may really use. llama.cpp's
 * compute threads spin while waiting for each other, so one thread too many on a 2-core container costs far
 * more than one thread too few (measured: ~100× slower). Respects affinity and the cgroup CPU quota.
 */
export function resolveThreadCount(requested: "auto" | number, budget: CpuBudget = readCpuBudget()): number {
    if (requested !== "auto") {
        if (!Number.isInteger(requested) || requested < 1)
            throw new RangeError(`threads must be "auto" or a positive integer, got ${String(requested)}`);

        return requested;
    }

    const quota = budget.quotaCpus == null ? Infinity : Math.max(1, Math.floor(budget.quotaCpus));
    return Math.max(1, Math.min(budget.affinityCpus, quota));
}

export function readCpuBudget(): CpuBudget {
    return {
        affinityCpus: os.availableParallelism(),
        quotaCpus: readCgroupQuotaCpus()
    };
}

/** Parses cgroup v2 `cpu.max` ("max 100000" or "200000 100000"). */
export function parseCgroupV2CpuMax(text: string): number | null {
    const [quota, period] = text.trim().split(/\s+/);
    if (quota == null || quota === "max" || period == null) return null;
    const cpus = Number(quota) / Number(period);
    return Number.isFinite(cpus) && cpus > 0 ? cpus : null;
}

function readCgroupQuotaCpus(): number | null {
    const v2 = readText("/sys/fs/cgroup/cpu.max");
    if (v2 != null) return parseCgroupV2CpuMax(v2);

    const quota = Number(readText("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"));
    const period = Number(readText("/sys/fs/cgroup/cpu/cpu.cfs_period_us"));
    if (quota > 0 && period > 0) return quota / period;
    return null;
}

function readText(filePath: string): string | null {
    try {
        return fs.readFileSync(filePath, "utf8");
    } catch {
        return null; // not on Linux or not in a cgroup with that controller: no quota to respect
    }
}
