import {execFile} from "node:child_process";
import fs from "node:fs";

export type CudaGpu = {
    name: string,
    /** null where nvidia-smi printed `[N/A]` (some laptop and data-centre parts). */
    memoryMebibytes: number | null
};

/**
 * The NVIDIA GPUs nvidia-smi lists, or null where there is none (no driver, no nvidia-smi, or it failed or timed
 * out). nvidia-smi ships with the driver on Linux and Windows, so its absence means CUDA cannot run either.
 */
export async function detectCudaGpus({timeoutMs = 5000, nvidiaSmi = "nvidia-smi"}: {timeoutMs?: number, nvidiaSmi?: string} = {}): Promise<CudaGpu[] | null> {
    if (process.platform !== "linux" && process.platform !== "win32") return null;
    // Without the kernel module there is nothing to ask; this skips a 5 s nvidia-smi hang on some broken installs
    if (process.platform === "linux" && !fs.existsSync("/proc/driver/nvidia/version")) return null;
    const output = await new Promise<string | null>((resolve) => {
        execFile(nvidiaSmi, ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"], {timeout: timeoutMs, windowsHide: true},
            (error, stdout) => resolve(error == null ? stdout : null));
    });
    return output == null ? null : parseNvidiaSmiGpus(output);
}

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader[,nounits]`; null when it lists no GPU. */
export function parseNvidiaSmiGpus(output: string): CudaGpu[] | null {
    const gpus: CudaGpu[] = [];
    for (const line of output.split(/\r?\n/)) {
        if (line.trim() === "") continue;
        // The name may hold commas only in theory; the memory is always the last field
        const comma = line.lastIndexOf(",");
        if (comma === -1) continue;
        const name = line.slice(0, comma).trim();
        const memory = /^(\d+)(?:\s*MiB)?$/i.exec(line.slice(comma + 1).trim());
        if (name === "" || /^(No devices were found|NVIDIA-SMI has failed)/i.test(name)) continue;
        gpus.push({name, memoryMebibytes: memory == null ? null : Number(memory[1])});
    }
    return gpus.length === 0 ? null : gpus;
}

/** "NVIDIA GeForce RTX 4090, 24 GB" (and "+ 1 more" for a second card): for the download offer. */
export function describeCudaGpus(gpus: readonly CudaGpu[]): string {
    const [first] = gpus;
    if (first == null) return "";
    const memory = first.memoryMebibytes == null ? "" : `, ${Math.round(first.memoryMebibytes / 1024)} GB`;
    return `${first.name}${memory}${gpus.length > 1 ? ` + ${gpus.length - 1}` : ""}`;
}
