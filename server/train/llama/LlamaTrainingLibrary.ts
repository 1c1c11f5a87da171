import koffi from "koffi";
import {findLlamaBinaries, type LlamaBinaries} from "./findLlamaBinaries";
import {LlamaLibrary, type NativePointer} from "./LlamaLibrary";
import {ggmlOptOptimizerParams, llamaModelQuantizeParams, llamaOptParams} from "./llamaStructs";

export type {LlamaBatch, LlamaContextParams, LlamaModelParams, NativePointer} from "./LlamaLibrary";

/** What `ggml_opt_epoch_callback` receives, minus the opaque handles. */
export type EpochCallback = (train: boolean, optContext: NativePointer, result: NativePointer, batchIndex: number, batchCount: number, startUs: number) => void;

/**
 * llama.cpp's C API for training, bound with koffi to the libraries node-llama-cpp ships, so that a user needs
 * no compiler. Load it once per process, in a worker: these calls block the thread for the whole epoch.
 */
export class LlamaTrainingLibrary extends LlamaLibrary {
    public readonly llama_model_save_to_file: (model: NativePointer, path: string) => void;
    public readonly llama_model_quantize_default_params: () => LlamaModelQuantizeParams;
    /** 0 on success. */
    public readonly llama_model_quantize: (inputPath: string, outputPath: string, params: LlamaModelQuantizeParams) => number;
    public readonly llama_n_ctx: (context: NativePointer) => number;
    public readonly llama_vocab_bos: (vocab: NativePointer) => number;
    public readonly llama_vocab_eos: (vocab: NativePointer) => number;
    /** End of turn, as a chat template's SpecialToken("EOT"); -1 when the vocabulary has none (as sep and nl). */
    public readonly llama_vocab_eot: (vocab: NativePointer) => number;
    public readonly llama_vocab_sep: (vocab: NativePointer) => number;
    public readonly llama_vocab_nl: (vocab: NativePointer) => number;
    public readonly llama_tokenize: (vocab: NativePointer, text: Buffer, textBytes: number, tokens: Int32Array,
        maxTokens: number, addSpecial: boolean, parseSpecial: boolean) => number;
    public readonly llama_opt_init: (context: NativePointer, model: NativePointer, params: LlamaOptParams) => void;
    public readonly llama_opt_epoch: (context: NativePointer, dataset: NativePointer, resultTrain: NativePointer | null,
        resultEval: NativePointer | null, splitIndex: number, callbackTrain: NativePointer | null, callbackEval: NativePointer | null) => void;
    public readonly ggml_opt_dataset_init: (typeData: number, typeLabel: number, elementsPerDatapoint: number,
        elementsPerLabel: number, datapointCount: number, datapointsPerShard: number) => NativePointer | null;
    public readonly ggml_opt_dataset_free: (dataset: NativePointer) => void;
    public readonly ggml_opt_dataset_data: (dataset: NativePointer) => NativePointer;
    public readonly ggml_opt_dataset_labels: (dataset: NativePointer) => NativePointer;
    public readonly ggml_backend_tensor_set: (tensor: NativePointer, data: Int32Array, offsetBytes: number, sizeBytes: number) => void;
    public readonly ggml_backend_tensor_set_f32: (tensor: NativePointer, data: Float32Array, offsetBytes: number, sizeBytes: number) => void;
    public readonly ggml_nbytes: (tensor: NativePointer) => number;
    /** A node's op as ggml names it ("CROSS_ENTROPY_LOSS_BACK"; the unary op's name for GGML_OP_UNARY). */
    public readonly ggml_op_desc: (tensor: NativePointer) => string;
    public readonly ggml_opt_labels: (optContext: NativePointer) => NativePointer;
    public readonly ggml_opt_result_init: () => NativePointer;
    public readonly ggml_opt_result_free: (result: NativePointer) => void;
    public readonly ggml_opt_result_reset: (result: NativePointer) => void;
    public readonly ggml_opt_result_ndata: (result: NativePointer, count: BigInt64Array) => void;
    public readonly ggml_opt_result_loss: (result: NativePointer, loss: Float64Array, uncertainty: Float64Array | null) => void;
    public readonly ggml_opt_result_accuracy: (result: NativePointer, accuracy: Float64Array, uncertainty: Float64Array | null) => void;

    /** Addresses of native functions passed as callbacks, so the optimizer never calls into JS. */
    public readonly llama_opt_param_filter_all: NativePointer;
    public readonly ggml_opt_get_constant_optimizer_params: NativePointer;

    private static readonly _evalCallbackType = koffi.proto("ggml_backend_sched_eval_callback", "bool", ["void *", "bool", "void *"]);
    private static readonly _epochCallbackType = koffi.proto("ggml_opt_epoch_callback",
        "void", ["bool", "void *", "void *", "void *", "int64_t", "int64_t", "int64_t"]);

    public constructor(binaries: LlamaBinaries = findLlamaBinaries()) {
        super(binaries);
        const llama = this.llamaLibrary;
        const ggmlBase = this.ggmlBaseLibrary;
        this.llama_model_save_to_file = llama.func("void llama_model_save_to_file(void * model, const char * path)");
        this.llama_model_quantize_default_params = llama.func("llama_model_quantize_default_params", llamaModelQuantizeParams, []);
        this.llama_model_quantize = llama.func("llama_model_quantize", "uint32_t", ["const char *", "const char *", koffi.pointer(llamaModelQuantizeParams)]);
        this.llama_n_ctx = llama.func("uint32_t llama_n_ctx(void * ctx)");
        this.llama_vocab_bos = llama.func("int32_t llama_vocab_bos(void * vocab)");
        this.llama_vocab_eos = llama.func("int32_t llama_vocab_eos(void * vocab)");
        this.llama_vocab_eot = llama.func("int32_t llama_vocab_eot(void * vocab)");
        this.llama_vocab_sep = llama.func("int32_t llama_vocab_sep(void * vocab)");
        this.llama_vocab_nl = llama.func("int32_t llama_vocab_nl(void * vocab)");
        this.llama_tokenize = llama.func("int32_t llama_tokenize(void * vocab, const uint8_t * text, int32_t text_len, " +
            "_Out_ int32_t * tokens, int32_t n_tokens_max, bool add_special, bool parse_special)");
        this.llama_opt_init = llama.func("llama_opt_init", "void", ["void *", "void *", llamaOptParams]);
        this.llama_opt_epoch = llama.func("void llama_opt_epoch(void * ctx, void * dataset, void * result_train, " +
            "void * result_eval, int64_t idata_split, void * callback_train, void * callback_eval)");
        this.ggml_opt_dataset_init = ggmlBase.func("void * ggml_opt_dataset_init(int type_data, int type_label, " +
            "int64_t ne_datapoint, int64_t ne_label, int64_t ndata, int64_t ndata_shard)");
        this.ggml_opt_dataset_free = ggmlBase.func("void ggml_opt_dataset_free(void * dataset)");
        this.ggml_opt_dataset_data = ggmlBase.func("void * ggml_opt_dataset_data(void * dataset)");
        this.ggml_opt_dataset_labels = ggmlBase.func("void * ggml_opt_dataset_labels(void * dataset)");
        this.ggml_backend_tensor_set = ggmlBase.func("void ggml_backend_tensor_set(void * tensor, const int32_t * data, size_t offset, size_t size)");
        this.ggml_backend_tensor_set_f32 = ggmlBase.func("ggml_backend_tensor_set", "void", ["void *", "const float *", "size_t", "size_t"]);
        this.ggml_nbytes = ggmlBase.func("size_t ggml_nbytes(void * tensor)");
        this.ggml_op_desc = ggmlBase.func("const char * ggml_op_desc(void * tensor)");
        this.ggml_opt_labels = ggmlBase.func("void * ggml_opt_labels(void * opt_ctx)");
        this.ggml_opt_result_init = ggmlBase.func("void * ggml_opt_result_init(void)");
        this.ggml_opt_result_free = ggmlBase.func("void ggml_opt_result_free(void * result)");
        this.ggml_opt_result_reset = ggmlBase.func("void ggml_opt_result_reset(void * result)");
        this.ggml_opt_result_ndata = ggmlBase.func("void ggml_opt_result_ndata(void * result, _Out_ int64_t * ndata)");
        this.ggml_opt_result_loss = ggmlBase.func("void ggml_opt_result_loss(void * result, _Out_ double * loss, _Out_ double * unc)");
        this.ggml_opt_result_accuracy = ggmlBase.func("void ggml_opt_result_accuracy(void * result, _Out_ double * accuracy, _Out_ double * unc)");

        this.llama_opt_param_filter_all = llama.symbol("llama_opt_param_filter_all") as NativePointer;
        this.ggml_opt_get_constant_optimizer_params = ggmlBase.symbol("ggml_opt_get_constant_optimizer_params") as NativePointer;
    }

    /** A native `ggml_opt_optimizer_params` the optimizer reads before each step; rewrite it to change the rate. */
    public allocateOptimizerParams(): OptimizerParamsBlock {
        const pointer = koffi.alloc(ggmlOptOptimizerParams, 1) as NativePointer;
        return {
            pointer,
            set: (params) => koffi.encode(pointer, ggmlOptOptimizerParams, params),
            free: () => koffi.free(pointer)
        };
    }

    /**
     * Decodes one token so that llama.cpp hands its thread count (and threadpool) to the CPU backend. Only
     * llama_decode does that: the training path computes on the backend as it is, which by default runs
     * GGML_DEFAULT_N_THREADS (4) threads whatever n_threads says; on fewer cores they spin in ggml_barrier
     * (86% of the time on 2 busy cores, 10× slower). llama_opt_epoch clears the KV cache before each window.
     */
    public applyThreadCount(context: NativePointer, token: number) {
        const tokens = koffi.alloc("int32_t", 1) as NativePointer;
        try {
            koffi.encode(tokens, "int32_t", token);
            const status = this.llama_decode(context, {n_tokens: 1, token: tokens, embd: null, pos: null, n_seq_id: null, seq_id: null, logits: null});
            if (status !== 0)
                throw new Error(`llama_decode returned ${status}`);
        } finally {
            koffi.free(tokens);
        }
    }

    /** Registers a JS epoch callback; llama_opt_epoch calls it on this thread after each micro-batch. */
    public registerEpochCallback(callback: EpochCallback): {pointer: NativePointer, unregister(): void} {
        const pointer = koffi.register(
            (train: boolean, optContext: NativePointer, _dataset: unknown, result: NativePointer, batchIndex: number | bigint,
                batchCount: number | bigint, startUs: number | bigint) =>
                callback(train, optContext, result, Number(batchIndex), Number(batchCount), Number(startUs)),
            koffi.pointer(LlamaTrainingLibrary._epochCallbackType));
        return {pointer, unregister: () => koffi.unregister(pointer)};
    }

    /**
     * Registers a `ggml_backend_sched_eval_callback` for llama_context_params.cb_eval: the scheduler asks it about
     * each graph node before computing (ask = true); returning false observes nothing and keeps one compute.
     * Returning true splits the compute after that node and calls back with ask = false once it is computed, before
     * its consumers; that call must return true, or the scheduler skips the rest of the graph.
     */
    public registerEvalCallback(callback: (tensor: NativePointer, ask: boolean) => boolean): {pointer: NativePointer, unregister(): void} {
        const pointer = koffi.register((tensor: NativePointer, ask: boolean) => callback(tensor, ask),
            koffi.pointer(LlamaTrainingLibrary._evalCallbackType));
        return {pointer, unregister: () => koffi.unregister(pointer)};
    }

    public readResult(result: NativePointer): {loss: number, lossUncertainty: number, accuracy: number, datapoints: number} {
        const loss = new Float64Array(2);
        const accuracy = new Float64Array(2);
        const count = new BigInt64Array(1);
        this.ggml_opt_result_loss(result, loss.subarray(0, 1), loss.subarray(1, 2));
        this.ggml_opt_result_accuracy(result, accuracy.subarray(0, 1), accuracy.subarray(1, 2));
        this.ggml_opt_result_ndata(result, count);
        return {loss: loss[0]!, lossUncertainty: loss[1]!, accuracy: accuracy[0]!, datapoints: Number(count[0])};
    }

}

export type LlamaModelQuantizeParams = Record<string, unknown> & {nthread: number, ftype: number, allow_requantize: boolean};
export type LlamaOptParams = {
    n_ctx_train: number,
    param_filter: NativePointer,
    param_filter_ud: NativePointer | null,
    get_opt_pars: NativePointer,
    get_opt_pars_ud: NativePointer,
    optimizer_type: number
};
export type OptimizerParams = {
    adamw: {alpha: number, beta1: number, beta2: number, eps: number, wd: number},
    sgd: {alpha: number, wd: number}
};
export type OptimizerParamsBlock = {pointer: NativePointer, set(params: OptimizerParams): void, free(): void};
