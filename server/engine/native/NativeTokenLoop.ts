import fs from "node:fs";
import {fileURLToPath} from "node:url";
import {Worker} from "node:worker_threads";
import type {LoopEvent, LoopRequest, LoopSampling, LoopWorkerData} from "./nativeTokenLoopProtocol";

export type NativeTokenLoopOptions = Omit<LoopWorkerData, "wake">;
export type NativeGeneration = {
    reason: "stop" | "length" | "abort" | "error", tokens: number[], cachedPromptTokens: number,
    /** Prompt-lookup draft tokens kept and thrown away, when the request drafted. */
    drafts?: {accepted: number, rejected: number}
};

type Pending = {
    tokens: number[],
    cachedPromptTokens: number,
    onToken?: (token: number) => void,
    resolve(result: NativeGeneration): void,
    reject(error: Error): void
};

/**
 * Generation on llama.cpp's C API in a worker thread (nativeTokenLoopWorker.ts): the worker decodes and samples
 * every active sequence in a loop of its own, and this side receives the tokens as they come.
 */
export class NativeTokenLoop {
    private readonly _pending = new Map<number, Pending>();
    private _nextRequestId = 1;
    private _exitError: Error | null = null;
    private readonly _onFail: Array<(error: Error) => void> = [];

    private constructor(private readonly _worker: Worker, private readonly _wake: Int32Array, public readonly vocabularySize: number) {
        _worker.on("message", (event: LoopEvent) => this._onEvent(event));
        _worker.on("error", (error) => this._fail(error));
        _worker.on("exit", (code) => this._fail(new Error(`the native token loop exited with code ${code}`)));
    }

    public static async start(options: NativeTokenLoopOptions): Promise<NativeTokenLoop> {
        const wake = new SharedArrayBuffer(4);
        const url = workerUrl();
        const workerData = {...options, wake} satisfies LoopWorkerData;
        // Under tsx (tests, benches) the worker registers tsx's loader itself: Node 20 does not pass --import on
        const worker = url.pathname.endsWith(".ts")
            ? new Worker(`import("tsx/esm/api").then(({register}) => { register(); return import(${JSON.stringify(url.href)}); })`, {eval: true, workerData})
            : new Worker(url, {workerData});
        const vocabularySize = await new Promise<number>((resolve, reject) => {
            worker.once("message", (event: LoopEvent) => event.type === "ready" ? resolve(event.vocabularySize) : reject(new Error(`unexpected ${event.type}`)));
            worker.once("error", reject);
        });
        return new NativeTokenLoop(worker, new Int32Array(wake), vocabularySize);
    }

    public generate({sequence, prompt, reusePrefix = true, lookupDraftTokens = 0, maxTokens, sampling, onToken, signal}: {
        sequence: number, prompt: readonly number[], reusePrefix?: boolean, lookupDraftTokens?: number, maxTokens: number, sampling: LoopSampling,
        onToken?: (token: number) => void, signal?: AbortSignal
    }): Promise<NativeGeneration> {
        if (this._exitError != null) return Promise.reject(this._exitError);
        const requestId = this._nextRequestId++;
        const result = new Promise<NativeGeneration>((resolve, reject) => {
            this._pending.set(requestId, {tokens: [], cachedPromptTokens: 0, onToken, resolve, reject});
        });
        const onAbort = () => this._send({type: "stop", requestId});
        signal?.addEventListener("abort", onAbort, {once: true});
        this._send({type: "generate", requestId, sequence, prompt: [...prompt], reusePrefix, maxTokens, sampling, lookupDraftTokens});
        return result.finally(() => signal?.removeEventListener("abort", onAbort));
    }

    /** Why the worker is gone (it crashed or was closed); null while it runs. */
    public get failure(): Error | null {
        return this._exitError;
    }

    public onFail(listener: (error: Error) => void) {
        this._onFail.push(listener);
    }

    /** The threads of the next decode (with `--threads auto`, fewer while other processes keep cores busy). */
    public setThreads(threads: number) {
        if (this._exitError == null) this._send({type: "threads", threads});
    }

    public async close(): Promise<void> {
        if (this._exitError != null) return;
        const exited = new Promise<void>((resolve) => this._worker.once("exit", () => resolve()));
        this._exitError = new Error("the native token loop was closed");
        this._send({type: "close"});
        await exited;
    }

    private _send(request: LoopRequest) {
        this._worker.postMessage(request);
        Atomics.add(this._wake, 0, 1);
        Atomics.notify(this._wake, 0);
    }

    private _onEvent(event: LoopEvent) {
        switch (event.type) {
            case "started": {
                const pending = this._pending.get(event.requestId);
                if (pending != null) pending.cachedPromptTokens = event.cachedPromptTokens;
                return;
            }
            case "tokens":
                for (let index = 0; index < event.tokens.length; index += 2) {
                    const pending = this._pending.get(event.tokens[index]!);
                    const token = event.tokens[index + 1]!;
                    pending?.tokens.push(token);
                    pending?.onToken?.(token);
                }
                return;
            case "done": {
                const pending = this._pending.get(event.requestId);
                this._pending.delete(event.requestId);
                if (pending == null) return;
                if (event.reason === "error") pending.reject(new Error(event.message ?? "the native token loop failed"));
                else pending.resolve({
                    reason: event.reason, tokens: pending.tokens, cachedPromptTokens: pending.cachedPromptTokens,
                    ...(event.drafts == null ? {} : {drafts: event.drafts})
                });
                return;
            }
            default:
                return;
        }
    }

    private _fail(error: Error) {
        if (this._exitError != null) return;
        this._exitError = error;
        for (const listener of this._onFail) listener(error);
        for (const pending of this._pending.values()) pending.reject(error);
        this._pending.clear();
    }
}

/** The worker's module: the bundle's dist/nativeTokenLoopWorker.mjs, or the TypeScript source under tsx. */
function workerUrl(): URL {
    const bundled = new URL("./nativeTokenLoopWorker.mjs", import.meta.url);
    return fs.existsSync(fileURLToPath(bundled)) ? bundled : new URL("./nativeTokenLoopWorker.ts", import.meta.url);
}
