import {fork, type ChildProcess} from "node:child_process";
import readline from "node:readline";
import * as vscode from "vscode";
import type {EngineState, EngineStatus} from "../../webview/protocol/chatProtocol";

/** The JSON line `belle serve` prints on stdout once it listens. */
export interface EngineReadyLine {
    event: "ready",
    host: string,
    port: number,
    token: string,
    model: string,
    modelPath: string,
    backend: string,
    gpuLayers: number,
    threads: number,
    contextSize: number,
    parallel: number,
    promptFormat: string,
    /** The LoRA adapters applied on the model (`belle serve --lora`). */
    loraAdapters?: Array<{path: string, name: string, scale: number}>
}

export interface EngineLaunch {
    /** Arguments after `serve`. */
    args: string[],
    /** Name shown in the status bar before the engine reports its own. */
    displayModel: string
}

export interface EngineSupervisorOptions {
    serverScriptPath: string,
    log: vscode.LogOutputChannel,
    /** Resolved anew at each start, so a settings change takes effect on the next (re)start. */
    resolveLaunch: () => Promise<EngineLaunch>,
    /**
     * The arguments the settings ask for now, without the side effects of `resolveLaunch` (offers, downloads):
     * `applySettings` compares them with the running engine's to restart only when they differ.
     */
    describeLaunch?: () => string[],
    startTimeoutMs?: number,
    /** Crashes within `crashWindowMs` after which the supervisor stops restarting and reports an error. */
    maxCrashes?: number,
    crashWindowMs?: number,
    stopGraceMs?: number
}

export class EngineStartError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = "EngineStartError";
    }
}

/**
 * Owns the engine child process: starts it with VS Code's own runtime, reads its ready line, restarts it with
 * backoff after a crash (until the crash budget is spent), and stops it gracefully, then by force.
 */
export class EngineSupervisor implements vscode.Disposable {
    private readonly _onDidChangeStatus = new vscode.EventEmitter<EngineStatus>();
    public readonly onDidChangeStatus = this._onDidChangeStatus.event;
    private readonly _onDidGiveUp = new vscode.EventEmitter<string>();
    /** The crash budget is spent: the engine is not restarted again. Carries the message the status shows. */
    public readonly onDidGiveUp = this._onDidGiveUp.event;

    private _child: ChildProcess | undefined;
    private _ready: EngineReadyLine | undefined;
    private _state: EngineState = "stopped";
    private _error: string | null = null;
    private _displayModel: string | null = null;
    /** The arguments of the engine started last (joined), for `applySettings`. */
    private _launchedArgs: string | undefined;
    private _lastTokensPerSecond: number | null = null;
    private _activeRequests = 0;
    private _starting: Promise<EngineReadyLine> | undefined;
    private _stopping: Promise<void> | undefined;
    private _crashTimes: number[] = [];
    private _restarting: Promise<void> | undefined;
    private _restartAgain = false;
    private _restartTimer: NodeJS.Timeout | undefined;
    private _disposed = false;

    public constructor(private readonly _options: EngineSupervisorOptions) {}

    public get status(): EngineStatus {
        return {
            state: this._state,
            // the name the model picker uses ("Demo model", a file name), not the engine's own for the generated model
            model: this._displayModel ?? this._ready?.model ?? null,
            backend: this._ready == null ? null : describeBackend(this._ready.backend, this._ready.gpuLayers),
            remote: false,
            lastTokensPerSecond: this._lastTokensPerSecond,
            error: this._error
        };
    }

    public get pid(): number | undefined {
        return this._child?.exitCode == null && this._child?.signalCode == null ? this._child?.pid : undefined;
    }

    public get ready(): EngineReadyLine | undefined {
        return this._state === "ready" || this._state === "busy" ? this._ready : undefined;
    }

    public get baseUrl(): string | undefined {
        const ready = this.ready;
        return ready == null ? undefined : `http://${ready.host}:${ready.port}`;
    }

    /** Starts the engine unless it runs; resolves once it is ready. A start already under way is joined. */
    public async ensureStarted(): Promise<EngineReadyLine> {
        const ready = this.ready;
        if (ready != null) return ready;
        if (this._stopping != null) await this._stopping;
        this._starting ??= this._start().finally(() => { this._starting = undefined; });
        return this._starting;
    }

    /**
     * Called after a request could not reach the engine. Its process may have just died with the exit event not
     * yet handled: wait briefly for that, then bring it back. Resolves undefined when the process is alive (the
     * failure had another cause) and nothing was restarted.
     */
    public async recoverAfterConnectionFailure(exitWaitMs = 3000): Promise<EngineReadyLine | undefined> {
        const child = this._child;
        if (child != null && child.exitCode == null && child.signalCode == null) {
            const exited = await new Promise<boolean>((resolve) => {
                const timer = setTimeout(() => resolve(false), exitWaitMs);
                child.once("exit", () => {
                    clearTimeout(timer);
                    resolve(true);
                });
            });
            if (!exited) return undefined;
        }
        return this.ensureStarted();
    }

    public async stop(): Promise<void> {
        this._clearRestartTimer();
        this._crashTimes = [];
        this._stopping ??= this._stop().finally(() => { this._stopping = undefined; });
        await this._stopping;
    }

    /**
     * Stops the engine and starts it again on the settings as they are now. Restarts never overlap (two would stop
     * each other's start half-way): one asked for while another runs waits for it, then runs once more, since the
     * running one may have read the settings before the change that asked for this one. Several asked for meanwhile
     * make one more restart, not several.
     */
    public async restart(): Promise<void> {
        if (this._restarting != null) {
            this._restartAgain = true;
            return this._restarting;
        }
        this._restarting = (async () => {
            do {
                this._restartAgain = false;
                await this.stop();
                this._error = null;
                try {
                    await this.ensureStarted();
                } catch (error) {
                    if (!this._restartAgain) throw error;
                }
            } while (this._restartAgain);
        })().finally(() => { this._restarting = undefined; });
        return this._restarting;
    }

    /**
     * Brings a running (or starting) engine in line with the settings: restarts it when they now ask for other
     * arguments than it was started with, and does nothing otherwise or when no engine runs (the next start reads
     * them). Called both by the settings listener and by a command that changes the model and then needs the
     * engine ("Chat with It"): whichever comes second finds the engine already restarted, so it restarts once.
     */
    public async applySettings(): Promise<void> {
        while (this._restarting != null) await this._restarting.catch(() => undefined);
        if (this._starting != null) await this._starting.catch(() => undefined);
        if (this._child == null) return;
        const wanted = this._options.describeLaunch?.().join("\0");
        if (wanted != null && wanted === this._launchedArgs) return;
        await this.restart();
    }

    /** A chat request started (+1) or ended (-1); the status shows "busy" while any runs. */
    public trackRequest(delta: 1 | -1, tokensPerSecond?: number): void {
        this._activeRequests = Math.max(0, this._activeRequests + delta);
        if (tokensPerSecond != null && Number.isFinite(tokensPerSecond)) this._lastTokensPerSecond = tokensPerSecond;
        if (this._state === "ready" || this._state === "busy")
            this._setState(this._activeRequests > 0 ? "busy" : "ready");
        else
            this._fire();
    }

    public dispose(): void {
        this._disposed = true;
        void this.stop();
        this._onDidChangeStatus.dispose();
        this._onDidGiveUp.dispose();
    }

    private async _start(): Promise<EngineReadyLine> {
        if (this._disposed) throw new EngineStartError(vscode.l10n.t("The BELLE extension is shutting down."));
        this._clearRestartTimer();
        this._error = null;
        let launch: EngineLaunch;
        try {
            launch = await this._options.resolveLaunch();
        } catch (error) {
            this._error = (error as Error).message;
            this._setState("error");
            throw error;
        }
        this._displayModel = launch.displayModel;
        this._launchedArgs = launch.args.join("\0");
        this._setState("starting");

        const args = ["serve", ...launch.args, "--parent-pid", String(process.pid)];
        this._options.log.info(`[engine] starting: ${process.execPath} ${this._options.serverScriptPath} ${args.join(" ")}`);
        const child = fork(this._options.serverScriptPath, args, {
            execPath: process.execPath,
            silent: true,
            // VS Code's runtime is Electron on the desktop: make it behave as plain Node for the engine
            env: {...process.env, ELECTRON_RUN_AS_NODE: "1"}
        });
        this._child = child;
        this._ready = undefined;

        let stderrTail: string[] = [];
        readline.createInterface({input: child.stderr!}).on("line", (line) => {
            this._options.log.info(`[engine] ${line}`);
            stderrTail = [...stderrTail.slice(-19), line];
        });

        const readyLine = new Promise<EngineReadyLine>((resolve, reject) => {
            const timeoutMs = this._options.startTimeoutMs ?? 10 * 60_000;
            const timer = setTimeout(() => {
                reject(new EngineStartError(vscode.l10n.t("The engine did not become ready within {0} s.", Math.round(timeoutMs / 1000))));
                child.kill("SIGKILL");
            }, timeoutMs);
            readline.createInterface({input: child.stdout!}).on("line", (line) => {
                const parsed = parseReadyLine(line);
                if (parsed == null) {
                    if (line.trim() !== "") this._options.log.info(`[engine stdout] ${line}`);
                    return;
                }
                clearTimeout(timer);
                resolve(parsed);
            });
            child.once("exit", (code, signal) => {
                clearTimeout(timer);
                const lastLines = stderrTail.filter((line) => line.trim() !== "").slice(-3).join(" ");
                reject(new EngineStartError(vscode.l10n.t("The engine exited before it was ready ({0}). {1}", signal ?? `exit code ${code}`, lastLines)));
            });
            child.once("error", (error) => {
                clearTimeout(timer);
                reject(new EngineStartError(vscode.l10n.t("The engine could not be started: {0}", error.message)));
            });
        });

        child.once("exit", (code, signal) => this._onExit(child, code, signal));

        try {
            this._ready = await readyLine;
        } catch (error) {
            // The exit handler has already let go of a child that exited before it was ready (`_child` is then
            // undefined): the failure is still this start's to report, unless a newer start has taken over
            if (this._child === child || this._child == null) {
                this._error = (error as Error).message;
                this._setState("error");
            }
            throw error;
        }
        this._options.log.info(
            `[engine] ready on ${this._ready.host}:${this._ready.port} (pid ${child.pid}, model ${this._ready.model}, ` +
            `${describeBackend(this._ready.backend, this._ready.gpuLayers)}, ${this._ready.threads} threads)`
        );
        this._setState(this._activeRequests > 0 ? "busy" : "ready");
        return this._ready;
    }

    private _onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
        if (this._child !== child) return;
        this._child = undefined;
        const wasReady = this._ready != null;
        this._ready = undefined;
        if (this._stopping != null || this._disposed) {
            this._setState("stopped");
            return;
        }
        this._options.log.warn(`[engine] exited unexpectedly (${signal ?? `exit code ${code}`})`);
        if (!wasReady) return; // a failed start is reported by _start; restarting it in a loop would not help

        const now = Date.now();
        const windowMs = this._options.crashWindowMs ?? 3 * 60_000;
        this._crashTimes = [...this._crashTimes.filter((time) => now - time < windowMs), now];
        const maxCrashes = this._options.maxCrashes ?? 5;
        if (this._crashTimes.length >= maxCrashes) {
            this._error = vscode.l10n.t("The engine crashed {0} times within {1} minutes; it is not restarted again. See the log.", this._crashTimes.length, Math.round(windowMs / 60_000));
            this._setState("error");
            this._onDidGiveUp.fire(this._error);
            return;
        }
        const delayMs = Math.min(30_000, 500 * 2 ** (this._crashTimes.length - 1));
        this._error = vscode.l10n.t("The engine stopped ({0}); restarting it.", signal ?? `exit code ${code}`);
        this._setState("starting");
        this._restartTimer = setTimeout(() => {
            this._restartTimer = undefined;
            this.ensureStarted().catch((error: unknown) => this._options.log.error(`[engine] restart failed: ${(error as Error).message}`));
        }, delayMs);
    }

    private async _stop(): Promise<void> {
        const child = this._child;
        if (child == null || child.exitCode != null || child.signalCode != null) {
            this._child = undefined;
            this._ready = undefined;
            if (this._state !== "error") this._setState("stopped");
            return;
        }
        this._options.log.info(`[engine] stopping (pid ${child.pid})`);
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const graceMs = this._options.stopGraceMs ?? 2000;
        const timer = setTimeout(() => {
            this._options.log.warn(`[engine] did not stop within ${graceMs} ms; killing it`);
            child.kill("SIGKILL");
        }, graceMs);
        await exited;
        clearTimeout(timer);
        this._child = undefined;
        this._ready = undefined;
        this._error = null;
        this._setState("stopped");
    }

    private _clearRestartTimer(): void {
        if (this._restartTimer != null) clearTimeout(this._restartTimer);
        this._restartTimer = undefined;
    }

    private _setState(state: EngineState): void {
        this._state = state;
        this._fire();
    }

    private _fire(): void {
        if (!this._disposed) this._onDidChangeStatus.fire(this.status);
    }
}

function parseReadyLine(line: string): EngineReadyLine | null {
    if (!line.startsWith("{")) return null;
    try {
        const value = JSON.parse(line) as Partial<EngineReadyLine>;
        return value.event === "ready" && typeof value.port === "number" && typeof value.token === "string"
            ? value as EngineReadyLine
            : null;
    } catch {
        return null; // not the ready line: logged as plain output by the caller
    }
}

function describeBackend(backend: string, gpuLayers: number): string {
    if (backend === "cpu" || backend === "false" || gpuLayers === 0) return "CPU";
    const name = backend === "cuda" ? "CUDA" : backend === "vulkan" ? "Vulkan" : backend === "metal" ? "Metal" : backend;
    return `${name} (${gpuLayers} layers)`;
}
