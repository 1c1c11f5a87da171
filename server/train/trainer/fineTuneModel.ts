import fs from "node:fs";
import path from "node:path";
import type {TrainingTurn} from "../data/TrainingExample";
import type {LlamaBinaries} from "../llama/findLlamaBinaries";
import {LlamaTrainingLibrary, type NativePointer} from "../llama/LlamaTrainingLibrary";
import {GgmlOptOptimizerType, GgmlTypeId, LlamaFlashAttnType, LlamaFtypeAllF32, LlamaLoadMode} from "../llama/llamaStructs";
import {readGgufFileTypeSync} from "./restoreGgufMetadata";
import {AssistantLossMask, LossMaskNotAppliedError} from "./AssistantLossMask";
import {tokenizeTrainingTurns} from "./tokenizeTrainingTurns";

export class FineTuneError extends Error {
    override name = "FineTuneError";
}

export type FineTuneOptions = {
    modelPath: string,
    outputPath: string,
    examples: readonly (readonly TrainingTurn[])[],
    /**
     * Tokens per training window; also the context the optimizer graph is built for. llama.cpp pads a context to
     * a multiple of 256, and the window must equal the context, so use a multiple of 256.
     */
    contextTokens?: number,
    epochs?: number,
    learningRate?: number,
    /** Learning rate at the last epoch (linear decay from learningRate), as llama-finetune's -lr-min. */
    minLearningRate?: number,
    weightDecay?: number,
    threads?: number,
    /** "assistant": BELLE's loss, on assistant tokens and their EOS only; "all": every token, as llama-finetune. */
    lossOn?: "assistant" | "all",
    /** The llama.cpp build to use; node-llama-cpp's prebuilt CPU build by default. */
    binaries?: LlamaBinaries
};

export type FineTuneEpochReport = {
    epoch: number,
    /** Mean cross-entropy per trained label token. */
    loss: number,
    lossUncertainty: number,
    /** Share of trained label tokens the model predicted (greedy). */
    accuracy: number,
    learningRate: number,
    /** Tokens run through forward and backward passes (every position of every window). */
    trainedTokens: number,
    seconds: number,
    tokensPerSecond: number
};

export type FineTuneProgress =
    | {type: "dataset", windows: number, contextTokens: number, tokens: number, trainedLabelShare: number}
    /** The base was not F32 and was converted for training (the output is F32). */
    | {type: "converted", from: string, fileType: "F32"}
    | {type: "batch", epoch: number, batch: number, batches: number}
    | ({type: "epoch"} & FineTuneEpochReport);

/**
 * Full-parameter fine-tuning of an F32/F16 GGUF with llama.cpp's own optimizer (AdamW), as llama-finetune does:
 * the examples are packed into one token stream, cut into windows of contextTokens, trained on next-token loss
 * (on assistant tokens only by default, see AssistantLossMask), and the model is written back as a GGUF (to a
 * temp file, then renamed). llama.cpp does not train token_embd (a FIXME in llama_context::opt_init).
 *
 * Blocks the thread for each epoch: run it in a worker process.
 */
export function fineTuneModel(
    {modelPath, outputPath, examples, contextTokens = 256, epochs = 2, learningRate = 1e-3, minLearningRate = learningRate,
        weightDecay = 0, threads = 2, lossOn = "assistant", binaries}: FineTuneOptions,
    {onProgress, signal}: {onProgress?(progress: FineTuneProgress): void, signal?: AbortSignal} = {}
): FineTuneEpochReport[] {
    const report = (progress: FineTuneProgress) => {
        try {
            onProgress?.(progress);
        } catch (error) {
            // A listener's failure must not unwind through native frames
            process.emitWarning(`fine-tune progress listener threw: ${String(error)}`);
        }
    };
    const library = new LlamaTrainingLibrary(binaries);
    const cleanups: (() => void)[] = [];
    try {
        const modelParams = library.llama_model_default_params();
        // Weights must live in writable memory, not an mmap of the file: the optimizer updates them in place
        modelParams.load_mode = LlamaLoadMode.none;
        modelParams.n_gpu_layers = 0;
        // Extra buffer types (AMX, repacked layouts) hold weights in forms the backward ops cannot read: with them,
        // an F16 model on an AMX CPU aborts in ggml_backend_sched (no backend for a node)
        modelParams.use_extra_bufts = false;
        // llama.cpp trains F32 tensors only: an F16 or quantized base is first written out as F32 beside the output
        let trainedBase = modelPath;
        let fileType: number | null;
        try {
            fileType = readGgufFileTypeSync(modelPath);
        } catch (error) {
            throw new FineTuneError(`llama.cpp could not load ${modelPath}: ${(error as Error).message}`);
        }
        if (fileType !== LlamaFtypeAllF32) {
            trainedBase = `${outputPath}.base-f32.${process.pid}.tmp`;
            const quantizeParams = library.llama_model_quantize_default_params();
            quantizeParams.ftype = LlamaFtypeAllF32;
            quantizeParams.allow_requantize = true;
            quantizeParams.nthread = threads;
            const converted = trainedBase;
            cleanups.push(() => fs.rmSync(converted, {force: true}));
            if (library.llama_model_quantize(modelPath, trainedBase, quantizeParams) !== 0)
                throw new FineTuneError(`llama.cpp could not convert ${modelPath} to F32 for training`);
            report({type: "converted", from: modelPath, fileType: "F32"});
        }
        const model = library.llama_model_load_from_file(trainedBase, modelParams);
        if (model == null)
            throw new FineTuneError(`llama.cpp could not load ${modelPath}`);
        cleanups.push(() => library.llama_model_free(model));

        const vocab = library.llama_model_get_vocab(model);
        const stream = packExamples(library, vocab, examples, contextTokens);
        const mask = new AssistantLossMask(library, lossOn === "assistant" ? stream.trainable : stream.trainable.map(() => true),
            contextTokens, stream.windows, library.llama_vocab_n_tokens(vocab));
        const evalCallback = library.registerEvalCallback((_tensor, ask) => mask.onEvalCallback(ask));
        cleanups.push(() => evalCallback.unregister());

        const contextParams = library.llama_context_default_params();
        Object.assign(contextParams, {
            n_ctx: contextTokens, n_batch: contextTokens, n_ubatch: contextTokens,
            n_threads: threads, n_threads_batch: threads,
            // OUT_PROD has no F16 backward on CPU, so llama-finetune forces an F32 KV cache; flash attention has no backward
            type_k: GgmlTypeId.F32, type_v: GgmlTypeId.F32, flash_attn_type: LlamaFlashAttnType.disabled,
            cb_eval: lossOn === "assistant" ? evalCallback.pointer : null
        });
        const context = library.llama_init_from_model(model, contextParams);
        if (context == null)
            throw new FineTuneError("llama.cpp could not create a training context");
        cleanups.push(() => library.llama_free(context));
        if (library.llama_n_ctx(context) !== contextTokens)
            throw new FineTuneError(`llama.cpp made a context of ${library.llama_n_ctx(context)} tokens, not ${contextTokens}: use a multiple of 256`);
        library.applyThreadCount(context, library.llama_vocab_bos(vocab));

        const dataset = library.ggml_opt_dataset_init(GgmlTypeId.I32, GgmlTypeId.I32, contextTokens, contextTokens, stream.windows, 1);
        if (dataset == null)
            throw new FineTuneError("ggml could not allocate the dataset");
        cleanups.push(() => library.ggml_opt_dataset_free(dataset));
        library.ggml_backend_tensor_set(library.ggml_opt_dataset_data(dataset), stream.inputs, 0, stream.inputs.byteLength);
        library.ggml_backend_tensor_set(library.ggml_opt_dataset_labels(dataset), stream.labels, 0, stream.labels.byteLength);
        report({type: "dataset", windows: stream.windows, contextTokens, tokens: stream.tokenCount, trainedLabelShare: mask.trainedLabelShare});

        const optimizerParams = library.allocateOptimizerParams();
        cleanups.push(() => optimizerParams.free());
        const setLearningRate = (alpha: number) => optimizerParams.set({
            adamw: {alpha, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: weightDecay},
            sgd: {alpha, wd: weightDecay}
        });
        setLearningRate(learningRate);
        library.llama_opt_init(context, model, {
            n_ctx_train: 0,
            param_filter: library.llama_opt_param_filter_all,
            param_filter_ud: null,
            get_opt_pars: library.ggml_opt_get_constant_optimizer_params,
            get_opt_pars_ud: optimizerParams.pointer,
            optimizer_type: GgmlOptOptimizerType.adamw
        });

        const result = library.ggml_opt_result_init();
        cleanups.push(() => library.ggml_opt_result_free(result));
        let epoch = 0;
        const epochCallback = library.registerEpochCallback((train, optContext, _result, batch, batches) => {
            mask.onEvaluated(optContext, batch);
            if (train) report({type: "batch", epoch, batch, batches});
        });
        cleanups.push(() => epochCallback.unregister());

        if (lossOn === "assistant") {
            // A forward-only pass over the last window makes llama.cpp hand us its optimizer context, so that the
            // first training step is masked too; it changes no weight and no optimizer state
            library.llama_opt_epoch(context, dataset, null, result, stream.windows - 1, null, epochCallback.pointer);
            if (!mask.hasOptimizerContext)
                throw new LossMaskNotAppliedError("llama_opt_epoch did not call back after its evaluation pass");
        }

        const reports: FineTuneEpochReport[] = [];
        for (; epoch < epochs; epoch++) {
            signal?.throwIfAborted();
            const alpha = epochs > 1 ? learningRate + (minLearningRate - learningRate) * epoch / (epochs - 1) : learningRate;
            setLearningRate(alpha);
            library.ggml_opt_result_reset(result);
            const maskedBefore = mask.maskedWindows;
            mask.expectWindow(0);
            const startMs = performance.now();
            library.llama_opt_epoch(context, dataset, result, null, stream.windows, epochCallback.pointer, null);
            const seconds = (performance.now() - startMs) / 1000;
            if (mask.failure != null)
                throw new LossMaskNotAppliedError(mask.failure);
            if (lossOn === "assistant" && mask.maskedWindows - maskedBefore !== stream.windows)
                throw new LossMaskNotAppliedError(`the loss mask reached ${mask.maskedWindows - maskedBefore} of ${stream.windows} windows: ` +
                    "this llama.cpp no longer runs cb_eval in its training path");

            // ggml averages over every label row; masked rows add 0 to the loss and never match a prediction
            const {loss, lossUncertainty, accuracy} = library.readResult(result);
            const share = mask.trainedLabelShare;
            const trainedTokens = stream.windows * contextTokens;
            const epochReport = {epoch, loss: loss / share, lossUncertainty: lossUncertainty / share, accuracy: accuracy / share,
                learningRate: alpha, trainedTokens, seconds, tokensPerSecond: trainedTokens / seconds};
            reports.push(epochReport);
            report({type: "epoch", ...epochReport});
        }

        signal?.throwIfAborted();
        const temporaryPath = path.join(path.dirname(outputPath), `.${path.basename(outputPath)}.${process.pid}.partial`);
        library.llama_model_save_to_file(model, temporaryPath);
        if (!fs.existsSync(temporaryPath))
            throw new FineTuneError(`llama.cpp did not write ${temporaryPath}`);
        fs.renameSync(temporaryPath, outputPath);
        return reports;
    } finally {
        for (const cleanup of cleanups.reverse())
            cleanup();
    }
}

/** Packs the examples into one stream, cut into windows of contextTokens inputs with next-token labels. */
function packExamples(library: LlamaTrainingLibrary, vocab: NativePointer, examples: FineTuneOptions["examples"], contextTokens: number) {
    const tokens: number[] = [];
    const trainable: boolean[] = [];
    for (const turns of examples) {
        const example = tokenizeTrainingTurns(library, vocab, turns);
        tokens.push(...example.tokens);
        trainable.push(...example.trainable);
    }
    const windows = Math.floor((tokens.length - 1) / contextTokens);
    if (windows < 1)
        throw new FineTuneError(`the examples give ${tokens.length} tokens, fewer than one window of ${contextTokens + 1}`);

    return {
        windows,
        tokenCount: tokens.length,
        trainable,
        inputs: Int32Array.from(tokens.slice(0, windows * contextTokens)),
        labels: Int32Array.from(tokens.slice(1, windows * contextTokens + 1))
    };
}
