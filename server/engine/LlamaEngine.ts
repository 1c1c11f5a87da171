import crypto from "node:crypto";
import path from "node:path";
import {
    getLlama, isLlamaText, resolveChatWrapper, LlamaGrammarEvaluationState, LlamaLogLevel, type ChatWrapper, type Llama,
    type LlamaContext, type LlamaContextSequence, type LlamaGrammar, type LlamaModel, type Token
} from "node-llama-cpp";
import {AdaptiveThreadCount} from "./AdaptiveThreadCount";
import {checkLoraAdapters, InvalidLoraAdapterError, type LoraAdapterOption} from "./checkLoraAdapters";
import {ContextLengthExceededError} from "./engineErrors";
import {BelleChatWrapper} from "./BelleChatWrapper";
import {DecodeStepBarrier, type BarrierMember} from "./DecodeStepBarrier";
import {createSequenceOrderedStrategy, readQueuedDecodes} from "./sequenceOrderedBatching";
import {IncrementalDetokenizer} from "./IncrementalDetokenizer";
import {JsonSchemaGrammarCache} from "./JsonSchemaGrammarCache";
import {NativeTokenLoop} from "./native/NativeTokenLoop";
import {penaltyAndBiasOptions} from "./penaltyAndBiasOptions";
import {predictionCountsBetween, PromptLookupPredictor, readPredictionTotals, type PredictionCounts} from "./PromptLookupPredictor";
import {resolveThreadCount} from "./resolveThreadCount";
import {SequencePool} from "./SequencePool";
import {StopStringMatcher} from "./StopStringMatcher";
import {TokenLogprobReader, type TokenLogprob} from "./TokenLogprobs";
import type {FinishReason, GenerationRequest, GenerationResult} from "./generationTypes";
import {generateWithTools} from "./generateWithTools";
import {toChatHistory} from "./toChatHistory";

export type GpuBackend = "auto" | "cuda" | "vulkan" | "metal" | "cpu";
export type PromptFormat = "auto" | "model" | "belle";
/**
 * Who runs the token loop. `native`: llama.cpp's C API in a worker thread (decode and sample on one thread, no
 * hand-off per token); `node-llama-cpp`: its sequence API. `auto`: native where it can run (the CPU build, no LoRA).
 */
export type TokenLoopKind = "auto" | "native" | "node-llama-cpp";

/** A sequence of the native loop, and the tokens it last held (to hand a prompt the sequence sharing most of it). */
type NativeSequence = {id: number, cachedTokens: Token[]};

/**
 * `lookup`: prompt-lookup speculative decoding (drafts copied from the prompt, verified by the model); `off`: none;
 * `auto`: lookup on the native token loop (where bench:engine:lookup shows it faster on copying answers and as fast
 * on the others), none on node-llama-cpp's (its predictor made answers slower).
 */
export type SpeculativeMode = "auto" | "lookup" | "off";

/** Tokens a prompt-lookup draft holds at most (node-llama-cpp's default is 3). */
export const defaultLookupDraftTokens = 3;

export type EngineOptions = {
    modelPath: string,
    gpuLayers?: "auto" | number,
    backend?: GpuBackend,
    contextSize?: number,
    parallel?: number,
    threads?: "auto" | number,
    /** `auto`: the model's own chat template, or BELLE's format when the model has none. */
    promptFormat?: PromptFormat,
    maxQueued?: number,
    /** Applied on top of the model in every sequence; checked against the model before it loads. */
    loraAdapters?: readonly LoraAdapterOption[],
    tokenLoop?: TokenLoopKind,
    speculative?: SpeculativeMode,
    lookupDraftTokens?: number,
    log?: (line: string) => void
};

export type LoadedLoraAdapter = {
    path: string,
    /** The adapter's `general.name`, null when it has none. */
    name: string | null,
    scale: number
};

export type EngineInfo = {
    model: string,
    modelPath: string,
    backend: "cpu" | "cuda" | "vulkan" | "metal",
    gpuLayers: number,
    /** The most CPU threads a batch may use (`--threads`, or what `auto` resolved to). */
    threads: number,
    /** Threads the next batch uses: with `--threads auto`, fewer while other processes keep cores busy. */
    threadsInUse: number,
    contextSize: number,
    parallel: number,
    promptFormat: string,
    slotsBusy: number,
    queued: number,
    /** Grammars built from `response_format` JSON schemas and kept for the next request with the same schema. */
    cachedGrammars: number,
    flashAttention: boolean,
    loraAdapters: LoadedLoraAdapter[],
    /** What runs plain requests' token loop; requests with tools, a JSON schema, logprobs or logit_bias use node-llama-cpp's. */
    tokenLoop: "native" | "node-llama-cpp",
    /** Speculative decoding in use; `lookup` drafts only where it cannot change the answer (see `_lookupApplies`). */
    speculative: "lookup" | "off",
    /** Tokens a prompt-lookup draft holds at most; 0 when speculative decoding is off. */
    lookupDraftTokens: number
};

/**
 * One model, `parallel` sequences, and a pool handing a sequence to each request; prompt prefixes shared with a
 * sequence's previous request are reused. Plain requests run on the native token loop (a worker thread on llama.cpp's
 * C API, which batches its sequences itself) where it runs; the others, and all of them without it, on
 * node-llama-cpp's context and its batching.
 */
export class LlamaEngine {
    private readonly _pool: SequencePool<LlamaContextSequence>;
    private readonly _nativePool: SequencePool<NativeSequence> | null;
    private readonly _grammars: JsonSchemaGrammarCache;
    private readonly _stepBarrier = new DecodeStepBarrier();
    /** UTF-16 units of the vocabulary's longest token as stored (bytes for byte-level BPE): no token covers more text. */
    private readonly _longestTokenLength: number;
    /** Tokens in the vocabulary; 0 when the metadata does not list them. */
    private readonly _vocabularySize: number;
    private readonly _logprobReader: TokenLogprobReader;

    private constructor(
        private readonly _llama: Llama,
        private readonly _model: LlamaModel,
        private readonly _context: LlamaContext,
        private readonly _chatWrapper: ChatWrapper,
        private readonly _promptFormat: string,
        private readonly _threads: number,
        private readonly _modelPath: string,
        maxQueued: number,
        private readonly _flashAttention: boolean,
        private readonly _loraAdapters: readonly LoadedLoraAdapter[],
        private readonly _adaptiveThreads: AdaptiveThreadCount | null,
        private readonly _nativeLoop: NativeTokenLoop | null,
        private readonly _parallel: number,
        /** Draft tokens at most on the native loop, and on node-llama-cpp's; 0: no prompt lookup there. */
        private readonly _nativeLookupDraftTokens: number,
        private readonly _lookupDraftTokens: number,
        private readonly _log: (line: string) => void
    ) {
        this._nativePool = _nativeLoop == null
            ? null
            : new SequencePool(Array.from({length: _parallel}, (_, id): NativeSequence => ({id, cachedTokens: []})), maxQueued);
        const sequences = Array.from({length: _context.totalSequences}, () => _context.getSequence({
            tokenPredictor: _lookupDraftTokens > 0 ? new PromptLookupPredictor(_lookupDraftTokens) : undefined
        }));
        this._pool = new SequencePool(sequences, maxQueued);
        this._grammars = new JsonSchemaGrammarCache(_llama);
        const vocabulary: readonly string[] = _model.fileInfo.metadata.tokenizer?.ggml?.tokens ?? [];
        this._vocabularySize = vocabulary.length;
        this._logprobReader = new TokenLogprobReader(_model);
        // Without the vocabulary in the metadata, no bound: every prompt is tokenized
        this._longestTokenLength = vocabulary.length === 0 ? Number.POSITIVE_INFINITY : vocabulary.reduce((longest, token) => Math.max(longest, token.length), 1);
    }

    public static async load({
        modelPath, gpuLayers = "auto", backend = "auto", contextSize = 4096, parallel = 4, threads = "auto",
        promptFormat = "auto", maxQueued = 64, loraAdapters = [], tokenLoop = "auto", speculative = "auto",
        lookupDraftTokens = defaultLookupDraftTokens, log = () => undefined
    }: EngineOptions): Promise<LlamaEngine> {
        const adapterNames = await checkLoraAdapters(modelPath, loraAdapters);
        const loadedAdapters = loraAdapters.map(({filePath, scale}, index): LoadedLoraAdapter => ({path: filePath, name: adapterNames[index]!, scale}));
        const threadCount = resolveThreadCount(threads);
        const llama = await getLlama({
            gpu: backend === "auto" ? "auto" : backend === "cpu" ? false : backend,
            build: "never",
            maxThreads: threadCount,
            logLevel: LlamaLogLevel.warn,
            logger: (level, message) => log(`[llama.cpp ${level}] ${message.trimEnd()}`)
        });
        const model = await llama.loadModel({modelPath, gpuLayers: backend === "cpu" ? 0 : gpuLayers});
        const nativeUnavailable = tokenLoop === "node-llama-cpp" ? null
            : llama.gpu !== false ? `the ${llama.gpu} build runs here, and the native loop loads the CPU build`
            : loraAdapters.length > 0 ? "LoRA adapters are applied by node-llama-cpp's context"
            : null;
        if (tokenLoop === "native" && nativeUnavailable != null)
            log(`[engine] --token-loop native is unavailable (${nativeUnavailable}); node-llama-cpp runs the token loop`);
        const useNative = tokenLoop !== "node-llama-cpp" && nativeUnavailable == null;
        let createdContext: LlamaContext | undefined;
        const contextOptions = {
            contextSize,
            // With the native loop, node-llama-cpp's context serves only tools, JSON schemas, logprobs, logit_bias and
            // penalties, still with all sequences: with one, a seeded request's logprobs differed between a cached and
            // an uncached prompt (apiFidelity's reproducibility test failed 1 run in 3). Its KV cache is the memory kept
            sequences: parallel,
            // min 1: with --threads auto, llama.maxThreads goes below the ideal while other processes take cores
            threads: {ideal: threadCount, min: threads === "auto" ? 1 : threadCount},
            lora: loraAdapters.length === 0 ? undefined : {adapters: loraAdapters.map(({filePath, scale}) => ({filePath, scale}))},
            batching: {
                itemPrioritizationStrategy: createSequenceOrderedStrategy(
                    () => readQueuedDecodes(createdContext),
                    (reason) => log(`[engine] ${reason}: batches keep arrival order, so parallel streams may decode in several passes (slower)`)
                )
            }
        };
        // Flash attention: ~10% more decode throughput with parallel streams on CPU (bench:engine); a model or
        // backend that cannot use it falls back to the plain attention rather than failing to start.
        let flashAttention = true;
        const context = await model.createContext({...contextOptions, flashAttention: true}).catch((error: unknown) => {
            if (isLoraLoadError(error)) throw error;
            log(`[engine] flash attention unavailable (${error instanceof Error ? error.message : String(error)}); using standard attention`);
            flashAttention = false;
            return model.createContext(contextOptions);
        }).catch(async (error: unknown) => {
            if (!isLoraLoadError(error)) throw error;
            // The headers passed checkLoraAdapters; llama.cpp's own log line above says what it disliked
            await model.dispose();
            await llama.dispose();
            throw new InvalidLoraAdapterError(
                loraAdapters.map(({filePath}) => filePath).join(", "), `llama.cpp could not apply it (${(error as Error).message})`,
                "See the [llama.cpp] lines above; convert the adapter again with the llama.cpp that node-llama-cpp bundles."
            );
        });
        createdContext = context;

        const hasTemplate = model.fileInfo.metadata.tokenizer?.chat_template != null;
        const useBelle = promptFormat === "belle" || (promptFormat === "auto" && !hasTemplate);
        const chatWrapper = useBelle ? new BelleChatWrapper() : resolveChatWrapper(model);
        let nativeLoop: NativeTokenLoop | null = null;
        if (useNative) {
            nativeLoop = await NativeTokenLoop.start({
                modelPath, contextSize, sequences: parallel, batchSize: 512, threads: threadCount, flashAttention
            }).catch(async (error: unknown) => {
                if (tokenLoop === "native") {
                    await context.dispose();
                    await model.dispose();
                    await llama.dispose();
                    throw error;
                }
                log(`[engine] the native token loop could not start (${error instanceof Error ? error.message : String(error)}); node-llama-cpp runs it`);
                return null;
            });
            // requests under way fail with the cause; the next ones go to node-llama-cpp's loop
            nativeLoop?.onFail((error) => log(`[engine] the native token loop stopped (${error.message}); node-llama-cpp runs the token loop from now on`));
        }
        const adaptiveThreads = threads === "auto" && threadCount > 1
            ? new AdaptiveThreadCount(threadCount, (count) => {
                llama.maxThreads = count;
                nativeLoop?.setThreads(count);
                log(count === threadCount
                    ? `[engine] back to ${count} threads: the cores are free again`
                    : `[engine] ${count} of ${threadCount} threads while other processes keep cores busy`);
            })
            : null;
        return new LlamaEngine(
            llama, model, context, chatWrapper, useBelle ? "belle" : chatWrapper.wrapperName, threadCount, modelPath, maxQueued, flashAttention,
            loadedAdapters, adaptiveThreads, nativeLoop, parallel,
            speculative === "off" ? 0 : Math.max(1, lookupDraftTokens), speculative === "lookup" ? Math.max(1, lookupDraftTokens) : 0, log
        );
    }

    /** The draft size of the loop that serves plain requests now. */
    private get _activeLookupDraftTokens(): number {
        return this._nativeLoop != null && this._nativeLoop.failure == null ? this._nativeLookupDraftTokens : this._lookupDraftTokens;
    }

    public get modelId(): string {
        return path.basename(this._modelPath).replace(/\.gguf$/i, "");
    }

    public get contextSize(): number {
        return this._context.contextSize;
    }

    public get info(): EngineInfo {
        return {
            model: this.modelId,
            modelPath: this._modelPath,
            backend: this._llama.gpu === false ? "cpu" : this._llama.gpu,
            gpuLayers: this._model.gpuLayers,
            threads: this._threads,
            threadsInUse: this._adaptiveThreads?.threads ?? this._threads,
            contextSize: this._context.contextSize,
            parallel: this._nativePool?.size ?? this._pool.size,
            promptFormat: this._promptFormat,
            slotsBusy: this._pool.busy + (this._nativePool?.busy ?? 0),
            queued: this._pool.queued + (this._nativePool?.queued ?? 0),
            cachedGrammars: this._grammars.size,
            flashAttention: this._flashAttention,
            loraAdapters: this._loraAdapters.map((adapter) => ({...adapter})),
            tokenLoop: this._nativeLoop == null || this._nativeLoop.failure != null ? "node-llama-cpp" : "native",
            speculative: this._activeLookupDraftTokens > 0 ? "lookup" : "off",
            lookupDraftTokens: this._activeLookupDraftTokens
        };
    }

    /**
     * Generates a reply, calling `onText` with each piece of text as it becomes final (never part of a stop
     * string, never a split UTF-8 character). An aborted signal ends generation at the next token and frees the
     * sequence; the result then has finishReason "abort". A JSON response format constrains every token to its
     * schema's grammar, and generation stops with "stop" once the JSON value is complete.
     */
    public async generate(
        request: GenerationRequest,
        {signal, onText}: {signal?: AbortSignal, onText?: (text: string, logprobs?: TokenLogprob[]) => void} = {}
    ): Promise<GenerationResult> {
        // Tokenizing runs on the main thread (a 15 MB prompt took seconds, and /health waited): a prompt that cannot
        // fit even if every token were the vocabulary's longest is refused by its length first
        const contextSize = this._context.contextSize;
        const fewestTokens = fewestTokensFor(request, this._longestTokenLength);
        if (fewestTokens >= contextSize)
            throw new ContextLengthExceededError(fewestTokens, contextSize, {atLeast: true, param: request.kind === "chat" ? "messages" : "prompt"});

        if (request.kind === "chat" && request.tools != null) {
            const tools = request.tools;
            const sequence = await this._pool.acquire(signal);
            try {
                return await generateWithTools({
                    sequence, chatWrapper: this._chatWrapper, request: {...request, tools}, contextSize, signal, onText,
                    tokenBias: penaltyAndBiasOptions(request.sampling, [], 1, this._model, this._vocabularySize).tokenBias
                });
            } finally {
                this._pool.release(sequence);
            }
        }

        const grammar = request.responseFormat?.type === "json" ? await this._grammars.get(request.responseFormat.schema) : null;
        const {tokens: promptTokens, stopStrings} = this._renderPrompt(request, grammar);
        if (promptTokens.length >= contextSize)
            throw new ContextLengthExceededError(promptTokens.length, contextSize);

        if (this._nativeLoop != null && this._nativePool != null && this._nativeLoop.failure == null && isNativeRequest(request, grammar)) {
            const nativeSequence = await this._nativePool.acquire(signal, (candidate) => commonPrefixLength(candidate.cachedTokens, promptTokens));
            try {
                return await this._generateNative(this._nativeLoop, nativeSequence, promptTokens, stopStrings, request, signal, onText);
            } finally {
                this._nativePool.release(nativeSequence);
            }
        }

        // The free sequence that already holds the longest prefix of this prompt (an eval's judge prompts share
        // their class's instructions; a chat's next turn shares the conversation so far) evaluates only the rest
        const sequence = await this._pool.acquire(signal, (candidate) => commonPrefixLength(candidate.contextTokens, promptTokens));
        try {
            return await this._generateOnSequence(sequence, promptTokens, stopStrings, grammar, request, signal, onText);
        } finally {
            this._pool.release(sequence);
        }
    }

    public async dispose(): Promise<void> {
        this._adaptiveThreads?.dispose();
        await this._nativeLoop?.close();
        await this._context.dispose();
        await this._model.dispose();
        await this._llama.dispose();
    }

    private async _generateOnSequence(
        sequence: LlamaContextSequence, promptTokens: Token[], stopStrings: string[], grammar: LlamaGrammar | null,
        request: GenerationRequest, signal: AbortSignal | undefined, onText: ((text: string, logprobs?: TokenLogprob[]) => void) | undefined
    ): Promise<GenerationResult> {
        const {sampling} = request;
        const startTime = performance.now();

        // Keep the longest prefix this sequence already evaluated; at least one token must be evaluated anew. Not for a
        // seeded sample: the logits of a prompt evaluated whole differ in the last bits from those of a cached prefix plus
        // the rest (llama.cpp's kernels depend on the batch size), enough to change a sampled token, so a seeded
        // request evaluates its whole prompt and the same request gives the same text
        const reproducible = sampling.seed != null && sampling.temperature > 0;
        const reused = reproducible ? 0 : Math.min(commonPrefixLength(sequence.contextTokens, promptTokens), promptTokens.length - 1);
        if (reused < sequence.nextTokenIndex)
            await sequence.eraseContextTokenRanges([{start: reused, end: sequence.nextTokenIndex}]);

        const room = this._context.contextSize - promptTokens.length;
        const maxTokens = Math.min(sampling.maxTokens ?? room, room);
        const matcher = new StopStringMatcher(stopStrings);
        const detokenizer = new IncrementalDetokenizer((tokens, special, last) => this._model.detokenize(tokens, special, last));
        let generatedCount = 0;
        let text = "";
        let finishReason: FinishReason = "stop";
        let firstTokenTime: number | null = null;
        const generated: Token[] = [];
        const topLogprobs = request.logprobs?.topLogprobs;
        // Entries of tokens whose text has not gone out yet; each piece of text carries those it completes
        const pendingLogprobs: TokenLogprob[] = [];
        const logprobs: TokenLogprob[] | undefined = topLogprobs == null ? undefined : [];
        const emit = (piece: string) => {
            if (piece === "") return;
            text += piece;
            const pieceLogprobs = logprobs == null ? undefined : pendingLogprobs.splice(0);
            if (pieceLogprobs != null) logprobs!.push(...pieceLogprobs);
            onText?.(piece, pieceLogprobs);
        };

        const predictor = sequence.tokenPredictor instanceof PromptLookupPredictor && this._lookupApplies(request, grammar) ? sequence.tokenPredictor : null;
        predictor?.activate(promptTokens);
        const predictionsBefore = readPredictionTotals(sequence);

        let barrierMember: BarrierMember | null = null;
        if (maxTokens <= 0) finishReason = "length";
        else try {
          for await (const output of sequence.evaluateWithMetadata(promptTokens.slice(reused), {probabilities: topLogprobs != null}, {
            ...penaltyAndBiasOptions(sampling, generated, maxTokens, this._model, this._vocabularySize),
            temperature: sampling.temperature,
            topP: sampling.topP,
            topK: sampling.topK,
            // Without a seed node-llama-cpp seeds with the time in seconds, so requests within a second would repeat
            seed: sampling.seed ?? crypto.randomInt(0xffff_ffff),
            // its own state per generation: sequences share the grammar, never its progress through it
            grammarEvaluationState: grammar == null ? undefined : new LlamaGrammarEvaluationState({model: this._model, grammar})
        })) {
            firstTokenTime ??= performance.now();
            generatedCount++;
            const token = output.token;
            generated.push(token);
            if (topLogprobs != null)
                pendingLogprobs.push(this._logprobReader.entry(token, (output as {probabilities?: Map<Token, number>}).probabilities, topLogprobs));
            emit(matcher.push(detokenizer.push(token)));

            if (matcher.stopped) break;
            if (generatedCount >= maxTokens) {
                finishReason = "length";
                break;
            }
            if (signal?.aborted) {
                finishReason = "abort";
                break;
            }
            barrierMember ??= this._stepBarrier.join();
            await barrierMember.arrive();
          }
        } finally {
            barrierMember?.leave();
            predictor?.deactivate();
        }
        const predictions = predictor == null ? undefined : predictionCountsBetween(predictionsBefore, readPredictionTotals(sequence));
        if (predictions != null && predictions.accepted + predictions.rejected > 0)
            this._log(`[engine] prompt lookup: ${predictions.accepted} drafted tokens accepted, ${predictions.rejected} rejected, of ${generatedCount} generated`);

        if (!matcher.stopped) {
            emit(matcher.push(detokenizer.flush()));
            const held = matcher.flush();
            // max_tokens ran out inside the grammar's "\n\n\n\n" end marker: the JSON value itself is complete
            if (grammar != null && finishReason === "length" && /^\n+$/.test(held) && isCompleteJson(text))
                finishReason = "stop";
            else
                emit(held);
        }

        const endTime = performance.now();
        return {
            text,
            finishReason,
            promptTokens: promptTokens.length,
            cachedPromptTokens: reused,
            completionTokens: generatedCount,
            promptMs: (firstTokenTime ?? endTime) - startTime,
            generationMs: endTime - (firstTokenTime ?? endTime),
            ...(logprobs == null ? {} : {logprobs}),
            ...(predictions == null ? {} : {predictions})
        };
    }

    /**
     * The same generation on the native loop: the worker decodes and samples on its own; this side turns tokens into
     * text as they arrive and, at a stop string, tells the worker to stop (a token or two it made meanwhile are dropped).
     */
    private async _generateNative(
        loop: NativeTokenLoop, nativeSequence: NativeSequence, promptTokens: Token[], stopStrings: string[],
        request: GenerationRequest, signal: AbortSignal | undefined, onText: ((text: string) => void) | undefined
    ): Promise<GenerationResult> {
        const {sampling} = request;
        const startTime = performance.now();
        const room = this._context.contextSize - promptTokens.length;
        const maxTokens = Math.min(sampling.maxTokens ?? room, room);
        const matcher = new StopStringMatcher(stopStrings);
        const detokenizer = new IncrementalDetokenizer((tokens, special, last) => this._model.detokenize(tokens, special, last));
        let text = "";
        let generatedCount = 0;
        let firstTokenTime: number | null = null;
        const emit = (piece: string) => {
            if (piece === "") return;
            text += piece;
            onText?.(piece);
        };

        let finishReason: FinishReason = "length";
        let cachedPromptTokens = 0;
        let predictions: PredictionCounts | undefined;
        if (maxTokens > 0) {
            const stop = new AbortController();
            const onAbort = () => stop.abort();
            signal?.addEventListener("abort", onAbort, {once: true});
            if (signal?.aborted) stop.abort();
            try {
                const result = await loop.generate({
                    sequence: nativeSequence.id,
                    prompt: promptTokens,
                    // as in _generateOnSequence: a seeded sample evaluates its whole prompt, so it never depends on the cache
                    reusePrefix: !(sampling.seed != null && sampling.temperature > 0),
                    // the worker drafts for greedy requests only, in the same step as the token it verifies them with
                    lookupDraftTokens: this._nativeLookupDraftTokens,
                    maxTokens,
                    sampling: {
                        temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP,
                        seed: sampling.seed ?? crypto.randomInt(0xffff_ffff),
                        repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, penaltyLastN: 0
                    },
                    signal: stop.signal,
                    onToken: (token) => {
                        if (matcher.stopped) return;
                        firstTokenTime ??= performance.now();
                        generatedCount++;
                        emit(matcher.push(detokenizer.push(token as Token)));
                        if (matcher.stopped) stop.abort();
                    }
                });
                nativeSequence.cachedTokens = [...promptTokens, ...result.tokens.slice(0, -1)] as Token[];
                cachedPromptTokens = result.cachedPromptTokens;
                predictions = result.drafts;
                finishReason = matcher.stopped ? "stop" : result.reason === "abort" ? "abort" : result.reason === "stop" ? "stop" : "length";
            } finally {
                signal?.removeEventListener("abort", onAbort);
            }
        }

        if (!matcher.stopped) {
            emit(matcher.push(detokenizer.flush()));
            emit(matcher.flush());
        }
        if (predictions != null && predictions.accepted + predictions.rejected > 0)
            this._log(`[engine] prompt lookup: ${predictions.accepted} drafted tokens accepted, ${predictions.rejected} rejected, of ${generatedCount} generated`);
        const endTime = performance.now();
        return {
            text,
            finishReason,
            promptTokens: promptTokens.length,
            cachedPromptTokens,
            completionTokens: generatedCount,
            promptMs: (firstTokenTime ?? endTime) - startTime,
            generationMs: endTime - (firstTokenTime ?? endTime),
            ...(predictions == null ? {} : {predictions})
        };
    }

    /**
     * Whether prompt lookup may draft for this request: only where verifying a draft picks the very tokens that
     * decoding one at a time would. Not for a seeded sample (the sampler draws a random number for every drafted
     * position too, so the same seed would give another text), not with frequency or presence penalties (the
     * penalty sampler counts the tokens generated so far, which does not yet hold the draft it verifies), and not
     * under a grammar (a JSON value; its state is cloned per draft position, which we leave untried).
     */
    private _lookupApplies(request: GenerationRequest, grammar: LlamaGrammar | null): boolean {
        const {sampling} = request;
        return grammar == null && sampling.frequencyPenalty === 0 && sampling.presencePenalty === 0
            && !(sampling.seed != null && sampling.temperature > 0);
    }

    private _renderPrompt(request: GenerationRequest, grammar: LlamaGrammar | null): {tokens: Token[], stopStrings: string[]} {
        // node-llama-cpp's JSON grammars end the value with "\n\n\n\n" (which JSON's own whitespace and strings never
        // hold) and stop there; the matcher drops it, so the text ends at the closing bracket
        const grammarStops = (grammar?.stopGenerationTriggers ?? [])
            .map(textOfTrigger)
            .filter((stop): stop is string => stop != null && stop !== "");
        const userStops = [...request.sampling.stop, ...grammarStops];
        if (request.kind === "completion") {
            const tokens = this._model.tokenize(request.prompt);
            const bos = this._model.tokens.bos;
            if (this._model.tokens.shouldPrependBosToken && bos != null && tokens[0] !== bos) tokens.unshift(bos);
            return {tokens, stopStrings: userStops};
        }

        const state = this._chatWrapper.generateContextState({chatHistory: toChatHistory(request.messages)});
        const tokens = state.contextText.tokenize(this._model.tokenizer);
        // Under a grammar the model cannot end its turn in text, and a template's text trigger could only match
        // inside a JSON string, cutting the value short
        if (grammar != null)
            return {tokens, stopStrings: [...new Set(userStops)]};

        // Token-level triggers (EOS, a special token) end generation through the model's end-of-generation check;
        // plain-text triggers become stop strings
        const textStops = state.stopGenerationTriggers
            .filter((trigger) => trigger.values.every((value) => typeof value === "string"))
            .map((trigger) => trigger.toString())
            .filter((stop) => stop !== "");
        return {tokens, stopStrings: [...new Set([...userStops, ...textStops])]};
    }
}

/**
 * What the native loop runs: plain sampling (temperature, top-k, top-p, seed), stop strings and max_tokens. JSON
 * schemas, logprobs, logit_bias and OpenAI's penalties keep node-llama-cpp's sampler, whose behaviour the API tests pin.
 */
function isNativeRequest(request: GenerationRequest, grammar: LlamaGrammar | null): boolean {
    const {sampling} = request;
    return grammar == null && request.logprobs == null && sampling.logitBias.size === 0 &&
        sampling.frequencyPenalty === 0 && sampling.presencePenalty === 0;
}

/** node-llama-cpp's message when llama.cpp's `llama_adapter_lora_init` fails (AddonModel.cpp). */
function isLoraLoadError(error: unknown): boolean {
    return error instanceof Error && /LoRA adapter/i.test(error.message);
}

/** A grammar's stop trigger as plain text, or null when it holds a special token, which text cannot match. */
function textOfTrigger(trigger: LlamaGrammar["stopGenerationTriggers"][number]): string | null {
    const values = typeof trigger === "string" ? [trigger] : isLlamaText(trigger) ? trigger.values : trigger;
    return values.every((value) => typeof value === "string") ? values.join("") : null;
}

function isCompleteJson(text: string): boolean {
    try {
        JSON.parse(text);
        return true;
    } catch {
        // a prefix cut short by max_tokens: not complete
        return false;
    }
}

/** The fewest tokens the request's text can take, from its length alone (0 when nothing is known). */
function fewestTokensFor(request: GenerationRequest, longestTokenLength: number): number {
    const textLength = request.kind === "chat"
        ? request.messages.reduce((sum, message) => sum + message.content.length, 0)
        : request.prompt.length;
    return Math.ceil(textLength / longestTokenLength);
}

function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
    let length = 0;
    while (length < a.length && length < b.length && a[length] === b[length]) length++;
    return length;
}
