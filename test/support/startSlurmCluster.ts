import {execFile, execFileSync} from "node:child_process";
import {randomBytes} from "node:crypto";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";

const run = promisify(execFile);

export type SlurmCluster = {
    /** The private cluster's folder: slurm.conf, munge key and socket, state, spool and logs. */
    folder: string,
    partition: string,
    /** What a `sbatch`/`squeue`/`scancel` child needs to talk to this cluster (and no other): SLURM_CONF. */
    env: NodeJS.ProcessEnv,
    /** The daemons' logs, for an assertion message when a job does not do what a test expected. */
    logs(): Promise<string>,
    /** Cancels every job, stops slurmd, slurmctld and munged, and removes the folder. */
    stop(): Promise<void>
};

export class SlurmNotInstalledError extends Error {
    override name = "SlurmNotInstalledError";
}

const daemons = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel"] as const;

/**
 * Starts a one-node Slurm cluster of its own (Debian's slurm-wlm + munge) in a temp folder, for one test run:
 * munged on its own socket and key, slurmctld and slurmd on free ports, so that it never meets a system Slurm.
 *
 * Chosen to run in a container without systemd or a writable cgroup tree: proctrack/linuxproc (finds a job's
 * processes through /proc, needs no cgroup), task/none, no accounting (no slurmdbd, so `sacct` is unavailable and
 * a finished job's state comes from `squeue -t all` / `scontrol show job`), select/cons_tres over the real CPUs.
 * Needs root (slurmd starts jobs as their user), as CI runs.
 */
export async function startSlurmCluster({timeoutMs = 30_000}: {timeoutMs?: number} = {}): Promise<SlurmCluster> {
    const missing = daemons.filter((command) => !commandExists(command));
    if (missing.length > 0)
        throw new SlurmNotInstalledError(`Slurm is not installed (${missing.join(", ")} not found): install Debian's ` +
            "slurm-wlm and munge, as .ci/run does (apt-get install -y slurm-wlm munge).");
    if (process.getuid?.() !== 0)
        throw new SlurmNotInstalledError("The private Slurm cluster needs root: slurmd starts jobs as their user.");

    // mkdtemp makes the folder 0700; munged refuses a socket that not everyone can reach, so open the folder up.
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-slurm-"));
    await fs.chmod(folder, 0o755);
    const file = (...names: string[]) => path.join(folder, ...names);
    for (const name of ["munge", "state", "spool", "log"]) await fs.mkdir(file(name), {mode: 0o755});
    const mungeSocket = file("munge", "munge.socket");
    // the daemons live in /usr/sbin, which a non-login shell's PATH may lack
    const env: NodeJS.ProcessEnv = {...process.env, PATH: withSbin(process.env.PATH), SLURM_CONF: file("slurm.conf")};
    const partition = "belle";
    let started = false;

    // Best effort, each step on its own: stop() also cleans up after a start that failed half way
    const stop = async () => {
        await run("scancel", ["--user", os.userInfo().username], {env}).catch(() => undefined);
        await Promise.all(["slurmd.pid", "slurmctld.pid"].map((pidFile) => killFromPidFile(file(pidFile))));
        await run("munged", ["--stop", `--socket=${mungeSocket}`], {env}).catch(() => undefined);
        await fs.rm(folder, {recursive: true, force: true});
    };
    const logs = async () => {
        const parts: string[] = [];
        for (const name of ["slurmctld.log", "slurmd.log", "munged.log"])
            parts.push(`== ${name}\n${(await fs.readFile(file("log", name), "utf8").catch(() => "(none)")).split("\n").slice(-30).join("\n")}`);
        return parts.join("\n");
    };

    try {
        await fs.writeFile(file("munge", "munge.key"), randomBytes(1024), {mode: 0o400});
        await run("munged", [`--socket=${mungeSocket}`, `--key-file=${file("munge", "munge.key")}`, `--log-file=${file("log", "munged.log")}`,
            `--pid-file=${file("munge", "munged.pid")}`, `--seed-file=${file("munge", "munged.seed")}`], {env});

        const [controllerPort, nodePort] = [await freePort(), await freePort()];
        const {cpus, realMemoryMiB} = await nodeResources(env);
        const hostname = os.hostname().split(".")[0]!;
        const conf = [
            "ClusterName=belletest",
            // slurmctld only runs on the host SlurmctldHost names; the address keeps it on loopback
            `SlurmctldHost=${hostname}(127.0.0.1)`,
            `SlurmctldPort=${controllerPort}`,
            `SlurmdPort=${nodePort}`,
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            `AuthInfo=socket=${mungeSocket}`,
            `StateSaveLocation=${file("state")}`,
            `SlurmdSpoolDir=${file("spool")}`,
            `SlurmctldPidFile=${file("slurmctld.pid")}`,
            `SlurmdPidFile=${file("slurmd.pid")}`,
            `SlurmctldLogFile=${file("log", "slurmctld.log")}`,
            `SlurmdLogFile=${file("log", "slurmd.log")}`,
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "SchedulerType=sched/backfill",
            "ReturnToService=2",
            // a finished job stays visible to squeue/scontrol this long (there is no accounting database)
            "MinJobAge=600",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=30",
            `NodeName=${hostname} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${realMemoryMiB} State=UNKNOWN`,
            `PartitionName=${partition} Nodes=${hostname} Default=YES MaxTime=INFINITE State=UP`
        ];
        await fs.writeFile(file("slurm.conf"), conf.join("\n") + "\n");
        // -i: ignore any saved state (there is none); both daemonize and write their pid files
        await run("slurmctld", ["-i"], {env});
        started = true;
        await run("slurmd", ["-N", hostname], {env});
        await waitForIdleNode(env, partition, timeoutMs, logs);
        return {folder, partition, env, logs, stop};
    } catch (error) {
        const detail = started ? `\n${await logs()}` : "";
        await stop();
        throw new Error(`The private Slurm cluster did not start: ${(error as Error).message}${detail}`);
    }
}

function commandExists(command: string): boolean {
    try {
        execFileSync("sh", ["-c", `command -v ${command}`], {stdio: "ignore", env: {...process.env, PATH: withSbin(process.env.PATH)}});
        return true;
    } catch {
        return false;
    }
}

function withSbin(pathVariable: string | undefined): string {
    return [...(pathVariable ?? "").split(":").filter((entry) => entry !== ""), "/usr/sbin", "/sbin"].join(":");
}

/** What slurmd itself finds (`slurmd -C`), so that the node is not drained for claiming more than it has. */
async function nodeResources(env: NodeJS.ProcessEnv): Promise<{cpus: number, realMemoryMiB: number}> {
    const {stdout} = await run("slurmd", ["-C"], {env});
    const cpus = Number(/\bCPUs=(\d+)/.exec(stdout)?.[1] ?? os.availableParallelism());
    const realMemoryMiB = Number(/\bRealMemory=(\d+)/.exec(stdout)?.[1] ?? Math.floor(os.totalmem() / 1048576 * 0.9));
    return {cpus, realMemoryMiB};
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const {port} = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

async function waitForIdleNode(env: NodeJS.ProcessEnv, partition: string, timeoutMs: number, logs: () => Promise<string>): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = "";
    while (performance.now() < deadline) {
        try {
            last = (await run("sinfo", ["-h", "-p", partition, "-o", "%T"], {env})).stdout.trim();
            if (last === "idle") return;
        } catch (error) {
            last = (error as Error).message;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the node is not idle after ${timeoutMs} ms (sinfo: ${last || "nothing"})\n${await logs()}`);
}

async function killFromPidFile(pidFile: string): Promise<void> {
    const pid = Number((await fs.readFile(pidFile, "utf8").catch(() => "")).trim());
    if (!Number.isSafeInteger(pid) || pid <= 0) return;
    try {
        process.kill(pid, "SIGTERM");
    } catch {
        return; // already gone
    }
    // the daemons save state on SIGTERM; wait for the pid to go so that the folder can be removed under no one
    for (let waitedMs = 0; waitedMs < 5000; waitedMs += 100) {
        try {
            process.kill(pid, 0);
        } catch {
            return; // gone
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.kill(pid, "SIGKILL");
}
