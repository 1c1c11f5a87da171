import {spawn} from "node:child_process";
import readline from "node:readline";
import type * as vscode from "vscode";

export interface BelleJobProcessOptions {
    /** dist/server.cjs: the job runs there, in a process of its own, never in the extension host. */
    serverScriptPath: string,
    /** `belle` arguments that make it print JSON lines on stdout (`--json-lines`). */
    args: readonly string[],
    cwd?: string,
    /** Added to the process's environment: where API keys and tokens go, never into `args` (which are logged). */
    env?: Readonly<Record<string, string>>,
    log: vscode.LogOutputChannel,
    /** Prefix of the log lines: `[train]`, `[slurm]`, `[eval]`. */
    logTag: string,
    /** Each stdout line that parses as JSON; other stdout lines go to the log. */
    onLine(line: unknown): void
}

export interface BelleJobExit {
    code: number | null,
    /** The end of its stderr (8 000 characters), for the cause of a failure. */
    stderr: string,
    /** Why the process could not be started; null when it ran. */
    spawnError: string | null
}

export interface BelleJobProcess {
    /**
     * Asks the job to stop: SIGTERM, once. Every `belle` job command stops cleanly on it — the trainer's worker is
     * ended, a Slurm job is cancelled (scancel) and waited for, an eval keeps its run file resumable — so the
     * process must live on to do that: no SIGKILL, and no second signal (`train submit` would end before scancel).
     */
    stop(): void,
    readonly stopRequested: boolean,
    readonly exited: Promise<BelleJobExit>
}

/**
 * Starts a `belle` job command (train run, train submit, train external --run, eval) as a child process of the
 * extension host, as it runs from a terminal or a Slurm node, and hands its JSON lines to `onLine`. The one way
 * VS Code runs a job, so they cannot drift in how they start, log or cancel.
 */
export function startBelleJobProcess({serverScriptPath, args, cwd, env = {}, log, logTag, onLine}: BelleJobProcessOptions): BelleJobProcess {
    log.info(`${logTag} belle ${args.join(" ")}`);
    const child = spawn(process.execPath, [serverScriptPath, ...args], {
        cwd, stdio: ["ignore", "pipe", "pipe"], env: {...process.env, ...env, ELECTRON_RUN_AS_NODE: "1"}
    });
    let stopRequested = false;
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr = (stderr + chunk).slice(-8_000);
        for (const line of chunk.split("\n")) if (line.trim() !== "") log.info(`${logTag} ${line}`);
    });
    readline.createInterface({input: child.stdout}).on("line", (text) => {
        let line: unknown;
        try {
            line = JSON.parse(text);
        } catch {
            if (text.trim() !== "") log.info(`${logTag} ${text}`);
            return;
        }
        try {
            onLine(line);
        } catch (error) {
            // a throwing listener must not stop the reading of the job's lines
            log.error(`${logTag} ${(error as Error).stack ?? String(error)}`);
        }
    });
    const exited = new Promise<BelleJobExit>((resolve) => {
        child.on("error", (error) => resolve({code: null, stderr, spawnError: error.message}));
        child.on("close", (code) => {
            log.info(`${logTag} exit ${code}`);
            resolve({code, stderr, spawnError: null});
        });
    });
    return {
        stop() {
            if (stopRequested) return;
            stopRequested = true;
            child.kill("SIGTERM");
        },
        get stopRequested() { return stopRequested; },
        exited
    };
}
