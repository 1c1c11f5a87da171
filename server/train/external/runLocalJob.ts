import {spawn} from "node:child_process";
import {LineSplitter} from "./LineSplitter";
import {parseJobOutputLine, type JobOutputEvent} from "./parseJobOutputLine";

export type LocalJobResult = {exitCode: number | null, signal: NodeJS.Signals | null, cancelled: boolean};

export type RunLocalJobOptions = {
    cwd?: string,
    env?: NodeJS.ProcessEnv,
    /** Aborting sends SIGTERM (a trainer saves or cleans up), then SIGKILL after killAfterMs. */
    signal?: AbortSignal,
    killAfterMs?: number,
    /**
     * Runs the command in a process group of its own and signals the whole group: a script (`bash run.sh`, whose
     * trainer is piped through `tee`) does not pass a SIGTERM on to its children.
     */
    processGroup?: boolean,
    onEvent?(event: JobOutputEvent, stream: "stdout" | "stderr"): void
};

/**
 * "Run locally": a training command (`llamafactory-cli train …`, `torchrun …`, `belle train run … --json-lines`) as
 * a child process, its stdout and stderr parsed line by line as a Slurm job's log is. Resolves when it exits.
 */
export async function runLocalJob(command: readonly [string, ...string[]], {
    cwd, env, signal, killAfterMs = 5000, processGroup = false, onEvent
}: RunLocalJobOptions = {}): Promise<LocalJobResult> {
    signal?.throwIfAborted();
    const [executable, ...args] = command;
    const child = spawn(executable, args, {cwd, env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: processGroup});
    const emit = (line: string, stream: "stdout" | "stderr") => {
        try {
            onEvent?.(parseJobOutputLine(line), stream);
        } catch (error) {
            process.emitWarning(`local job listener threw: ${String(error)}`);
        }
    };
    for (const stream of ["stdout", "stderr"] as const) {
        const splitter = new LineSplitter();
        child[stream].on("data", (chunk: Buffer) => {
            for (const line of splitter.push(chunk)) emit(line, stream);
        });
        child[stream].on("end", () => {
            for (const line of splitter.end()) emit(line, stream);
        });
    }
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (name: NodeJS.Signals) => {
        if (!processGroup || child.pid === undefined) {
            child.kill(name);
            return;
        }
        try {
            process.kill(-child.pid, name);
        } catch (error) {
            // the group has already gone (ESRCH): nothing left to stop
            if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
        }
    };
    const onAbort = () => {
        kill("SIGTERM");
        killTimer = setTimeout(() => kill("SIGKILL"), killAfterMs);
    };
    signal?.addEventListener("abort", onAbort, {once: true});
    try {
        // "close", not "exit": every line of both pipes has been read by then
        const [exitCode, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
            child.once("error", reject);
            child.once("close", (code, name) => resolve([code, name]));
        });
        return {exitCode, signal: exitSignal, cancelled: signal?.aborted === true};
    } finally {
        signal?.removeEventListener("abort", onAbort);
        clearTimeout(killTimer);
    }
}
