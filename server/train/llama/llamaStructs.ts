import koffi from "koffi";

/**
 * The C structs of llama.h / ggml-opt.h that the trainer passes by value, declared for koffi.
 * They must match the llama.cpp release that node-llama-cpp's prebuilt binaries were built from
 * (node-llama-cpp 3.21.1 → its llama.cpp release v0.4.0); test/train/llamaStructLayout.test.ts compiles the real header
 * and compares every size and offset, so a node-llama-cpp upgrade that changes a struct fails there first.
 *
 * Enums are C `int`; function pointers are `void *` holding an address (a native symbol from `lib.symbol()` or
 * a registered koffi callback), so no JS runs on the optimizer's hot path.
 */
export const llamaModelParams = koffi.struct("llama_model_params", {
    devices: "void *",
    tensor_buft_overrides: "void *",
    n_gpu_layers: "int32_t",
    split_mode: "int",
    load_mode: "int",
    lazy_mode: "int",
    main_gpu: "int32_t",
    tensor_split: "void *",
    progress_callback: "void *",
    progress_callback_user_data: "void *",
    kv_overrides: "void *",
    vocab_only: "bool",
    check_tensors: "bool",
    use_extra_bufts: "bool",
    no_host: "bool",
    no_alloc: "bool",
    load_mtp: "bool"
});

export const llamaContextParams = koffi.struct("llama_context_params", {
    n_ctx: "uint32_t",
    n_batch: "uint32_t",
    n_ubatch: "uint32_t",
    n_seq_max: "uint32_t",
    n_rs_seq: "uint32_t",
    n_outputs_max: "uint32_t",
    n_outputs_max_per_seq: "uint32_t",
    n_threads: "int32_t",
    n_threads_batch: "int32_t",
    ctx_type: "int",
    rope_scaling_type: "int",
    pooling_type: "int",
    attention_type: "int",
    flash_attn_type: "int",
    rope_freq_base: "float",
    rope_freq_scale: "float",
    yarn_ext_factor: "float",
    yarn_attn_factor: "float",
    yarn_beta_fast: "float",
    yarn_beta_slow: "float",
    yarn_orig_ctx: "uint32_t",
    defrag_thold: "float",
    cb_eval: "void *",
    cb_eval_user_data: "void *",
    type_k: "int",
    type_v: "int",
    abort_callback: "void *",
    abort_callback_data: "void *",
    embeddings: "bool",
    offload_kqv: "bool",
    no_perf: "bool",
    op_offload: "bool",
    swa_full: "bool",
    kv_unified: "bool",
    samplers: "void *",
    n_samplers: "size_t",
    ctx_other: "void *"
});

export const llamaOptParams = koffi.struct("llama_opt_params", {
    n_ctx_train: "uint32_t",
    param_filter: "void *",
    param_filter_ud: "void *",
    get_opt_pars: "void *",
    get_opt_pars_ud: "void *",
    optimizer_type: "int"
});

export const llamaBatch = koffi.struct("llama_batch", {
    n_tokens: "int32_t",
    token: "void *",
    embd: "void *",
    pos: "void *",
    n_seq_id: "void *",
    seq_id: "void *",
    logits: "void *"
});

/** ggml_opt_optimizer_params: two anonymous nested structs, flattened here (same layout: all floats). */
export const ggmlOptOptimizerParams = koffi.struct("ggml_opt_optimizer_params", {
    adamw: koffi.struct({alpha: "float", beta1: "float", beta2: "float", eps: "float", wd: "float"}),
    sgd: koffi.struct({alpha: "float", wd: "float"})
});

/** Every struct above by its C name, for the layout test. */
/** For `llama_model_quantize`, which the trainer uses to turn an F16 or quantized base into the F32 it trains. */
export const llamaModelQuantizeParams = koffi.struct("llama_model_quantize_params", {
    nthread: "int32_t",
    ftype: "int",
    output_tensor_type: "int",
    token_embedding_type: "int",
    allow_requantize: "bool",
    quantize_output_tensor: "bool",
    only_copy: "bool",
    pure: "bool",
    keep_split: "bool",
    dry_run: "bool",
    imatrix: "void *",
    kv_overrides: "void *",
    tt_overrides: "void *",
    prune_layers: "void *",
    max_buf_size: "size_t"
});

export const llamaStructs = {
    llama_model_params: llamaModelParams,
    llama_context_params: llamaContextParams,
    llama_opt_params: llamaOptParams,
    llama_batch: llamaBatch,
    ggml_opt_optimizer_params: ggmlOptOptimizerParams,
    llama_model_quantize_params: llamaModelQuantizeParams
} as const;

/** Values of the C enums the trainer sets (llama.h, ggml.h, ggml-opt.h). */
export const GgmlTypeId = {F32: 0, I32: 26} as const;
/** `enum llama_ftype`: every tensor F32. */
export const LlamaFtypeAllF32 = 0;
export const LlamaLoadMode = {none: 0} as const;
export const LlamaFlashAttnType = {disabled: 0} as const;
export const GgmlOptOptimizerType = {adamw: 0, sgd: 1} as const;
