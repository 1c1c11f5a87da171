import koffi, {type LibraryHandle} from "koffi";
import {findLlamaBinaries, type LlamaBinaries} from "./findLlamaBinaries";
import {llamaBatch, llamaContextParams, llamaModelParams} from "./llamaStructs";

/** Opaque handles (llama_model *, llama_context *, ggml_opt_dataset_t, …) are addresses; koffi 3 uses bigint. */
export type NativePointer = bigint;

export type LlamaModelParams = Record<string, unknown> & {load_mode: number, n_gpu_layers: number, use_extra_bufts: boolean};
export type LlamaContextParams = Record<string, unknown> & {n_ctx: number, n_batch: number, n_ubatch: number};
/** llama_batch; the arrays left null are llama.cpp's defaults (positions follow the cache, sequence 0, last logits). */
export type LlamaBatch = {
    n_tokens: number, token: NativePointer, embd: null,
    pos: NativePointer | null, n_seq_id: NativePointer | null, seq_id: NativePointer | null, logits: NativePointer | null
};

/**
 * llama.cpp's C API, bound with koffi to the libraries node-llama-cpp ships, so that a user needs no compiler: the
 * calls the trainer (LlamaTrainingLibrary) and the engine's native token loop (LlamaGenerationLibrary) both make.
 * Every call is synchronous on the calling thread.
 */
export class LlamaLibrary {
    public readonly binaries: LlamaBinaries;
    protected readonly ggmlBaseLibrary: LibraryHandle;
    protected readonly ggmlLibrary: LibraryHandle;
    protected readonly llamaLibrary: LibraryHandle;

    public readonly llama_model_default_params: () => LlamaModelParams;
    public readonly llama_model_load_from_file: (path: string, params: LlamaModelParams) => NativePointer | null;
    public readonly llama_model_free: (model: NativePointer) => void;
    public readonly llama_model_get_vocab: (model: NativePointer) => NativePointer;
    public readonly llama_context_default_params: () => LlamaContextParams;
    public readonly llama_init_from_model: (model: NativePointer, params: LlamaContextParams) => NativePointer | null;
    public readonly llama_free: (context: NativePointer) => void;
    public readonly llama_decode: (context: NativePointer, batch: LlamaBatch) => number;
    public readonly llama_vocab_n_tokens: (vocab: NativePointer) => number;

    public constructor(binaries: LlamaBinaries = findLlamaBinaries()) {
        this.binaries = binaries;
        this.ggmlBaseLibrary = koffi.load(binaries.ggmlBase);
        this.ggmlLibrary = koffi.load(binaries.ggml);
        this.llamaLibrary = koffi.load(binaries.llama);
        const llama = this.llamaLibrary;

        // The prebuilt ggml is built with dynamic backends: pick the CPU variant for this machine from its folder
        this.ggmlLibrary.func("void ggml_backend_load_all_from_path(const char * dir_path)")(binaries.directory);

        this.llama_model_default_params = llama.func("llama_model_default_params", llamaModelParams, []);
        this.llama_model_load_from_file = llama.func("llama_model_load_from_file", "void *", ["const char *", llamaModelParams]);
        this.llama_model_free = llama.func("void llama_model_free(void * model)");
        this.llama_model_get_vocab = llama.func("void * llama_model_get_vocab(void * model)");
        this.llama_context_default_params = llama.func("llama_context_default_params", llamaContextParams, []);
        this.llama_init_from_model = llama.func("llama_init_from_model", "void *", ["void *", llamaContextParams]);
        this.llama_free = llama.func("void llama_free(void * ctx)");
        this.llama_decode = llama.func("llama_decode", "int32_t", ["void *", llamaBatch]);
        this.llama_vocab_n_tokens = llama.func("int32_t llama_vocab_n_tokens(void * vocab)");
        llama.func("void llama_backend_init(void)")();
    }

    public unload() {
        for (const library of [this.llamaLibrary, this.ggmlLibrary, this.ggmlBaseLibrary])
            library.unload();
    }
}
