import fs from "node:fs";

/**
 * PIDs of live processes in process group `groupId` (a test's code-server: never another test's engine) whose
 * command line has an argument equal to `scriptPath` (Linux /proc).
 */
export function findProcessesInGroup(scriptPath: string, groupId: number): number[] {
    const found: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            // after the command name (in parentheses, may hold spaces): state, parent pid, process group
            const processGroup = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
            if (processGroup !== groupId) continue;
            if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(scriptPath)) found.push(Number(entry));
        } catch {
            // the process ended while we looked
        }
    }
    return found;
}
