import koffi from "koffi";
import {LlamaLibrary, type LlamaBatch, type NativePointer} from "../../train/llama/LlamaLibrary";

/** `enum llama_flash_attn_type` (llama.h). */
export const LlamaFlashAttention = {auto: -1, disabled: 0, enabled: 1} as const;

/**
 * llama.cpp's C API for generation (the trainer's binding does the same for training). Every call is synchronous on
 * the calling thread: load it in a worker thread, whose token loop then decodes and samples with no hand-off between
 * threads.
 */
export class LlamaGenerationLibrary extends LlamaLibrary {
    public readonly llama_set_n_threads: (context: NativePointer, threads: number, batchThreads: number) => void;
    public readonly llama_get_memory: (context: NativePointer) => NativePointer;
    /** false when a partial range cannot be removed; a whole sequence always can. */
    public readonly llama_memory_seq_rm: (memory: NativePointer, sequence: number, from: number, to: number) => boolean;
    public readonly llama_vocab_is_eog: (vocab: NativePointer, token: number) => boolean;
    public readonly llama_sampler_chain_init: (params: {no_perf: boolean}) => NativePointer;
    public readonly llama_sampler_chain_add: (chain: NativePointer, sampler: NativePointer) => void;
    public readonly llama_sampler_init_greedy: () => NativePointer;
    public readonly llama_sampler_init_dist: (seed: number) => NativePointer;
    public readonly llama_sampler_init_top_k: (k: number) => NativePointer;
    public readonly llama_sampler_init_top_p: (p: number, minKeep: number) => NativePointer;
    public readonly llama_sampler_init_temp: (temperature: number) => NativePointer;
    public readonly llama_sampler_init_penalties: (lastN: number, repeat: number, frequency: number, presence: number) => NativePointer;
    /** Samples from the logits of batch entry `index` and accepts the token into the chain (penalties see it). */
    public readonly llama_sampler_sample: (sampler: NativePointer, context: NativePointer, index: number) => number;
    public readonly llama_sampler_reset: (sampler: NativePointer) => void;
    public readonly llama_sampler_free: (sampler: NativePointer) => void;

    public constructor() {
        super();
        const llama = this.llamaLibrary;
        this.llama_set_n_threads = llama.func("void llama_set_n_threads(void * ctx, int32_t n_threads, int32_t n_threads_batch)");
        this.llama_get_memory = llama.func("void * llama_get_memory(void * ctx)");
        this.llama_memory_seq_rm = llama.func("bool llama_memory_seq_rm(void * mem, int32_t seq_id, int32_t p0, int32_t p1)");
        this.llama_vocab_is_eog = llama.func("bool llama_vocab_is_eog(void * vocab, int32_t token)");
        const chainParams = koffi.struct("llama_sampler_chain_params", {no_perf: "bool"});
        this.llama_sampler_chain_init = llama.func("llama_sampler_chain_init", "void *", [chainParams]);
        this.llama_sampler_chain_add = llama.func("void llama_sampler_chain_add(void * chain, void * smpl)");
        this.llama_sampler_init_greedy = llama.func("void * llama_sampler_init_greedy(void)");
        this.llama_sampler_init_dist = llama.func("void * llama_sampler_init_dist(uint32_t seed)");
        this.llama_sampler_init_top_k = llama.func("void * llama_sampler_init_top_k(int32_t k)");
        this.llama_sampler_init_top_p = llama.func("void * llama_sampler_init_top_p(float p, size_t min_keep)");
        this.llama_sampler_init_temp = llama.func("void * llama_sampler_init_temp(float t)");
        this.llama_sampler_init_penalties = llama.func("void * llama_sampler_init_penalties(int32_t penalty_last_n, " +
            "float penalty_repeat, float penalty_freq, float penalty_present)");
        this.llama_sampler_sample = llama.func("int32_t llama_sampler_sample(void * smpl, void * ctx, int32_t idx)");
        this.llama_sampler_reset = llama.func("void llama_sampler_reset(void * smpl)");
        this.llama_sampler_free = llama.func("void llama_sampler_free(void * smpl)");
    }
}

/**
 * A llama_batch of up to `capacity` tokens, one sequence each, in native memory that JS writes through typed-array
 * views: filling a step's batch costs no native call. Pass `batch(count)` to llama_decode.
 */
export class NativeBatch {
    public readonly tokens: Int32Array;
    public readonly positions: Int32Array;
    public readonly sequenceIds: Int32Array;
    /** 1 where llama.cpp must keep the logits (the entries that get sampled). */
    public readonly wantsLogits: Int8Array;
    private readonly _allocations: NativePointer[];
    private readonly _pointers: {token: NativePointer, pos: NativePointer, n_seq_id: NativePointer, seq_id: NativePointer, logits: NativePointer};

    public constructor(public readonly capacity: number) {
        const allocate = (type: string, count: number) => koffi.alloc(type, count) as NativePointer;
        const token = allocate("int32_t", capacity);
        const pos = allocate("int32_t", capacity);
        const nSeqId = allocate("int32_t", capacity);
        const seqIdValues = allocate("int32_t", capacity);
        const seqId = allocate("void *", capacity);
        const logits = allocate("int8_t", capacity);
        this._allocations = [token, pos, nSeqId, seqIdValues, seqId, logits];
        this.tokens = new Int32Array(koffi.view(token, capacity * 4));
        this.positions = new Int32Array(koffi.view(pos, capacity * 4));
        this.sequenceIds = new Int32Array(koffi.view(seqIdValues, capacity * 4));
        this.wantsLogits = new Int8Array(koffi.view(logits, capacity));
        new Int32Array(koffi.view(nSeqId, capacity * 4)).fill(1);
        // seq_id[i] points at sequenceIds[i]: each entry belongs to exactly one sequence
        const base = koffi.address(seqIdValues);
        const seqIdPointers = new BigUint64Array(koffi.view(seqId, capacity * 8));
        for (let index = 0; index < capacity; index++)
            seqIdPointers[index] = base + BigInt(index * 4);
        this._pointers = {token, pos, n_seq_id: nSeqId, seq_id: seqId, logits};
    }

    public batch(count: number): LlamaBatch {
        return {n_tokens: count, embd: null, ...this._pointers};
    }

    public free() {
        for (const pointer of this._allocations)
            koffi.free(pointer);
    }
}
