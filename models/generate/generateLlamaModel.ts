import {GgufWriter} from "../gguf/GgufWriter";
import {GgmlType, fileTypeFor, type GgmlTypeName} from "../gguf/ggmlTypes";
import {SeededRandom} from "./SeededRandom";
import {buildVocabulary, TokenType} from "./buildVocabulary";

export type LlamaShape = {
    embeddingLength: number,
    blockCount: number,
    headCount: number,
    headCountKv: number,
    feedForwardLength: number,
    contextLength: number,
    /** Pad the vocabulary to this size (a real model's); the Chinese test vocabulary has ~21.5k tokens. */
    vocabularySize?: number
};

/** The shapes we generate: a tiny one for tests and real ones for benchmarks (speed depends on shape only). */
export const modelShapes = {
    tiny: {embeddingLength: 64, blockCount: 2, headCount: 4, headCountKv: 2, feedForwardLength: 128, contextLength: 4096},
    /** Qwen2-0.5B's shape on the llama architecture: ~0.5B parameters. */
    "0.5b": {
        embeddingLength: 896, blockCount: 24, headCount: 14, headCountKv: 2, feedForwardLength: 4864,
        contextLength: 32768, vocabularySize: 151936
    }
} satisfies Record<string, LlamaShape>;
export type ModelShapeName = keyof typeof modelShapes;

export const chatMlTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export type GenerateModelOptions = {
    shape: ModelShapeName,
    /** Type of the big matrices; norms stay F32. */
    type?: GgmlTypeName,
    seed?: number,
    /** Leave the chat template out, as in models converted without one (BELLE's own checkpoints). */
    withoutChatTemplate?: boolean,
    name?: string,
    /**
     * A model that copies: its next token depends on the current one alone, a seeded random
     * permutation of the Chinese tokens, so asked to go on from a token it writes the chain that follows it; a prompt
     * that already holds that chain gets an answer that repeats it. The blocks compute as usual but add nothing.
     */
    successor?: boolean
};

/**
 * Generates a llama-architecture GGUF with seeded weights. The weights are random but shaped so that the model
 * "speaks" Chinese: one embedding channel is a constant that the output layer reads as a per-token bias,
 * favouring CJK characters over byte and control tokens. So greedy decoding yields Chinese text that depends on
 * the prompt, never ends by itself (EOS is disfavoured) and never emits broken UTF-8 at temperature 0.
 */
export async function generateLlamaModel(filePath: string, options: GenerateModelOptions, {signal}: {signal?: AbortSignal} = {}) {
    const writer = createLlamaModelWriter(options);
    await writer.write(filePath, {signal});
    return {filePath, parameterCount: writer.parameterCount};
}

export function createLlamaModelWriter({shape: shapeName, type: typeName = "F16", seed = 1, withoutChatTemplate = false, name, successor = false}: GenerateModelOptions) {
    const shape: LlamaShape = modelShapes[shapeName];
    const type = GgmlType[typeName];
    const vocabulary = buildVocabulary({targetSize: shape.vocabularySize});
    const vocabularySize = vocabulary.tokens.length;
    const {embeddingLength: embd, headCount, headCountKv, feedForwardLength: ff, blockCount} = shape;
    const kvLength = (embd / headCount) * headCountKv;

    const writer = new GgufWriter()
        .setMetadata("general.architecture", {type: "string", value: "llama"})
        .setMetadata("general.name", {type: "string", value: name ?? `belle-generated-${shapeName}-${typeName.toLowerCase()}`})
        .setMetadata("general.file_type", {type: "uint32", value: fileTypeFor(type)})
        .setMetadata("general.quantization_version", {type: "uint32", value: 2})
        .setMetadata("llama.context_length", {type: "uint32", value: shape.contextLength})
        .setMetadata("llama.embedding_length", {type: "uint32", value: embd})
        .setMetadata("llama.block_count", {type: "uint32", value: blockCount})
        .setMetadata("llama.feed_forward_length", {type: "uint32", value: ff})
        .setMetadata("llama.attention.head_count", {type: "uint32", value: headCount})
        .setMetadata("llama.attention.head_count_kv", {type: "uint32", value: headCountKv})
        .setMetadata("llama.rope.dimension_count", {type: "uint32", value: embd / headCount})
        .setMetadata("llama.rope.freq_base", {type: "float32", value: 10000})
        .setMetadata("llama.attention.layer_norm_rms_epsilon", {type: "float32", value: 1e-5})
        .setMetadata("llama.vocab_size", {type: "uint32", value: vocabularySize})
        .setMetadata("tokenizer.ggml.model", {type: "string", value: "llama"})
        .setMetadata("tokenizer.ggml.tokens", {type: "string[]", value: vocabulary.tokens})
        .setMetadata("tokenizer.ggml.scores", {type: "float32[]", value: vocabulary.scores})
        .setMetadata("tokenizer.ggml.token_type", {type: "int32[]", value: vocabulary.types})
        .setMetadata("tokenizer.ggml.bos_token_id", {type: "uint32", value: vocabulary.bosId})
        .setMetadata("tokenizer.ggml.eos_token_id", {type: "uint32", value: withoutChatTemplate ? vocabulary.eosId : vocabulary.imEndId})
        .setMetadata("tokenizer.ggml.unknown_token_id", {type: "uint32", value: vocabulary.unknownId})
        .setMetadata("tokenizer.ggml.padding_token_id", {type: "uint32", value: vocabulary.unknownId})
        .setMetadata("tokenizer.ggml.add_bos_token", {type: "bool", value: true})
        .setMetadata("tokenizer.ggml.add_eos_token", {type: "bool", value: false})
        .setMetadata("tokenizer.ggml.add_space_prefix", {type: "bool", value: false});
    if (!withoutChatTemplate)
        writer.setMetadata("tokenizer.chat_template", {type: "string", value: chatMlTemplate});

    // Every tensor gets its own stream derived from the seed and its index, so rows can be produced in order
    let tensorIndex = 0;
    const randomRows = (scale: number) => {
        const random = new SeededRandom(seed * 7919 + tensorIndex++);
        return (_rowIndex: number, row: Float32Array) => {
            for (let i = 0; i < row.length; i++)
                row[i] = random.nextSigned() * scale;
        };
    };
    const ones = (_rowIndex: number, row: Float32Array) => row.fill(1);

    // Uniform [-a, a) has standard deviation a/sqrt(3); scale matrices by 1/sqrt(fan-in) so activations stay O(1)
    const embeddingScale = 0.17;
    // Channel 0 must stay the largest share of the residual stream however wide and deep the model is
    const biasChannelValue = 0.3 * Math.sqrt(embd / 64);
    const depthScale = 1 / Math.sqrt(blockCount / 2);
    const embeddingRows = randomRows(embeddingScale);
    const embeddingRow = (rowIndex: number, row: Float32Array) => {
        embeddingRows(rowIndex, row);
        row[0] = biasChannelValue;
    };
    // the successor model's output layer reads the embedding rows out of order: all of them, made first (0.5B: 0.5 GB)
    const embedding = successor ? Array.from({length: vocabularySize}, (_, rowIndex) => {
        const row = new Float32Array(embd);
        embeddingRow(rowIndex, row);
        return row;
    }) : null;
    writer.addTensor("token_embd.weight", [embd, vocabularySize], type, embedding == null ? embeddingRow : (rowIndex, row) => row.set(embedding[rowIndex]!));
    const blockOutputRows = (fill: (rowIndex: number, row: Float32Array) => void) => successor ? (_rowIndex: number, row: Float32Array) => row.fill(0) : zeroChannel(fill);

    for (let block = 0; block < blockCount; block++) {
        const inScale = 1 / Math.sqrt(embd);
        const outScale = depthScale * 0.5 / Math.sqrt(embd);
        writer
            .addTensor(`blk.${block}.attn_norm.weight`, [embd], GgmlType.F32, ones)
            .addTensor(`blk.${block}.attn_q.weight`, [embd, embd], type, randomRows(inScale * 1.7))
            .addTensor(`blk.${block}.attn_k.weight`, [embd, kvLength], type, randomRows(inScale * 1.7))
            .addTensor(`blk.${block}.attn_v.weight`, [embd, kvLength], type, randomRows(inScale * 1.7))
            .addTensor(`blk.${block}.attn_output.weight`, [embd, embd], type, blockOutputRows(randomRows(outScale)))
            .addTensor(`blk.${block}.ffn_norm.weight`, [embd], GgmlType.F32, ones)
            .addTensor(`blk.${block}.ffn_gate.weight`, [embd, ff], type, randomRows(inScale * 1.7))
            .addTensor(`blk.${block}.ffn_up.weight`, [embd, ff], type, randomRows(inScale * 1.7))
            .addTensor(`blk.${block}.ffn_down.weight`, [ff, embd], type, blockOutputRows(randomRows(depthScale * 0.5 / Math.sqrt(ff))));
    }

    writer.addTensor("output_norm.weight", [embd], GgmlType.F32, ones);

    // Channel 0 of the normalised hidden state is ~constant, so output row channel 0 acts as a per-token bias
    // Scaled so the random part of a logit has the same spread (~2) whatever the width: the bias always wins
    const outputRows = randomRows(0.5 * Math.sqrt(64 / embd));
    const isSpoken = (tokenIndex: number) => vocabulary.types[tokenIndex] === TokenType.normal && !vocabulary.tokens[tokenIndex]!.startsWith("\u2581filler");
    const predecessor = embedding == null ? null : successorPermutationInverse(vocabularySize, isSpoken, seed);
    writer.addTensor("output.weight", [embd, vocabularySize], type, (rowIndex, row) => {
        outputRows(rowIndex, row);
        // the successor model: token j's row is its predecessor's embedding, so the hidden state of token t (t's own
        // embedding, normalised) scores t's successor highest by far
        const before = predecessor?.[rowIndex] ?? -1;
        if (before >= 0) row.set(embedding![before]!);
        row[0] = isSpoken(rowIndex) ? 1 : -2;
    });

    return writer;
}

/** For each token, the one whose successor it is in a seeded random permutation of the tokens `included` (-1 for others). */
function successorPermutationInverse(size: number, included: (tokenIndex: number) => boolean, seed: number): Int32Array {
    const tokens = Array.from({length: size}, (_, index) => index).filter(included);
    const shuffled = [...tokens];
    const random = new SeededRandom(seed * 104_729 + 17);
    for (let index = shuffled.length - 1; index > 0; index--) {
        const other = random.nextUint32() % (index + 1);
        [shuffled[index], shuffled[other]] = [shuffled[other]!, shuffled[index]!];
    }
    const predecessor = new Int32Array(size).fill(-1);
    for (const [position, token] of tokens.entries()) predecessor[shuffled[position]!] = token;
    return predecessor;
}

/** The residual stream's channel 0 carries the bias; blocks must not write to it. */
function zeroChannel(fill: (rowIndex: number, row: Float32Array) => void) {
    return (rowIndex: number, row: Float32Array) => {
        fill(rowIndex, row);
        if (rowIndex === 0) row.fill(0);
    };
}
