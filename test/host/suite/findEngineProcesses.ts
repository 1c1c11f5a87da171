import fs from "node:fs";

/**
 * PIDs of this extension host's child processes that run the engine bundle (`dist/server.cjs`), read from /proc
 * (Linux, where the host tests run): a check that does not trust the extension's own `pid` getter.
 */
export function findEngineProcesses(): number[] {
    const engines: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            // fields after the command name, which is in parentheses and may itself hold spaces
            const [state, parentPid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            if (Number(parentPid) !== process.pid || state === "Z") continue;
            const commandLine = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
            if (commandLine.some((argument) => argument.endsWith("server.cjs"))) engines.push(Number(entry));
        } catch (error) {
            // the process ended while we looked
            if ((error as NodeJS.ErrnoException).code !== "ENOENT" && (error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
        }
    }
    return engines;
}

/** Whether a process with this PID exists (signal 0 checks without sending anything). */
export function isProcessAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
        throw error;
    }
}
