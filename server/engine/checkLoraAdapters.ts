import fs from "node:fs";
import path from "node:path";
import {readGgufFileInfo, type GgufFileInfo} from "node-llama-cpp";

export type LoraAdapterOption = {
    filePath: string,
    /** Multiplies the adapter's change (llama.cpp applies scale · alpha / rank · B·A); 1 is as trained, 0 turns it off. */
    scale: number
};

/** An adapter the engine cannot load on its model; the message names the file and what to do. */
export class InvalidLoraAdapterError extends Error {
    public constructor(public readonly filePath: string, problem: string, remedy: string) {
        super(`LoRA adapter ${filePath}: ${problem}. ${remedy}`);
        this.name = new.target.name;
    }
}

const convertHint = "A PEFT adapter must be converted with llama.cpp's convert_lora_to_gguf.py (--base <the base model's HF folder>).";

/** What the adapter file says about itself, checked once the header is read. */
type AdapterHeader = {architecture: string | null, generalType: string | null, adapterType: string | null, name: string | null};

/**
 * Checks each adapter against the base model from the GGUF headers alone, before anything is loaded: llama.cpp
 * would reject a bad adapter only after the model and context are built, with a message that does not say which
 * file or why ("Failed to initialize LoRA adapter"). Checks what llama-adapter.cpp `llama_adapter_lora_init_impl`
 * checks: the type keys, the architecture, and that every `<W>.lora_a` {n_in, r} / `<W>.lora_b` {r, n_out} pair
 * fits a base tensor W of shape {n_in, n_out}. Returns each adapter's `general.name` (null when it has none).
 */
export async function checkLoraAdapters(
    modelPath: string, adapters: readonly LoraAdapterOption[], {signal}: {signal?: AbortSignal} = {}
): Promise<Array<string | null>> {
    if (adapters.length === 0) return [];
    const base = await readGgufFileInfo(modelPath, {signal, logWarnings: false, ignoreKeys: ["tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges"]});
    const baseArchitecture = headerOf(base).architecture;
    const baseShapes = new Map((base.fullTensorInfo ?? base.tensorInfo ?? []).map((tensor) => [tensor.name, tensor.dimensions.map(Number)]));

    const names: Array<string | null> = [];
    for (const {filePath, scale} of adapters) {
        if (!Number.isFinite(scale))
            throw new InvalidLoraAdapterError(filePath, `the scale ${scale} is not a finite number`, "Pass a number such as 1 or 0.5.");
        if (!fs.existsSync(filePath))
            throw new InvalidLoraAdapterError(filePath, "the file does not exist", "Check the path (--lora / belle.loraAdapters).");

        let info: GgufFileInfo;
        try {
            info = await readGgufFileInfo(filePath, {signal, logWarnings: false});
        } catch (error) {
            signal?.throwIfAborted();
            throw new InvalidLoraAdapterError(filePath, `it is not a readable GGUF file (${(error instanceof Error ? error.message : String(error)).replace(/\.$/, "")})`, convertHint);
        }

        const header = headerOf(info);
        if (header.generalType !== "adapter" || header.adapterType !== "lora") {
            const found = header.generalType == null ? "no general.type" : `general.type "${header.generalType}"` +
                (header.adapterType == null ? "" : `, adapter.type "${header.adapterType}"`);
            throw new InvalidLoraAdapterError(
                filePath, `it is not a LoRA adapter GGUF (${found}; expected general.type "adapter" and adapter.type "lora")`,
                `A full model goes in --model. ${convertHint}`
            );
        }
        if (header.architecture !== baseArchitecture)
            throw new InvalidLoraAdapterError(
                filePath, `it was made for the "${header.architecture ?? "unknown"}" architecture but the model ${path.basename(modelPath)} is "${baseArchitecture ?? "unknown"}"`,
                "Load it on the base model it was trained from."
            );

        checkTensorPairs(filePath, info, baseShapes, path.basename(modelPath));
        names.push(header.name);
    }
    return names;
}

function checkTensorPairs(filePath: string, info: GgufFileInfo, baseShapes: ReadonlyMap<string, number[]>, modelName: string) {
    const pairs = new Map<string, {a?: number[], b?: number[]}>();
    for (const tensor of info.fullTensorInfo ?? info.tensorInfo ?? []) {
        const match = /^(.*)\.lora_([ab])$/.exec(tensor.name);
        if (match == null) {
            // llama.cpp skips norm vectors in adapters and rejects anything else
            if (tensor.name.endsWith("_norm.weight")) continue;
            throw new InvalidLoraAdapterError(filePath, `its tensor "${tensor.name}" is not a lora_a/lora_b tensor`, convertHint);
        }
        const pair = pairs.get(match[1]!) ?? {};
        pair[match[2] as "a" | "b"] = tensor.dimensions.map(Number);
        pairs.set(match[1]!, pair);
    }
    if (pairs.size === 0)
        throw new InvalidLoraAdapterError(filePath, "it holds no lora_a/lora_b tensors", convertHint);

    const wrongBase = `Load it on the base model it was trained from, not ${modelName}.`;
    for (const [weightName, {a, b}] of pairs) {
        if (a == null || b == null)
            throw new InvalidLoraAdapterError(filePath, `"${weightName}" has only one of its lora_a/lora_b tensors`, convertHint);
        const weight = baseShapes.get(weightName);
        if (weight == null)
            throw new InvalidLoraAdapterError(filePath, `it adapts "${weightName}", which the model ${modelName} does not have`, wrongBase);
        // token_embd's pair is stored the other way round (llama.cpp llm_build_inp_embd)
        const fits = weightName.endsWith("token_embd.weight")
            ? weight[0] === b[1] && weight[1] === a[1]
            : weight[0] === a[0] && weight[1] === b[1] && a[1] === b[0];
        if (!fits)
            throw new InvalidLoraAdapterError(
                filePath, `"${weightName}" is [${weight.join(", ")}] in the model but the adapter's pair is [${a.join(", ")}] x [${b.join(", ")}]`, wrongBase
            );
    }
}

function headerOf(info: GgufFileInfo): AdapterHeader {
    const metadata = info.metadata as unknown as {
        general?: {architecture?: unknown, type?: unknown, name?: unknown},
        adapter?: {type?: unknown}
    };
    const text = (value: unknown) => typeof value === "string" ? value : null;
    return {
        architecture: text(metadata.general?.architecture),
        generalType: text(metadata.general?.type),
        adapterType: text(metadata.adapter?.type),
        name: text(metadata.general?.name)
    };
}
