import {spawn, spawnSync} from "node:child_process";
import os from "node:os";

/**
 * Another process spinning on one core, as a user's editor, language server or build would: the "busy machine"
 * rows. Pinned to the last CPU with taskset where there is one, so it takes one core and not a share of each.
 */
export function startCpuSpinner(): {stop(): Promise<void>} {
    const lastCpu = os.availableParallelism() - 1;
    const spinner = ["-e", "for (;;) {}"];
    const hasTaskset = process.platform === "linux" && spawnSync("taskset", ["--version"]).status === 0;
    const child = hasTaskset
        ? spawn("taskset", ["-c", String(lastCpu), process.execPath, ...spinner], {stdio: "ignore"})
        : spawn(process.execPath, spinner, {stdio: "ignore"});
    return {
        stop: () => new Promise<void>((resolve) => {
            if (child.exitCode != null || child.signalCode != null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
        })
    };
}
