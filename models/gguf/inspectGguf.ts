import fs from "node:fs";
import path from "node:path";
import {GgmlType, GgufFileType, GgufInsights, readGgufFileInfo, type GgufFileInfo, type Llama} from "node-llama-cpp";

/** What a GGUF file says about itself, read from its header without loading the weights. */
export type GgufSummary = {
    filePath: string,
    fileSizeBytes: number,
    ggufVersion: number,
    name: string | null,
    architecture: string,
    /** `general.file_type` as llama.cpp names it, e.g. "MOSTLY_Q4_K_M"; null when the file does not say. */
    fileType: string | null,
    /** The tensor type holding most of the weights, e.g. "Q4_K"; the file type can be missing or wrong. */
    dominantTensorType: string | null,
    /** Summed over the tensor shapes. */
    parameterCount: number,
    contextLengthTrained: number | null,
    embeddingLength: number | null,
    blockCount: number | null,
    /** What node-llama-cpp's `gpuLayers` counts: the blocks plus the output layer. */
    offloadableLayers: number,
    headCount: number | null,
    /** The largest per-layer value when the file gives one per layer. */
    headCountKv: number | null,
    feedForwardLength: number | null,
    vocabularySize: number | null,
    tokenizerModel: string | null,
    hasChatTemplate: boolean,
    chatTemplate: string | null,
    tensorCount: number,
    warnings: string[]
};

export type MemoryEstimate = {
    gpuLayers: number,
    modelRamBytes: number,
    modelVramBytes: number,
    contextRamBytes: number,
    contextVramBytes: number,
    totalRamBytes: number,
    totalVramBytes: number
};

export type EstimateMemoryOptions = {contextSize: number, sequences?: number, gpuLayers?: number};
export type PlanGpuLayersOptions = {
    freeVramBytes: number,
    contextSize: number,
    sequences?: number,
    /** VRAM to leave free; defaults to node-llama-cpp's default padding, 8% capped at 1.6 GiB. */
    vramPaddingBytes?: number
};

export type GgufInspection = GgufSummary & {
    /** Memory to load the model with `gpuLayers` offloaded (default none) and create a context of this shape. */
    estimateMemory(options: EstimateMemoryOptions): MemoryEstimate,
    /** The most layers (node-llama-cpp `gpuLayers`) that fit in `freeVramBytes` with the context they need. */
    planGpuLayers(options: PlanGpuLayersOptions): number
};

/**
 * Reads a GGUF file's metadata and tensor table with node-llama-cpp and sizes it with `GgufInsights`.
 * Pass the process's `llama` when there is one; otherwise node-llama-cpp uses a backend-less instance.
 */
export async function inspectGguf(filePath: string, {signal, llama}: {signal?: AbortSignal, llama?: Llama} = {}): Promise<GgufInspection> {
    const [info, stat] = await Promise.all([
        readGgufFileInfo(filePath, {signal, logWarnings: false}),
        fs.promises.stat(filePath)
    ]);
    const insights = await GgufInsights.from(info, llama);
    const summary = summarize(filePath, stat.size, info, insights);

    const estimateMemory = ({contextSize, sequences = 1, gpuLayers = 0}: EstimateMemoryOptions): MemoryEstimate => {
        if (!Number.isInteger(contextSize) || contextSize <= 0) throw new RangeError(`contextSize must be a positive integer, got ${contextSize}`);
        if (!Number.isInteger(sequences) || sequences <= 0) throw new RangeError(`sequences must be a positive integer, got ${sequences}`);
        const layers = Math.max(0, Math.min(Math.floor(gpuLayers), summary.offloadableLayers));

        // The V1 estimators are arithmetic over the tensor table; the V2 ones simulate on the local backend, so
        // on a machine without a GPU they report no VRAM at all and could not plan for the GPU a user does have
        const model = insights.estimateModelResourceRequirements({gpuLayers: layers, useMmap: false, gpuSupportsMmap: false});
        const context = insights.estimateContextResourceRequirements({contextSize, sequences, modelGpuLayers: layers, flashAttention: false});
        const modelRamBytes = Math.ceil(model.cpuRam);
        const modelVramBytes = Math.ceil(model.gpuVram);
        const contextRamBytes = Math.ceil(context.cpuRam);
        const contextVramBytes = Math.ceil(context.gpuVram);
        return {
            gpuLayers: layers, modelRamBytes, modelVramBytes, contextRamBytes, contextVramBytes,
            totalRamBytes: modelRamBytes + contextRamBytes,
            totalVramBytes: modelVramBytes + contextVramBytes
        };
    };

    // GgufInsights' configurationResolver would pick layers for us, but it sizes the context with one sequence and
    // by simulation on this machine's backend (see above); we need the engine's sequence count on any GPU
    const planGpuLayers = ({freeVramBytes, contextSize, sequences = 1, vramPaddingBytes = defaultVramPadding(freeVramBytes)}: PlanGpuLayersOptions): number => {
        const budget = freeVramBytes - vramPaddingBytes;
        for (let layers = summary.offloadableLayers; layers > 0; layers--)
            if (estimateMemory({contextSize, sequences, gpuLayers: layers}).totalVramBytes <= budget)
                return layers;

        return 0;
    };

    return {...summary, estimateMemory, planGpuLayers};
}

/** A plain-text report for `belle inspect`, with memory for a typical context. */
export function formatGgufSummary(info: GgufInspection, {contextSize, sequences = 1}: {contextSize?: number, sequences?: number} = {}): string {
    const contextTokens = contextSize ?? Math.min(info.contextLengthTrained ?? 4096, 4096);
    const cpuOnly = info.estimateMemory({contextSize: contextTokens, sequences, gpuLayers: 0});
    const offloaded = info.estimateMemory({contextSize: contextTokens, sequences, gpuLayers: info.offloadableLayers});
    const row = (label: string, value: string) => `  ${label.padEnd(15)} ${value}`;
    const orUnknown = (value: number | string | null) => value == null ? "unknown" : String(value);

    const lines = [
        `${path.basename(info.filePath)} (${formatBytes(info.fileSizeBytes)}, GGUF v${info.ggufVersion})`,
        row("name", orUnknown(info.name)),
        row("architecture", info.architecture),
        row("parameters", `${formatCount(info.parameterCount)} (${info.parameterCount})`),
        row("file type", `${orUnknown(info.fileType)}; most weights ${orUnknown(info.dominantTensorType)}`),
        row("trained ctx", info.contextLengthTrained == null ? "unknown" : `${info.contextLengthTrained} tokens`),
        row("layers", `${orUnknown(info.blockCount)} blocks (+1 output layer for GPU offload)`),
        row("embedding", orUnknown(info.embeddingLength)),
        row("heads", `${orUnknown(info.headCount)} attention, ${orUnknown(info.headCountKv)} KV`),
        row("feed-forward", orUnknown(info.feedForwardLength)),
        row("vocabulary", `${orUnknown(info.vocabularySize)} tokens (${orUnknown(info.tokenizerModel)} tokenizer)`),
        row("chat template", info.hasChatTemplate ? "yes" : "no (the engine uses BELLE's Human/Assistant format)"),
        row("memory, CPU", `${formatBytes(cpuOnly.totalRamBytes)} RAM for ${contextTokens} tokens x ${sequences} ${sequences === 1 ? "sequence" : "sequences"}`),
        row("memory, GPU", `${formatBytes(offloaded.totalVramBytes)} VRAM + ${formatBytes(offloaded.totalRamBytes)} RAM with all ${info.offloadableLayers} layers offloaded`)
    ];
    for (const warning of info.warnings) lines.push(row("warning", warning));
    return lines.join("\n");
}

function summarize(filePath: string, fileSizeBytes: number, info: GgufFileInfo, insights: GgufInsights): GgufSummary {
    const metadata = info.metadata;
    const architectureMetadata = info.architectureMetadata;
    const attention = architectureMetadata.attention;
    const fileTypeId = metadata.general?.file_type;
    const dominantType = insights.dominantTensorType;
    const chatTemplate = metadata.tokenizer?.chat_template ?? null;
    const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];

    return {
        filePath: path.resolve(filePath),
        fileSizeBytes,
        ggufVersion: info.version,
        name: metadata.general?.name ?? null,
        architecture: metadata.general?.architecture ?? "unknown",
        fileType: fileTypeId == null ? null : GgufFileType[fileTypeId] ?? `file type ${fileTypeId}`,
        dominantTensorType: dominantType == null ? null : GgmlType[dominantType] ?? `type ${dominantType}`,
        parameterCount: tensors.reduce((sum, tensor) => sum + tensor.dimensions.reduce<number>((product, dim) => product * Number(dim), 1), 0),
        contextLengthTrained: architectureMetadata.context_length ?? null,
        embeddingLength: architectureMetadata.embedding_length ?? null,
        blockCount: architectureMetadata.block_count ?? null,
        offloadableLayers: insights.totalLayers,
        headCount: largest(attention?.head_count),
        headCountKv: largest(attention?.head_count_kv),
        feedForwardLength: largest(architectureMetadata.feed_forward_length),
        vocabularySize: architectureMetadata.vocab_size ?? metadata.tokenizer?.ggml?.tokens?.length ?? null,
        tokenizerModel: metadata.tokenizer?.ggml?.model ?? null,
        hasChatTemplate: chatTemplate != null && chatTemplate !== "",
        chatTemplate: chatTemplate === "" ? null : chatTemplate,
        tensorCount: tensors.length,
        warnings: insights.getWarnings(filePath)
    };
}

/** node-llama-cpp's default `vramPadding` (getLlama.js), applied to the free VRAM we are given. */
function defaultVramPadding(freeVramBytes: number): number {
    return Math.floor(Math.min(Math.max(freeVramBytes, 0) * 0.08, 1.6 * 1024 ** 3));
}

function largest(value: number | readonly number[] | undefined): number | null {
    if (value == null) return null;
    if (typeof value === "number") return value;
    return value.length === 0 ? null : Math.max(...value);
}

function formatBytes(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function formatCount(count: number): string {
    if (count >= 1e9) return `${(count / 1e9).toFixed(2)}B`;
    if (count >= 1e6) return `${(count / 1e6).toFixed(2)}M`;
    if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
    return String(count);
}
