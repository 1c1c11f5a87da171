import fs from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import {readEvalRunFile} from "../../server/eval/EvalRunFile";
import type {EvalRunHeader, EvalRunRecord} from "../../server/eval/report/EvalRunRecord";

/** A run file of an eval set, known by its header. */
export type EvalRunSummary = {runFilePath: string, header: EvalRunHeader};

/** The records of one run, found by item key, or by question for an item whose position moved. */
export class EvalRunScores {
    private readonly _byKey = new Map<string, EvalRunRecord>();
    private readonly _byQuestion = new Map<string, EvalRunRecord>();

    public constructor(public readonly run: EvalRunSummary, records: readonly EvalRunRecord[]) {
        // The last record of an item wins, as in the report
        for (const record of records) {
            this._byKey.set(record.itemKey, record);
            this._byQuestion.set(record.question, record);
        }
    }

    public get size(): number {
        return this._byKey.size;
    }

    public recordOf(itemKey: string, question: string): EvalRunRecord | undefined {
        return this._byKey.get(itemKey) ?? this._byQuestion.get(question);
    }
}

const selectedRunsKey = "belle.annotation.selectedRuns";

/**
 * The evaluation runs of eval sets: run files under `.belle/runs` of the eval set's workspace folder (where "Run
 * Evaluation" writes them) or beside the eval set, matched by the eval-set path in their header. For each eval set
 * one run is "selected" (the newest unless the user picked another); its scores are what the CodeLens, hover and
 * diagnostics show. Run files are re-read when they change, so a running evaluation fills in as it goes.
 */
export class EvalRunIndex implements vscode.Disposable {
    private readonly _onDidChange = new vscode.EventEmitter<void>();
    public readonly onDidChange = this._onDidChange.event;
    private readonly _fileCache = new Map<string, {mtimeMs: number, size: number, header: EvalRunHeader, records: EvalRunRecord[]}>();
    private readonly _disposables: vscode.Disposable[];
    private _changeTimer: NodeJS.Timeout | undefined;
    /** The selected run's scores per eval-set path (null: no run), as last loaded. */
    private readonly _scores = new Map<string, EvalRunScores | null>();
    /** Loads under way per eval-set path, resolved (never rejected) when their scores are in. */
    private readonly _loading = new Map<string, Promise<void>>();
    /** Bumped by `refresh`: a load started before it read files that may have changed since, and is dropped. */
    private _generation = 0;

    public constructor(private readonly _workspaceState: vscode.Memento) {
        const watcher = vscode.workspace.createFileSystemWatcher("**/.belle/runs/*.jsonl");
        const changed = () => {
            clearTimeout(this._changeTimer);
            this._changeTimer = setTimeout(() => this.refresh(), 300);
        };
        this._disposables = [this._onDidChange, watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed)];
    }

    public dispose(): void {
        clearTimeout(this._changeTimer);
        for (const disposable of this._disposables) disposable.dispose();
    }

    /** Forgets the loaded scores and tells listeners (a run file written outside a watched folder, say). */
    public refresh(): void {
        this._generation++;
        this._scores.clear();
        this._loading.clear();
        this._onDidChange.fire();
    }

    /**
     * The selected run's scores as loaded: null when the eval set has no run, undefined while they load (then
     * `onDidChange` fires once they are in). For the CodeLens, hover and diagnostics, which cannot wait.
     */
    public peekScores(evalSetPath: string): EvalRunScores | null | undefined {
        const key = path.resolve(evalSetPath);
        if (this._scores.has(key)) return this._scores.get(key);
        this._startLoad(key);
        return undefined;
    }

    private _startLoad(key: string): Promise<void> {
        const under = this._loading.get(key);
        if (under != null) return under;
        const generation = this._generation;
        // A load that a refresh overtook (a run file written, another run selected meanwhile) read old files: its
        // result is dropped, and the next ask loads again
        const loading = this.scoresOf(key).then((scores) => {
            if (generation !== this._generation) return;
            this._loading.delete(key);
            this._scores.set(key, scores);
            this._onDidChange.fire();
        }, () => { if (generation === this._generation) this._loading.delete(key); });
        this._loading.set(key, loading);
        return loading;
    }

    /** The runs of the eval set at `evalSetPath`, newest first. Unreadable run files are skipped. */
    public async runsOf(evalSetPath: string): Promise<EvalRunSummary[]> {
        const wanted = path.resolve(evalSetPath);
        const runs: EvalRunSummary[] = [];
        for (const folder of runFolders(evalSetPath)) {
            let names: string[];
            try {
                names = await fs.readdir(folder);
            } catch {
                continue; // no runs yet
            }
            for (const name of names.filter((entry) => entry.endsWith(".jsonl"))) {
                const runFilePath = path.join(folder, name);
                const contents = await this._read(runFilePath);
                if (contents != null && path.resolve(contents.header.evalSetPath) === wanted && !runs.some((run) => run.runFilePath === runFilePath))
                    runs.push({runFilePath, header: contents.header});
            }
        }
        return runs.sort((left, right) => right.header.createdAt.localeCompare(left.header.createdAt));
    }

    /** The selected run's scores for the eval set, or null when it has no run. */
    public async scoresOf(evalSetPath: string): Promise<EvalRunScores | null> {
        const runs = await this.runsOf(evalSetPath);
        if (runs.length === 0) return null;
        const selected = this._selections()[path.resolve(evalSetPath)];
        const run = runs.find((candidate) => candidate.runFilePath === selected) ?? runs[0]!;
        const contents = await this._read(run.runFilePath);
        return contents == null ? null : new EvalRunScores(run, contents.records);
    }

    public async selectRun(evalSetPath: string, runFilePath: string): Promise<void> {
        await this._workspaceState.update(selectedRunsKey, {...this._selections(), [path.resolve(evalSetPath)]: runFilePath});
        this.refresh();
    }

    private _selections(): Record<string, string> {
        return this._workspaceState.get<Record<string, string>>(selectedRunsKey) ?? {};
    }

    private async _read(runFilePath: string) {
        let stat;
        try {
            stat = await fs.stat(runFilePath);
        } catch {
            this._fileCache.delete(runFilePath);
            return undefined;
        }
        const cached = this._fileCache.get(runFilePath);
        if (cached != null && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached;
        try {
            const contents = await readEvalRunFile(runFilePath);
            const entry = {mtimeMs: stat.mtimeMs, size: stat.size, ...contents};
            this._fileCache.set(runFilePath, entry);
            return entry;
        } catch {
            return undefined; // not a run file, or one being written: skipped until it reads
        }
    }
}

function runFolders(evalSetPath: string): string[] {
    const folders = [path.join(path.dirname(evalSetPath), ".belle", "runs")];
    const workspaceFolder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(evalSetPath));
    if (workspaceFolder != null) folders.unshift(path.join(workspaceFolder.uri.fsPath, ".belle", "runs"));
    return folders;
}
