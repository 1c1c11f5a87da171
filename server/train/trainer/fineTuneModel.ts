import fs from "node:fs";
import path from "node:path";
import type {ChatWrapper} from "node-llama-cpp";
import type {TrainingTurn} from "../data/TrainingExample";
import type {LlamaBinaries} from "../llama/findLlamaBinaries";
import {LlamaTrainingLibrary, type NativePointer} from "../llama/LlamaTrainingLibrary";
import {GgmlOptOptimizerType, GgmlTypeId, LlamaFlashAttnType, LlamaFtypeAllF32, LlamaLoadMode} from "../llama/llamaStructs";
import {readGgufFileTypeSync} from "./restoreGgufMetadata";
import {AssistantLossMask, LossMaskNotAppliedError} from "./AssistantLossMask";
import {tokenizeTrainingTurns} from "./tokenizeTrainingTurns";
import type {PromptFormat} from "../../engine/LlamaEngine";

export class FineTuneError extends Error {
    override name = "FineTuneError";
}

export type FineTuneOptions = {
    modelPath: string,
    outputPath: string,
    examples: readonly (readonly TrainingTurn[])[],
    /**
     * Held out: packed into windows of their own after the training windows, evaluated (forward only) after each
     * epoch's training for validationLoss. A set shorter than one window is repeated until it fills one.
     */
    validationExamples?: readonly (readonly TrainingTurn[])[],
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
    binaries?: LlamaBinaries,
    /** How the examples are laid out: as the engine's option of that name (see resolveTrainingChatWrapper). */
    promptFormat?: PromptFormat
};

export type FineTuneEpochReport = {
    epoch: number,
    /** Mean cross-entropy per trained label token. */
    loss: number,
    lossUncertainty: number,
    /** Share of trained label tokens the model predicted (greedy). */
    accuracy: number,
    learningRate: number,
    /** Tokens run through forward and backward passes (every position of every training window). */
    trainedTokens: number,
    /** The training part of the epoch; the validation pass is not counted here nor in tokensPerSecond. */
    seconds: number,
    tokensPerSecond: number,
    /** Mean cross-entropy per trained label token of the validation windows, after this epoch's training; null without them. */
    validationLoss: number | null,
    validationAccuracy: number | null
};

export type FineTuneProgress =
    /**
     * windows: training windows; tokens: the training examples' tokens; trainedLabelShare: of the training windows' labels;
     * promptFormat: the chat template the examples were laid out with (node-llama-cpp's wrapper name), or "belle"
     * (absent from other trainers' logs).
     */
    /** `repeated`: the examples gave fewer tokens than one window and were repeated to fill it (a tiny sample set). */
    | {type: "dataset", windows: number, validationWindows: number, contextTokens: number, tokens: number, trainedLabelShare: number, promptFormat?: string, repeated?: boolean}
    /** The base was not F32 and was converted for training (the output is F32). */
    | {type: "converted", from: string, fileType: "F32"}
    /**
     * After each training window (none for validation): loss and accuracy are the epoch's running means so far, per
     * trained label token as in the epoch report (the last batch's are the epoch's), null while the windows so far hold
     * no trained label (a prompt longer than a window); elapsedSeconds since the epoch began.
     */
    | {type: "batch", epoch: number, batch: number, batches: number, loss: number | null, accuracy: number | null, elapsedSeconds: number}
    | ({type: "epoch"} & FineTuneEpochReport);

/**
 * Full-parameter fine-tuning of an F32/F16 GGUF with llama.cpp's own optimizer (AdamW), as llama-finetune does:
 * the examples are packed into one token stream, cut into windows of contextTokens, trained on next-token loss
 * (on assistant tokens only by default, see AssistantLossMask), and the model is written back as a GGUF (to a
 * temp file, then renamed). llama.cpp does not train token_embd (a FIXME in llama_context::opt_init).
 * Validation examples get windows of their own after the training ones, in the same dataset: llama_opt_epoch trains
 * on the windows before its idata_split and then evaluates the rest, forward only, masked as the training ones.
 *
 * Examples are laid out with `chatWrapper` (the model's chat template, as the engine uses it: resolveTrainingChatWrapper),
 * or in BELLE's training format when it is null, so that the model learns the prompts it will be sent at chat time.
 *
 * Blocks the thread for each epoch: run it in a worker process.
 */
export function fineTuneModel(
    {modelPath, outputPath, examples, validationExamples = [], contextTokens = 256, epochs = 2, learningRate = 1e-3, minLearningRate = learningRate,
        weightDecay = 0, threads = 2, lossOn = "assistant", binaries}: FineTuneOptions,
    {onProgress, signal, chatWrapper = null}: {onProgress?(progress: FineTuneProgress): void, signal?: AbortSignal, chatWrapper?: ChatWrapper | null} = {}
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
        // A sample set of a few examples trains too (the walkthrough's): repeated until it fills one window
        const trainStream = packExamples(library, vocab, examples, contextTokens, {repeatToFill: true, chatWrapper});
        const validationStream = validationExamples.length === 0 ? null
            : packExamples(library, vocab, validationExamples, contextTokens, {repeatToFill: true, chatWrapper});
        const trainWindows = trainStream.windows;
        const validationWindows = validationStream?.windows ?? 0;
        const windows = trainWindows + validationWindows;
        const joined = <Values extends Int32Array | Uint8Array>(trainPart: Values, validationPart: Values | undefined, all: Values) => {
            all.set(trainPart);
            if (validationPart != null) all.set(validationPart, trainPart.length);
            return all;
        };
        const inputs = joined(trainStream.inputs, validationStream?.inputs, new Int32Array(windows * contextTokens));
        const labels = joined(trainStream.labels, validationStream?.labels, new Int32Array(windows * contextTokens));
        const labelTrainable = lossOn === "assistant"
            ? joined(trainStream.labelTrainable, validationStream?.labelTrainable, new Uint8Array(windows * contextTokens))
            : new Uint8Array(windows * contextTokens).fill(1);
        const mask = new AssistantLossMask(library, labelTrainable, contextTokens, windows, trainWindows, library.llama_vocab_n_tokens(vocab));
        const evalCallback = library.registerEvalCallback((tensor, ask) => mask.onEvalCallback(tensor, ask));
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

        const createDataset = (datasetWindows: number) => {
            const created = library.ggml_opt_dataset_init(GgmlTypeId.I32, GgmlTypeId.I32, contextTokens, contextTokens, datasetWindows, 1);
            if (created == null)
                throw new FineTuneError("ggml could not allocate the dataset");
            cleanups.push(() => library.ggml_opt_dataset_free(created));
            const values = datasetWindows * contextTokens;
            library.ggml_backend_tensor_set(library.ggml_opt_dataset_data(created), inputs.subarray(0, values), 0, values * inputs.BYTES_PER_ELEMENT);
            library.ggml_backend_tensor_set(library.ggml_opt_dataset_labels(created), labels.subarray(0, values), 0, values * labels.BYTES_PER_ELEMENT);
            return created;
        };
        const dataset = createDataset(windows);
        report({type: "dataset", windows: trainWindows, validationWindows, contextTokens, tokens: trainStream.tokenCount, repeated: trainStream.repeated,
            trainedLabelShare: mask.trainedLabelShare, promptFormat: chatWrapper?.wrapperName ?? "belle"});

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
        const validationResult = validationWindows === 0 ? null : library.ggml_opt_result_init();
        if (validationResult != null) cleanups.push(() => library.ggml_opt_result_free(validationResult));
        let epoch = 0;
        let epochStartMs = 0;
        let trainedUntilMs = 0;
        const epochCallback = library.registerEpochCallback((train, optContext, batchResult, batch, batches) => {
            mask.onEvaluated(optContext, train, batch);
            if (!train) return;
            const nowMs = performance.now();
            if (batch === batches) trainedUntilMs = nowMs;
            // Three small native reads per window (ggml_opt_result_loss sums the batch losses so far)
            const {loss, accuracy} = library.readResult(batchResult);
            const share = mask.trainedLabelShareOf(0, batch);
            report({type: "batch", epoch, batch, batches, loss: share > 0 ? loss / share : null, accuracy: share > 0 ? accuracy / share : null,
                elapsedSeconds: (nowMs - epochStartMs) / 1000});
        });
        cleanups.push(() => epochCallback.unregister());

        if (lossOn === "assistant") {
            // A forward-only pass over a one-window copy of window 0 makes llama.cpp hand us its optimizer context, so
            // that the first training step is masked too. idata_split 0 trains nothing: llama_opt_epoch always trains
            // on windows [0, idata_split) of its dataset, so an evaluation of a later window of the full dataset would
            // first train on the windows before it, unmasked
            const probe = createDataset(1);
            library.llama_opt_epoch(context, probe, null, result, 0, null, epochCallback.pointer);
            if (!mask.hasOptimizerContext)
                throw new LossMaskNotAppliedError("llama_opt_epoch did not call back after its evaluation pass");
        }

        const reports: FineTuneEpochReport[] = [];
        for (; epoch < epochs; epoch++) {
            signal?.throwIfAborted();
            const alpha = epochs > 1 ? learningRate + (minLearningRate - learningRate) * epoch / (epochs - 1) : learningRate;
            setLearningRate(alpha);
            library.ggml_opt_result_reset(result);
            if (validationResult != null) library.ggml_opt_result_reset(validationResult);
            const maskedBefore = mask.maskedWindows;
            const maskedGradientsBefore = mask.maskedGradients;
            mask.expectWindow(0);
            epochStartMs = performance.now();
            library.llama_opt_epoch(context, dataset, result, validationResult, trainWindows, epochCallback.pointer,
                validationResult == null ? null : epochCallback.pointer);
            const seconds = (trainedUntilMs - epochStartMs) / 1000;
            if (mask.failure != null)
                throw new LossMaskNotAppliedError(mask.failure);
            // Training and validation windows alike: a validation window left unmasked would score the prompts too
            if (lossOn === "assistant" && mask.maskedWindows - maskedBefore !== windows)
                throw new LossMaskNotAppliedError(`the loss mask reached ${mask.maskedWindows - maskedBefore} of ${windows} windows: ` +
                    "this llama.cpp no longer runs cb_eval in its training path");
            // Evaluation windows have no backward pass; a training window trained on the prompts' gradient would be wrong silently
            if (lossOn === "assistant" && mask.maskedGradients - maskedGradientsBefore !== trainWindows)
                throw new LossMaskNotAppliedError(`the loss gradient was masked in ${mask.maskedGradients - maskedGradientsBefore} of ${trainWindows} ` +
                    "training windows: this llama.cpp no longer runs cb_eval on its backward pass");

            // ggml averages over every label row; masked rows add 0 to the loss and never match a prediction
            const {loss, lossUncertainty, accuracy} = library.readResult(result);
            const share = mask.trainedLabelShare;
            const trainedTokens = trainWindows * contextTokens;
            const validation = validationResult == null ? null : library.readResult(validationResult);
            const validationShare = mask.validationLabelShare;
            const epochReport: FineTuneEpochReport = {epoch, loss: loss / share, lossUncertainty: lossUncertainty / share, accuracy: accuracy / share,
                learningRate: alpha, trainedTokens, seconds, tokensPerSecond: trainedTokens / seconds,
                validationLoss: validation != null && validationShare > 0 ? validation.loss / validationShare : null,
                validationAccuracy: validation != null && validationShare > 0 ? validation.accuracy / validationShare : null};
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

/**
 * Packs the examples into one stream, cut into windows of contextTokens inputs with next-token labels; the tail that
 * fills no window is dropped. repeatToFill: a stream shorter than one window is repeated whole until it fills one.
 */
function packExamples(library: LlamaTrainingLibrary, vocab: NativePointer, examples: readonly (readonly TrainingTurn[])[], contextTokens: number,
    {repeatToFill, chatWrapper}: {repeatToFill: boolean, chatWrapper: ChatWrapper | null}) {
    const tokens: number[] = [];
    const trainable: boolean[] = [];
    for (const turns of examples) {
        const example = tokenizeTrainingTurns(library, vocab, turns, chatWrapper);
        tokens.push(...example.tokens);
        trainable.push(...example.trainable);
    }
    const tokenCount = tokens.length;
    while (repeatToFill && tokenCount > 0 && tokens.length < contextTokens + 1) {
        tokens.push(...tokens.slice(0, tokenCount));
        trainable.push(...trainable.slice(0, tokenCount));
    }
    const windows = Math.floor((tokens.length - 1) / contextTokens);
    if (windows < 1)
        throw new FineTuneError(`the examples give ${tokens.length} tokens, fewer than one window of ${contextTokens + 1}`);

    return {
        windows,
        tokenCount,
        repeated: tokens.length > tokenCount,
        inputs: Int32Array.from(tokens.slice(0, windows * contextTokens)),
        labels: Int32Array.from(tokens.slice(1, windows * contextTokens + 1)),
        labelTrainable: Uint8Array.from(trainable.slice(1, windows * contextTokens + 1), (value) => value ? 1 : 0)
    };
}
