// What `npm run bench:annotate` (bench/annotate.bench.ts, in Node) and its in-host half
// (test/host/bench/annotate.bench-suite.ts, in the extension host) pass each other. No `vscode` import: both sides
// compile this file.

/** Written by the runner into the workspace folder; the in-host half reads it. */
export const annotateBenchInputFile = "belle-bench.json";

/** The in-host half logs one line starting with this, the result as JSON after it. */
export const annotateBenchResultMarker = "===== BELLE annotate bench result: ";

export type AnnotateBenchInput = {
    itemCount: number,
    /** Single-character edits typed into a question in the middle of the set. */
    typingEdits: number,
    /** From one edit's start to the next one's. */
    typingIntervalMs: number,
    /** Rounds of typing into each document, alternating between them. */
    typingRounds: number,
    /** How long to watch the host after an open or after the last keystroke (BELLE's near-duplicate scan runs 1 s in). */
    settleMs: number,
    /**
     * Names of `.cpuprofile` files to write into the workspace folder: the extension host profiled over the first open
     * of each layout (from the open to the last request after it) and over BELLE's typing; null: no profiling (it
     * slows the host down).
     */
    cpuProfiles: {openJsonl: string, openJsonArray: string, typing: string} | null,
    /** File names in the workspace folder: one fresh copy per measured open, since a document is opened once. */
    files: {
        /** Small sets opened first, so the parser and the providers are compiled before anything is timed. */
        warmup: string[],
        jsonl: string[],
        jsonArray: string[],
        /** The JSON-array text with the first item's `question` key renamed: BELLE leaves it alone, the JSON features do not. */
        peerJsonArray: string[],
        /** The JSONL set typed into, measured before the opens so that only the warm-up sets are open besides. */
        typing: string,
        /** The JSONL text with the first `question` key renamed: the same typing where BELLE does nothing. */
        typingBaseline: string
    }
};

/** Milliseconds. */
export type Distribution = {count: number, p50: number, p95: number, max: number};

export type BelleOpenSample = {
    /** From `showTextDocument` to the document's arrival in the extension host. */
    arrivalMs: number,
    /** After arrival: the extension's own synchronous work on open (its parse, diagnostics, CodeLens refresh). */
    openListenersMs: number,
    /** `parseEvalSet` alone on the same text in the extension host, median of 3. */
    parseMs: number,
    /** After arrival: BELLE's diagnostics readable through `languages.getDiagnostics`. */
    diagnosticsSetMs: number,
    /** After arrival: `languages.onDidChangeDiagnostics` for the document (VS Code delays that event by 50 ms). */
    diagnosticsEventMs: number,
    /** After arrival: `vscode.executeCodeLensProvider` returned, asked as soon as the document arrived. */
    codeLensMs: number,
    codeLensCount: number,
    /** The same request again (the parse is current). */
    codeLensWarmMs: number,
    /** The request right after a one-character edit (the provider re-parses at once). */
    codeLensAfterEditMs: number,
    itemCount: number,
    diagnosticCount: number,
    /** Longest extension-host event-loop stall from arrival until `settleMs` later. */
    settleEventLoopMaxMs: number
};

export type PeerOpenSample = {
    arrivalMs: number,
    /** After arrival: `vscode.executeDocumentSymbolProvider` returned, asked as soon as the document arrived. */
    symbolsMs: number,
    symbolCount: number,
    symbolsWarmMs: number,
    symbolsAfterEditMs: number,
    /**
     * `vscode.executeCodeLensProvider` when the only provider is a trivial one with 3 lenses per item, as many as
     * BELLE's: what VS Code itself takes to carry that many lenses there and back (asked after the symbols).
     */
    trivialCodeLensMs: number,
    trivialCodeLensCount: number,
    /** `vscode.executeFoldingRangeProvider`, after the symbols. */
    foldingMs: number,
    foldingCount: number,
    settleEventLoopMaxMs: number
};

/**
 * Keystrokes and round trips pooled over the rounds; event-loop delay: the median of the rounds' p50 and p95 and the
 * largest max; the `settle…` and `…AfterLastEdit` values are medians of the rounds.
 */
export type TypingSample = {
    rounds: number,
    /** `workspace.applyEdit` of one character, awaited. */
    keystroke: Distribution,
    /** A round trip to the workbench (`setContext`), back to back while typing. */
    ping: Distribution,
    /** Extension-host event-loop delay while typing (`perf_hooks.monitorEventLoopDelay`, 1 ms resolution); `count`: samples. */
    eventLoop: Distribution,
    /** From the last keystroke until `settleMs` later. */
    settlePingMaxMs: number,
    settleEventLoopMaxMs: number,
    /** Last keystroke applied → BELLE's diagnostics of the edited item reflect it; null for the baseline. */
    diagnosticsAfterLastEditMs: number | null
};

export type AnnotateBenchResult = {
    vscodeVersion: string,
    /** Whether something had activated BELLE before the bench could listen first (arrival times would then include its work). */
    activatedBeforeBench: boolean,
    jsonl: BelleOpenSample[],
    jsonArray: BelleOpenSample[],
    peer: PeerOpenSample[],
    typing: {belle: TypingSample, baseline: TypingSample}
};
