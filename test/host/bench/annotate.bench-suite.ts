import {Session} from "node:inspector/promises";
import {monitorEventLoopDelay, performance, type IntervalHistogram} from "node:perf_hooks";
import * as vscode from "vscode";
import {parseEvalSet} from "../../../server/eval/readEvalSet";
import {activateBelleExtension, getBelleExtension} from "../suite/belleExtension";
import {
    annotateBenchInputFile, annotateBenchResultMarker,
    type AnnotateBenchInput, type AnnotateBenchResult, type BelleOpenSample, type Distribution, type PeerOpenSample, type TypingSample
} from "./annotateBenchContract";

// The in-host half of `npm run bench:annotate`: the `extensionTestsPath` entry the workbench runs in the extension
// host (test/host/support/runInHostSuite.ts). It times BELLE's CodeLens and diagnostics on 10,000-item eval sets and,
// as the peer, VS Code's own JSON language features on the same text, then how the host keeps up while someone
// types; it logs the numbers as one JSON line for bench/annotate.bench.ts to print.

const arrivalTimeoutMs = 30_000;
const diagnosticsTimeoutMs = 30_000;
/** Typed into the question, one at a time. */
const typedCharacters = "春眠不觉晓处处闻啼鸟夜来风雨声花落知多少";

export async function run(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (folder == null) throw new Error("the host was opened without a workspace folder");
    const input = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, annotateBenchInputFile)))) as AnnotateBenchInput;
    const fileUri = (name: string) => vscode.Uri.joinPath(folder, name);

    // Listening before BELLE activates puts this listener ahead of BELLE's: its time is the document's arrival
    const activatedBeforeBench = getBelleExtension().isActive;
    const arrivals = new DocumentArrivals();
    await activateBelleExtension();
    arrivals.listenAfterExtensions();
    try {
        for (const name of input.files.warmup) {
            if (name.startsWith("peer")) await measurePeerOpen(fileUri(name), input, arrivals);
            else await measureBelleOpen(fileUri(name), input, arrivals);
        }
        const typing = await measureTyping(fileUri(input.files.typing), fileUri(input.files.typingBaseline), input,
            input.cpuProfiles == null ? undefined : fileUri(input.cpuProfiles.typing));
        const jsonl: BelleOpenSample[] = [];
        const jsonArray: BelleOpenSample[] = [];
        const peer: PeerOpenSample[] = [];
        // Interleaved, so a slow stretch of the machine does not land on one side only
        for (let index = 0; index < input.files.jsonl.length; index++) {
            const profiles = index === 0 ? input.cpuProfiles : null;
            jsonl.push(await measureBelleOpen(fileUri(input.files.jsonl[index]!), input, arrivals, profiles == null ? undefined : fileUri(profiles.openJsonl)));
            jsonArray.push(await measureBelleOpen(fileUri(input.files.jsonArray[index]!), input, arrivals, profiles == null ? undefined : fileUri(profiles.openJsonArray)));
            peer.push(await measurePeerOpen(fileUri(input.files.peerJsonArray[index]!), input, arrivals));
        }
        const result: AnnotateBenchResult = {vscodeVersion: vscode.version, activatedBeforeBench, jsonl, jsonArray, peer, typing};
        console.log(annotateBenchResultMarker + JSON.stringify(result));
    } finally {
        arrivals.dispose();
    }
}

type Arrival = {document: vscode.TextDocument, arrivedAt: number, afterListenersAt: number};

/**
 * When documents reach the extension host: one `onDidOpenTextDocument` listener added before BELLE activates (the
 * arrival) and one after (BELLE's open work, which runs in between, is done). A callback given to `expect` runs
 * synchronously in the second, so what it starts is not queued behind anything else.
 */
class DocumentArrivals implements vscode.Disposable {
    private readonly _arrivedAt = new Map<string, number>();
    private readonly _callbacks = new Map<string, (arrival: Arrival) => void>();
    private readonly _disposables: vscode.Disposable[] = [];

    public constructor() {
        this._disposables.push(vscode.workspace.onDidOpenTextDocument((document) => {
            this._arrivedAt.set(document.uri.toString(), performance.now());
        }));
    }

    public listenAfterExtensions(): void {
        this._disposables.push(vscode.workspace.onDidOpenTextDocument((document) => {
            const afterListenersAt = performance.now();
            const key = document.uri.toString();
            const callback = this._callbacks.get(key);
            if (callback == null) return;
            this._callbacks.delete(key);
            callback({document, arrivedAt: this._arrivedAt.get(key) ?? afterListenersAt, afterListenersAt});
        }));
    }

    public expect<T>(uri: vscode.Uri, onArrival: (arrival: Arrival) => T): Promise<T> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${uri.path} did not reach the extension host within ${arrivalTimeoutMs} ms`)), arrivalTimeoutMs);
            this._callbacks.set(uri.toString(), (arrival) => {
                clearTimeout(timer);
                try {
                    resolve(onArrival(arrival));
                } catch (error) {
                    reject(error);
                }
            });
        });
    }

    public dispose(): void {
        for (const disposable of this._disposables) disposable.dispose();
    }
}

async function measureBelleOpen(uri: vscode.Uri, input: AnnotateBenchInput, arrivals: DocumentArrivals, profileUri?: vscode.Uri): Promise<BelleOpenSample> {
    const key = uri.toString();
    let diagnosticsListener: vscode.Disposable | undefined;
    const diagnosticsEvent = new Promise<number>((resolve) => {
        diagnosticsListener = vscode.languages.onDidChangeDiagnostics((event) => {
            if (event.uris.some((changed) => changed.toString() === key) && belleDiagnostics(uri).length > 0) resolve(performance.now());
        });
    });
    const eventLoop = monitorEventLoopDelay({resolution: 1});
    const arrived = arrivals.expect(uri, (arrival) => {
        eventLoop.enable();
        const diagnosticsSetAt = belleDiagnostics(uri).length > 0 ? arrival.afterListenersAt : undefined;
        const codeLenses = timed(() => vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri));
        return {arrival, diagnosticsSetAt, codeLenses};
    });
    const stopProfile = profileUri == null ? undefined : await startCpuProfile(profileUri);
    const started = performance.now();
    await vscode.window.showTextDocument(uri, {preview: false});
    const {arrival, diagnosticsSetAt: setOnArrival, codeLenses} = await arrived;
    const {document, arrivedAt} = arrival;
    const diagnosticsSetAt = setOnArrival ?? await pollUntil(() => belleDiagnostics(uri).length > 0, "BELLE's diagnostics");
    const [lenses, codeLensesAt] = await codeLenses;
    const diagnosticsEventAt = await withTimeout(diagnosticsEvent, diagnosticsTimeoutMs, "onDidChangeDiagnostics").finally(() => diagnosticsListener?.dispose());
    await sleepUntil(arrivedAt + input.settleMs);
    eventLoop.disable();

    const [, codeLensWarmAt, warmStartedAt] = await timed(() => vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri));
    await typeIntoFirstValue(document);
    const [, codeLensAfterEditAt, afterEditStartedAt] = await timed(() => vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri));
    await stopProfile?.();

    const text = document.getText();
    const parseMs = median([0, 1, 2].map(() => {
        const parseStarted = performance.now();
        parseEvalSet(text, {filePath: uri.fsPath});
        return performance.now() - parseStarted;
    }));
    const sample: BelleOpenSample = {
        arrivalMs: arrivedAt - started,
        openListenersMs: arrival.afterListenersAt - arrivedAt,
        parseMs,
        diagnosticsSetMs: diagnosticsSetAt - arrivedAt,
        diagnosticsEventMs: diagnosticsEventAt - arrivedAt,
        codeLensMs: codeLensesAt - arrivedAt,
        codeLensCount: lenses.length,
        codeLensWarmMs: codeLensWarmAt - warmStartedAt,
        codeLensAfterEditMs: codeLensAfterEditAt - afterEditStartedAt,
        itemCount: parseEvalSet(text, {filePath: uri.fsPath}).items.length,
        diagnosticCount: belleDiagnostics(uri).length,
        settleEventLoopMaxMs: eventLoop.max / 1e6
    };
    await closeEditors(document);
    return sample;
}

async function measurePeerOpen(uri: vscode.Uri, input: AnnotateBenchInput, arrivals: DocumentArrivals): Promise<PeerOpenSample> {
    const eventLoop = monitorEventLoopDelay({resolution: 1});
    const arrived = arrivals.expect(uri, (arrival) => {
        eventLoop.enable();
        return {arrival, symbols: timed(() => documentSymbols(uri))};
    });
    const started = performance.now();
    await vscode.window.showTextDocument(uri, {preview: false});
    const {arrival, symbols} = await arrived;
    const {document, arrivedAt} = arrival;
    const [symbolList, symbolsAt] = await symbols;
    const [ranges, foldingAt, foldingStartedAt] = await timed(() => vscode.commands.executeCommand<vscode.FoldingRange[]>("vscode.executeFoldingRangeProvider", uri));
    await sleepUntil(arrivedAt + input.settleMs);
    eventLoop.disable();

    const [, symbolsWarmAt, warmStartedAt] = await timed(() => documentSymbols(uri));
    const [trivialLenses, trivialCodeLensMs] = await timeTrivialCodeLenses(document);
    await typeIntoFirstValue(document);
    const [, symbolsAfterEditAt, afterEditStartedAt] = await timed(() => documentSymbols(uri));
    const sample: PeerOpenSample = {
        arrivalMs: arrivedAt - started,
        symbolsMs: symbolsAt - arrivedAt,
        symbolCount: countSymbols(symbolList),
        symbolsWarmMs: symbolsWarmAt - warmStartedAt,
        symbolsAfterEditMs: symbolsAfterEditAt - afterEditStartedAt,
        trivialCodeLensMs,
        trivialCodeLensCount: trivialLenses,
        foldingMs: foldingAt - foldingStartedAt,
        foldingCount: ranges?.length ?? 0,
        settleEventLoopMaxMs: eventLoop.max / 1e6
    };
    await closeEditors(document);
    return sample;
}

/**
 * Registers a CodeLens provider for `document` alone that does no work (3 lenses at each line that opens an item,
 * computed beforehand), lets the editor's own request pass, then times `vscode.executeCodeLensProvider`.
 */
async function timeTrivialCodeLenses(document: vscode.TextDocument): Promise<[count: number, ms: number]> {
    const ranges: vscode.Range[] = [];
    for (let line = 0; line < document.lineCount; line++) {
        if (!/^\s*\{/.test(document.lineAt(line).text)) continue;
        const range = new vscode.Range(line, 0, line, 0);
        ranges.push(range, range, range);
    }
    const folder = vscode.Uri.joinPath(document.uri, "..");
    const registration = vscode.languages.registerCodeLensProvider({pattern: new vscode.RelativePattern(folder, document.uri.path.split("/").at(-1)!)}, {
        provideCodeLenses: () => ranges.map((range) => new vscode.CodeLens(range))
    });
    try {
        await sleep(1_000);
        const [lenses, endedAt, startedAt] = await timed(() => vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", document.uri));
        return [lenses.length, endedAt - startedAt];
    } finally {
        registration.dispose();
    }
}

/**
 * Types the same characters, one every `typingIntervalMs`, into a question in the middle of the BELLE eval set and
 * into the baseline (the same text, which BELLE leaves alone), in alternating rounds so that a busy stretch of the
 * machine does not land on one side only, while round trips to the workbench go back to back.
 */
async function measureTyping(belleUri: vscode.Uri, baselineUri: vscode.Uri, input: AnnotateBenchInput, profileUri?: vscode.Uri): Promise<{belle: TypingSample, baseline: TypingSample}> {
    const belleDocument = await vscode.workspace.openTextDocument(belleUri);
    await vscode.window.showTextDocument(belleDocument, {preview: false});
    await sleep(input.settleMs);
    // An item whose only problem is its missing standard answer: that diagnostic spans the item's line, so it
    // shows when a parse has seen the last keystroke
    const middle = belleDocument.lineCount / 2;
    const lines = belleDiagnostics(belleUri).map((diagnostic) => diagnostic.range.start.line);
    const line = belleDiagnostics(belleUri)
        .filter((diagnostic) => diagnostic.code === "missing_std_answer" && lines.filter((other) => other === diagnostic.range.start.line).length === 1)
        .map((diagnostic) => diagnostic.range.start.line)
        .sort((left, right) => Math.abs(left - middle) - Math.abs(right - middle))[0];
    if (line == null) throw new Error(`${belleUri.path} has no item with a missing standard answer to type into`);
    const baselineDocument = await vscode.workspace.openTextDocument(baselineUri);
    const diagnosticsShowEdits = () => {
        const lineLength = belleDocument.lineAt(line).text.length;
        return belleDiagnostics(belleUri).some((diagnostic) => diagnostic.code === "missing_std_answer"
            && diagnostic.range.start.line === line && diagnostic.range.end.character === lineLength);
    };

    const belle = new TypingRecorder();
    const baseline = new TypingRecorder();
    for (let round = 0; round < input.typingRounds; round++) {
        await vscode.window.showTextDocument(baselineDocument, {preview: false});
        await sleep(input.settleMs);
        await typeInto(baselineDocument, line, input, baseline, null);

        await vscode.window.showTextDocument(belleDocument, {preview: false});
        await sleep(input.settleMs);
        const stopProfile = round === 0 && profileUri != null ? await startCpuProfile(profileUri) : undefined;
        await typeInto(belleDocument, line, input, belle, diagnosticsShowEdits);
        await stopProfile?.();
    }
    await closeEditors(baselineDocument);
    await closeEditors(belleDocument);
    return {belle: belle.sample(), baseline: baseline.sample()};
}

/** What the typing rounds into one document measured, pooled. */
class TypingRecorder {
    public readonly keystrokes: number[] = [];
    public readonly pings: number[] = [];
    /** One per round: a histogram re-enabled after a pause would count the pause as one long delay. */
    public readonly eventLoop: Distribution[] = [];
    public readonly settlePingMaxMs: number[] = [];
    public readonly settleEventLoopMaxMs: number[] = [];
    public readonly diagnosticsAfterLastEditMs: number[] = [];

    public sample(): TypingSample {
        return {
            rounds: this.settlePingMaxMs.length,
            keystroke: distribution(this.keystrokes),
            ping: distribution(this.pings),
            eventLoop: {
                count: this.eventLoop.reduce((sum, round) => sum + round.count, 0),
                p50: median(this.eventLoop.map((round) => round.p50)),
                p95: median(this.eventLoop.map((round) => round.p95)),
                max: Math.max(...this.eventLoop.map((round) => round.max))
            },
            settlePingMaxMs: median(this.settlePingMaxMs),
            settleEventLoopMaxMs: median(this.settleEventLoopMaxMs),
            diagnosticsAfterLastEditMs: this.diagnosticsAfterLastEditMs.length === 0 ? null : median(this.diagnosticsAfterLastEditMs)
        };
    }
}

/** One round: `typingEdits` characters into `line`, then `settleMs` of watching. */
async function typeInto(document: vscode.TextDocument, line: number, input: AnnotateBenchInput, recorder: TypingRecorder, diagnosticsShowEdits: (() => boolean) | null): Promise<void> {
    const valueStart = /"[A-Za-z_]+"\s*:\s*"/.exec(document.lineAt(line).text);
    if (valueStart == null) throw new Error(`line ${line + 1} of ${document.uri.path} has no string field to type into`);
    const column = valueStart.index + valueStart[0].length + 2;

    const pings: Array<{startedAt: number, ms: number}> = [];
    let pinging = true;
    const pinger = (async () => {
        for (let count = 0; pinging; count++) {
            const pingStarted = performance.now();
            await vscode.commands.executeCommand("setContext", "belleBench.ping", count);
            pings.push({startedAt: pingStarted, ms: performance.now() - pingStarted});
        }
    })();
    const typingLoop = monitorEventLoopDelay({resolution: 1});
    const settleLoop = monitorEventLoopDelay({resolution: 1});
    typingLoop.enable();
    const typingStarted = performance.now();
    for (let index = 0; index < input.typingEdits; index++) {
        await sleepUntil(typingStarted + index * input.typingIntervalMs);
        const edit = new vscode.WorkspaceEdit();
        edit.insert(document.uri, new vscode.Position(line, column + index), typedCharacters[index % typedCharacters.length]!);
        const editStarted = performance.now();
        if (!await vscode.workspace.applyEdit(edit)) throw new Error(`keystroke ${index + 1} in ${document.uri.path} was not applied`);
        recorder.keystrokes.push(performance.now() - editStarted);
    }
    const lastEditAt = performance.now();
    typingLoop.disable();
    recorder.eventLoop.push(histogramDistribution(typingLoop));
    settleLoop.enable();
    if (diagnosticsShowEdits != null) recorder.diagnosticsAfterLastEditMs.push(await pollUntil(diagnosticsShowEdits, "diagnostics of the last keystroke") - lastEditAt);
    await sleepUntil(lastEditAt + input.settleMs);
    settleLoop.disable();
    pinging = false;
    await pinger;
    recorder.pings.push(...pings.filter((ping) => ping.startedAt >= typingStarted && ping.startedAt < lastEditAt).map((ping) => ping.ms));
    recorder.settlePingMaxMs.push(Math.max(0, ...pings.filter((ping) => ping.startedAt >= lastEditAt).map((ping) => ping.ms)));
    recorder.settleEventLoopMaxMs.push(settleLoop.max / 1e6);
}

/** One character typed into the first string value of the first item (the documents are saved before they close). */
async function typeIntoFirstValue(document: vscode.TextDocument): Promise<void> {
    const value = /"[A-Za-z_]+"\s*:\s*"/.exec(document.getText());
    if (value == null) throw new Error(`${document.uri.path} has no string field`);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, document.positionAt(value.index + value[0].length + 1), "字");
    if (!await vscode.workspace.applyEdit(edit)) throw new Error(`the edit of ${document.uri.path} was not applied`);
}

/** Saved first: a dirty editor would ask before closing. */
async function closeEditors(document: vscode.TextDocument): Promise<void> {
    if (document.isDirty) await document.save();
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
}

/** Profiles this process, the extension host; the function returned stops and writes the profile to `uri`. */
async function startCpuProfile(uri: vscode.Uri): Promise<() => Promise<void>> {
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    return async () => {
        const {profile} = await session.post("Profiler.stop");
        session.disconnect();
        await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify(profile)));
    };
}

function belleDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
    return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === "BELLE");
}

function documentSymbols(uri: vscode.Uri): Thenable<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined> {
    return vscode.commands.executeCommand<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined>("vscode.executeDocumentSymbolProvider", uri);
}

function countSymbols(symbols: ReadonlyArray<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined): number {
    let count = 0;
    for (const symbol of symbols ?? []) count += 1 + ("children" in symbol ? countSymbols(symbol.children) : 0);
    return count;
}

/** Starts `request` now; resolves with its result, when it settled and when it started. */
async function timed<T>(request: () => Thenable<T>): Promise<[T, number, number]> {
    const startedAt = performance.now();
    const result = await request();
    return [result, performance.now(), startedAt];
}

/** When `condition` first held, checked every millisecond or so. */
async function pollUntil(condition: () => boolean, description: string, timeoutMs = diagnosticsTimeoutMs): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
        if (performance.now() > deadline) throw new Error(`${description}: not seen within ${timeoutMs} ms`);
        await sleep(1);
    }
    return performance.now();
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, description: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
        return await Promise.race([promise, new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${description}: not seen within ${timeoutMs} ms`)), timeoutMs);
        })]);
    } finally {
        clearTimeout(timer);
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function sleepUntil(time: number): Promise<void> {
    return sleep(Math.max(0, time - performance.now()));
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((left, right) => left - right);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function distribution(values: readonly number[]): Distribution {
    const sorted = [...values].sort((left, right) => left - right);
    const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
    return {count: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? Number.NaN};
}

/** The histogram's nanoseconds in ms; `count` is its number of samples. */
function histogramDistribution(histogram: IntervalHistogram): Distribution {
    return {count: histogram.count, p50: histogram.percentile(50) / 1e6, p95: histogram.percentile(95) / 1e6, max: histogram.max / 1e6};
}
