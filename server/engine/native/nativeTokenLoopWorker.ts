/**
 * The native token loop's worker thread: it owns a llama.cpp model and context through koffi and runs
 * decode → sample → decode for every active sequence on this one thread, with no hand-off between threads on a
 * token's path. Tokens go to the main thread by postMessage, which the loop never waits for.
 *
 * Requests arrive by postMessage; the loop polls them between steps (receiveMessageOnPort) and, when idle,
 * sleeps on the shared `wake` counter that the main thread bumps after each message.
 */
import {parentPort, receiveMessageOnPort, workerData} from "node:worker_threads";
import {DraftBackoff} from "../DraftBackoff";
import {findLookupDraft} from "./findLookupDraft";
import {LlamaFlashAttention, LlamaGenerationLibrary, NativeBatch} from "./LlamaGenerationLibrary";
import type {NativePointer} from "../../train/llama/LlamaLibrary";
import type {LoopRequest, LoopSampling, LoopWorkerData, LoopEvent} from "./nativeTokenLoopProtocol";

const options = workerData as LoopWorkerData;
const port = parentPort!;
const wake = new Int32Array(options.wake);

const library = new LlamaGenerationLibrary();
const modelParams = library.llama_model_default_params();
modelParams.n_gpu_layers = 0;
const model = library.llama_model_load_from_file(options.modelPath, modelParams);
if (model == null) throw new Error(`llama.cpp could not load ${options.modelPath}`);
const contextParams = library.llama_context_default_params();
Object.assign(contextParams, {
    n_ctx: options.contextSize * options.sequences,
    n_batch: options.batchSize,
    n_ubatch: options.batchSize,
    n_seq_max: options.sequences,
    n_threads: options.threads,
    n_threads_batch: options.threads,
    flash_attn_type: options.flashAttention ? LlamaFlashAttention.enabled : LlamaFlashAttention.disabled,
    // a KV cache per sequence, as llama-server with --parallel and node-llama-cpp: attention never scans other sequences' cells
    kv_unified: false,
    no_perf: true
});
const context = library.llama_init_from_model(model, contextParams);
if (context == null) throw new Error("llama.cpp could not create a context");
const vocab = library.llama_model_get_vocab(model);
const memory = library.llama_get_memory(context);
const batch = new NativeBatch(options.batchSize);

type Slot = {
    requestId: number,
    sampler: NativePointer,
    /** The tokens of this sequence in the KV cache, in order. */
    cached: number[],
    /** Tokens to decode, next step first; the last one's logits are sampled. */
    pending: number[],
    maxTokens: number,
    generated: number,
    /** Prompt lookup: draft tokens at most per step (0: none), and how the drafts fared. */
    lookup: number,
    draftsAccepted: number,
    draftsRejected: number,
    backoff: DraftBackoff
};
/** By sequence id; a sequence holds its cache between requests, so a next request reuses the common prefix. */
const cachedBySequence: number[][] = Array.from({length: options.sequences}, () => []);
const active = new Map<number, Slot>();

function createSampler(sampling: LoopSampling): NativePointer {
    const chain = library.llama_sampler_chain_init({no_perf: true});
    const add = (sampler: NativePointer) => library.llama_sampler_chain_add(chain, sampler);
    if (sampling.repeatPenalty !== 1 || sampling.frequencyPenalty !== 0 || sampling.presencePenalty !== 0)
        add(library.llama_sampler_init_penalties(sampling.penaltyLastN, sampling.repeatPenalty, sampling.frequencyPenalty, sampling.presencePenalty));
    if (sampling.temperature <= 0) {
        add(library.llama_sampler_init_greedy());
        return chain;
    }
    if (sampling.topK > 0) add(library.llama_sampler_init_top_k(sampling.topK));
    if (sampling.topP < 1) add(library.llama_sampler_init_top_p(sampling.topP, 1));
    add(library.llama_sampler_init_temp(sampling.temperature));
    add(library.llama_sampler_init_dist(sampling.seed >>> 0));
    return chain;
}

function start(request: Extract<LoopRequest, {type: "generate"}>) {
    const cached = cachedBySequence[request.sequence]!;
    // keep the longest cached prefix; at least the prompt's last token is decoded again for its logits
    let reused = 0;
    while (request.reusePrefix && reused < cached.length && reused < request.prompt.length - 1 && cached[reused] === request.prompt[reused]) reused++;
    library.llama_memory_seq_rm(memory, request.sequence, reused, -1);
    cached.length = reused;
    active.set(request.sequence, {
        requestId: request.requestId, sampler: createSampler(request.sampling), cached,
        pending: request.prompt.slice(reused), maxTokens: request.maxTokens, generated: 0,
        // drafts are verified by greedy sampling only: a sampled token is not the model's single answer to compare with
        lookup: request.sampling.temperature <= 0 ? request.lookupDraftTokens : 0,
        draftsAccepted: 0, draftsRejected: 0, backoff: new DraftBackoff()
    });
    post({type: "started", requestId: request.requestId, cachedPromptTokens: reused});
}

function finish(sequence: number, slot: Slot, reason: "stop" | "length" | "abort" | "error", message?: string) {
    active.delete(sequence);
    library.llama_sampler_free(slot.sampler);
    post({
        type: "done", requestId: slot.requestId, reason, ...(message == null ? {} : {message}),
        ...(slot.lookup === 0 ? {} : {drafts: {accepted: slot.draftsAccepted, rejected: slot.draftsRejected}})
    });
}

function post(event: LoopEvent) {
    port.postMessage(event);
}

function handle(request: LoopRequest) {
    if (request.type === "generate") start(request);
    else if (request.type === "threads") library.llama_set_n_threads(context!, request.threads, request.threads);
    else if (request.type === "stop") {
        for (const [sequence, slot] of active)
            if (slot.requestId === request.requestId) finish(sequence, slot, "abort");
    } else if (request.type === "close") {
        for (const [sequence, slot] of active) finish(sequence, slot, "abort");
        batch.free();
        library.llama_free(context!);
        library.llama_model_free(model!);
        post({type: "closed"});
        process.exit(0);
    }
}

/** The most draft tokens a slot about to decode its last token may have this step: 0 for none (no lookup, backing off). */
function draftRoom(slot: Slot, room: number): number {
    // from the first generated token on: whether the prompt's last token was cached must not change the drafts. Only
    // while the sequence is alone: with a KV cache per sequence llama.cpp splits a batch whose sequences bring unequal
    // token counts into several ubatches (4 streams of the 0.5B model took 51 ms a step instead of 33), and parallel
    // streams fill the batch anyway
    if (slot.lookup === 0 || slot.generated === 0 || slot.pending.length !== 1 || active.size > 1 || !slot.backoff.mayDraft()) return 0;
    // no draft past max_tokens: the token sampled at the last drafted position is generated too
    return Math.min(slot.lookup, room - 1, slot.maxTokens - slot.generated - 1);
}

/**
 * One decode: every active sequence's next token (with its prompt-lookup draft, if any), or as much of its prompt as
 * the batch holds. The model's token at each drafted position is sampled; the draft is kept up to its first miss.
 */
function step() {
    let count = 0;
    const sampled: {sequence: number, slot: Slot, index: number, draft: number[], draftPosition: number}[] = [];
    // in ascending sequence order: with a KV cache per sequence, llama.cpp puts the tokens of several sequences in
    // one ubatch only while each sequence id is the previous one's + 1 (llama_batch_allocr::split_equal)
    for (const [sequence, slot] of [...active].sort(([a], [b]) => a - b)) {
        const room = batch.capacity - count;
        if (room === 0) break;
        const take = Math.min(room, slot.pending.length);
        const mostDrafted = take === slot.pending.length ? draftRoom(slot, room) : 0;
        for (let offset = 0; offset < take; offset++) {
            batch.tokens[count] = slot.pending[offset]!;
            batch.positions[count] = slot.cached.length + offset;
            batch.sequenceIds[count] = sequence;
            batch.wantsLogits[count] = 0;
            count++;
        }
        slot.cached.push(...slot.pending.splice(0, take));
        if (slot.pending.length > 0) continue;
        // looked up in what the sequence holds now: the prompt and the answer, up to the token decoded this step
        const draft = findLookupDraft(slot.cached, mostDrafted);
        batch.wantsLogits[count - 1] = 1;
        sampled.push({sequence, slot, index: count - 1, draft, draftPosition: slot.cached.length});
        for (const [offset, token] of draft.entries()) {
            batch.tokens[count] = token;
            batch.positions[count] = slot.cached.length + offset;
            batch.sequenceIds[count] = sequence;
            batch.wantsLogits[count] = 1;
            count++;
        }
    }
    const status = library.llama_decode(context!, batch.batch(count));
    if (status !== 0) {
        for (const [sequence, slot] of active) finish(sequence, slot, "error", `llama_decode returned ${status}`);
        return;
    }
    const tokens: number[] = [];
    const finished: {sequence: number, slot: Slot, reason: "stop" | "length"}[] = [];
    for (const {sequence, slot, index, draft, draftPosition} of sampled) {
        let accepted = 0;
        for (;;) {
            const token = library.llama_sampler_sample(slot.sampler, context!, index + accepted);
            slot.generated++;
            tokens.push(slot.requestId, token);
            if (library.llama_vocab_is_eog(vocab, token)) finished.push({sequence, slot, reason: "stop"});
            else if (slot.generated >= slot.maxTokens) finished.push({sequence, slot, reason: "length"});
            else if (accepted < draft.length && token === draft[accepted]) {
                // the model's own next token is the drafted one, already decoded: keep it and read the next position
                slot.cached.push(token);
                accepted++;
                continue;
            } else slot.pending.push(token);
            break;
        }
        if (draft.length > 0) {
            slot.draftsAccepted += accepted;
            slot.draftsRejected += draft.length - accepted;
            // the drafted positions after the first miss leave the KV cache
            if (accepted < draft.length) library.llama_memory_seq_rm(memory, sequence, draftPosition + accepted, -1);
            slot.backoff.record(accepted > 0);
        }
    }
    // the tokens first: a request's last token arrives before its end
    if (tokens.length > 0) post({type: "tokens", tokens});
    for (const {sequence, slot, reason} of finished) finish(sequence, slot, reason);
}

post({type: "ready", vocabularySize: library.llama_vocab_n_tokens(vocab)});
for (;;) {
    for (let message = receiveMessageOnPort(port); message != null; message = receiveMessageOnPort(port))
        handle(message.message as LoopRequest);
    if (active.size > 0) {
        step();
        continue;
    }
    const seen = Atomics.load(wake, 0);
    const queued = receiveMessageOnPort(port);
    if (queued != null) {
        handle(queued.message as LoopRequest);
        continue;
    }
    Atomics.wait(wake, 0, seen);
}
