import {GgufWriter} from "../gguf/GgufWriter";
import {GgmlType} from "../gguf/ggmlTypes";
import {SeededRandom} from "./SeededRandom";
import {modelShapes, type LlamaShape, type ModelShapeName} from "./generateLlamaModel";

/** The matrices of a llama block an adapter can change, by their GGUF tensor name (`blk.N.<target>.weight`). */
export type LoraTarget = "attn_q" | "attn_k" | "attn_v" | "attn_output" | "ffn_gate" | "ffn_up" | "ffn_down";

export type GenerateLoraAdapterOptions = {
    /** The generated base model the adapter fits. */
    shape: ModelShapeName,
    rank?: number,
    /** `adapter.lora.alpha`; llama.cpp scales the product B·A by alpha / rank (times the scale it is loaded with). */
    alpha?: number,
    /** "zero": B is all zeros, so the adapter changes nothing (as a freshly initialised PEFT adapter); "random": seeded. */
    init?: "zero" | "random",
    seed?: number,
    targets?: readonly LoraTarget[],
    /** `general.architecture`; only a mismatch test wants anything but the base's "llama". */
    architecture?: string,
    name?: string
};

/**
 * Writes a LoRA adapter GGUF in llama.cpp's format (what convert_lora_to_gguf.py writes, read by
 * llama-adapter.cpp `llama_adapter_lora_init_impl`): `general.type` "adapter", `adapter.type` "lora",
 * `adapter.lora.alpha`, and for each adapted weight W of ggml shape {n_in, n_out} the pair
 * `<W>.lora_a` {n_in, rank} and `<W>.lora_b` {rank, n_out}, so that W·x becomes W·x + scale·B·(A·x).
 */
export async function generateLoraAdapter(filePath: string, options: GenerateLoraAdapterOptions, {signal}: {signal?: AbortSignal} = {}) {
    const writer = createLoraAdapterWriter(options);
    await writer.write(filePath, {signal});
    return {filePath, parameterCount: writer.parameterCount};
}

export function createLoraAdapterWriter({
    shape: shapeName, rank = 4, alpha = rank, init = "random", seed = 1,
    targets = ["attn_q", "attn_k", "attn_v", "attn_output"], architecture = "llama", name
}: GenerateLoraAdapterOptions) {
    if (!Number.isInteger(rank) || rank < 1) throw new RangeError(`rank must be a positive integer, got ${rank}`);
    const shape: LlamaShape = modelShapes[shapeName];
    const {embeddingLength: embd, headCount, headCountKv, feedForwardLength: ff} = shape;
    const kvLength = (embd / headCount) * headCountKv;
    const targetShapes: Record<LoraTarget, {inputs: number, outputs: number}> = {
        attn_q: {inputs: embd, outputs: embd},
        attn_k: {inputs: embd, outputs: kvLength},
        attn_v: {inputs: embd, outputs: kvLength},
        attn_output: {inputs: embd, outputs: embd},
        ffn_gate: {inputs: embd, outputs: ff},
        ffn_up: {inputs: embd, outputs: ff},
        ffn_down: {inputs: ff, outputs: embd}
    };

    const writer = new GgufWriter()
        .setMetadata("general.architecture", {type: "string", value: architecture})
        .setMetadata("general.type", {type: "string", value: "adapter"})
        .setMetadata("general.name", {type: "string", value: name ?? `belle-generated-${shapeName}-lora-r${rank}-${init}`})
        .setMetadata("adapter.type", {type: "string", value: "lora"})
        .setMetadata("adapter.lora.alpha", {type: "float32", value: alpha});

    let tensorIndex = 0;
    const randomRows = (scale: number) => {
        const random = new SeededRandom(seed * 104729 + tensorIndex++);
        return (_rowIndex: number, row: Float32Array) => {
            for (let i = 0; i < row.length; i++)
                row[i] = random.nextSigned() * scale;
        };
    };
    const zeros = (_rowIndex: number, row: Float32Array) => row.fill(0);

    for (let block = 0; block < shape.blockCount; block++) {
        for (const target of targets) {
            const {inputs, outputs} = targetShapes[target];
            // Scaled so that B·A·x is about as large as W·x: enough to change a greedy answer, not to wreck it
            const fillA = randomRows(1.7 / Math.sqrt(inputs));
            const fillB = init === "zero" ? zeros : randomRows(1.7 / Math.sqrt(rank));
            // The base model's residual stream keeps a per-token bias in channel 0 (generateLlamaModel); an adapter
            // writing to it would make the model emit control tokens instead of Chinese
            const writesResidual = target === "attn_output" || target === "ffn_down";
            writer
                .addTensor(`blk.${block}.${target}.weight.lora_a`, [inputs, rank], GgmlType.F32, fillA)
                .addTensor(`blk.${block}.${target}.weight.lora_b`, [rank, outputs], GgmlType.F32, (rowIndex, row) => {
                    fillB(rowIndex, row);
                    if (writesResidual && rowIndex === 0) row.fill(0);
                });
        }
    }

    return writer;
}
