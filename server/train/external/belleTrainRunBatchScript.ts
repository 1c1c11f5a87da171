import {InvalidTrainerOptionsError, sbatchValue, shellQuote} from "./externalTrainerPresets";

export type BelleTrainRunBatchOptions = {
    jobName: string,
    /** The absolute path of the job spec, as the node sees it (a shared file system). */
    specPath: string,
    /** How to run `belle` on the node: absolute paths of node and of bin/belle.cjs (or dist/server.cjs). */
    belleCommand: readonly [string, ...string[]],
    /** `--output`; `%j` becomes the job id. */
    logPath: string,
    workDir: string,
    partition?: string,
    /** `HH:MM:SS` or `D-HH:MM:SS` */
    time?: string,
    /** llama.cpp trains on CPU threads: give it the cores it should use. */
    cpusPerTask?: number
};

/**
 * A batch script that runs our own trainer on one node: `belle train run <spec> --json-lines`, its JSON lines and
 * errors going to the job's output file, which the submitter tails. No `--gres`: the built-in trainer runs on CPU.
 */
export function belleTrainRunBatchScript(options: BelleTrainRunBatchOptions): string {
    const {time = "24:00:00"} = options;
    if (!/^(\d+-)?\d{1,3}:\d{2}:\d{2}$/.test(time)) throw new InvalidTrainerOptionsError(`bad Slurm time ${time}`);
    if (options.cpusPerTask !== undefined && !(Number.isSafeInteger(options.cpusPerTask) && options.cpusPerTask > 0))
        throw new InvalidTrainerOptionsError("cpusPerTask must be a positive integer");
    const jobName = options.jobName.replace(/[^A-Za-z0-9_.-]+/g, "_") || "belle-train";
    const lines = [
        "#!/bin/bash",
        `#SBATCH --job-name=${jobName}`,
        "#SBATCH --nodes=1",
        "#SBATCH --ntasks=1",
        ...(options.cpusPerTask === undefined ? [] : [`#SBATCH --cpus-per-task=${options.cpusPerTask}`]),
        `#SBATCH --time=${time}`,
        `#SBATCH --output=${sbatchValue(options.logPath)}`,
        ...(options.partition === undefined ? [] : [`#SBATCH --partition=${sbatchValue(options.partition)}`]),
        "",
        "set -euo pipefail",
        `cd ${shellQuote(options.workDir)}`,
        `exec ${[...options.belleCommand, "train", "run", options.specPath, "--json-lines"].map(shellQuote).join(" ")}`
    ];
    return lines.join("\n") + "\n";
}
