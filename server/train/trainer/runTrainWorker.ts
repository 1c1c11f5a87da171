import {spawn} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import type {TrainWorkerJob, TrainWorkerMessage} from "./trainWorker";

export class TrainWorkerError extends Error {
    override name = "TrainWorkerError";
    public constructor(message: string, public readonly stderr: string) {
        super(message);
    }
}

export type RunTrainWorkerOptions = {
    /** How to start the worker: [executable, ...args before the job path]; a built bundle, or node --import tsx in tests. */
    command: readonly [string, ...string[]],
    onMessage?(message: TrainWorkerMessage): void,
    signal?: AbortSignal,
    env?: NodeJS.ProcessEnv
};

/** Runs one training job in a child process and resolves with every message it sent, once it saved the model. */
export async function runTrainWorker(job: TrainWorkerJob, {command, onMessage, signal, env}: RunTrainWorkerOptions): Promise<TrainWorkerMessage[]> {
    signal?.throwIfAborted();
    const jobDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "belle-train-"));
    const jobPath = path.join(jobDirectory, "job.json");
    fs.writeFileSync(jobPath, JSON.stringify(job));
    const [executable, ...args] = command;
    const child = spawn(executable, [...args, jobPath], {stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env});
    // The worker is blocked in native code during an epoch; only a signal stops it, and it writes the GGUF via rename
    const onAbort = () => child.kill("SIGKILL");
    signal?.addEventListener("abort", onAbort, {once: true});

    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr = (stderr + chunk).slice(-64_000);
    });
    const messages: TrainWorkerMessage[] = [];
    readline.createInterface({input: child.stdout}).on("line", (line) => {
        let message: TrainWorkerMessage;
        try {
            message = JSON.parse(line) as TrainWorkerMessage;
        } catch {
            stderr += `[stdout] ${line}\n`;
            return;
        }
        messages.push(message);
        try {
            onMessage?.(message);
        } catch (error) {
            process.emitWarning(`train worker listener threw: ${String(error)}`);
        }
    });

    try {
        const [code, signalName] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
            child.once("error", reject);
            child.once("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
        });
        signal?.throwIfAborted();
        const failure = messages.find((message) => message.type === "error");
        if (code !== 0 || failure != null)
            throw new TrainWorkerError(failure?.type === "error" ? `${failure.name}: ${failure.message}`
                : `train worker exited with ${signalName ?? `code ${code}`}`, stderr);
        return messages;
    } finally {
        signal?.removeEventListener("abort", onAbort);
        fs.rmSync(jobDirectory, {recursive: true, force: true});
    }
}
