import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {parseArgs} from "node:util";
import {formatGgufSummary, inspectGguf} from "../../models/gguf/inspectGguf";
import {CliUsageError} from "./CliUsageError";
import {resolveModelArgument} from "./resolveModelArgument";

export const inspectUsage = `belle inspect <file.gguf | embedded> [--ctx-size <n>] [--parallel <n>] [--json]

  Prints a GGUF's architecture, parameters, quantization, context, chat template and the memory it needs
  (CPU only and fully offloaded) for the given context size and parallel sequences.`;

export async function inspectCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
            "ctx-size": {type: "string"},
            parallel: {type: "string", default: "1"},
            json: {type: "boolean", default: false}
        }
    });
    const target = positionals[0];
    if (target == null)
        throw new CliUsageError("inspect needs a .gguf path (or \"embedded\").");

    const filePath = await resolveModelArgument(target);
    const info = await inspectGguf(filePath);
    const contextSize = values["ctx-size"] == null ? undefined : Number(values["ctx-size"]);
    const sequences = Number(values.parallel);
    if ((contextSize != null && !(contextSize > 0)) || !(sequences >= 1))
        throw new CliUsageError("--ctx-size and --parallel must be positive integers.");

    if (values.json) {
        const {estimateMemory, planGpuLayers, ...summary} = info;
        const shape = {contextSize: contextSize ?? Math.min(info.contextLengthTrained ?? 4096, 4096), sequences};
        const gpu = await readGpuState();
        const plannedGpuLayers = gpu.freeVramBytes > 0 ? planGpuLayers({...shape, freeVramBytes: gpu.freeVramBytes}) : 0;
        const memory = {
            ...shape,
            gpu,
            plannedGpuLayers,
            planned: estimateMemory({...shape, gpuLayers: plannedGpuLayers}),
            cpuOnly: estimateMemory({...shape, gpuLayers: 0}),
            allOnGpu: estimateMemory({...shape, gpuLayers: info.offloadableLayers})
        };
        process.stdout.write(`${JSON.stringify({...summary, memory}, null, 2)}\n`);
    } else
        process.stdout.write(`${formatGgufSummary(info, {contextSize, sequences})}\n`);
}

/** The GPU backend node-llama-cpp would use here and its free memory (0 without a GPU). */
async function readGpuState(): Promise<{backend: string, freeVramBytes: number, totalVramBytes: number}> {
    const llama = await getLlama({gpu: "auto", build: "never", logLevel: LlamaLogLevel.error});
    try {
        if (llama.gpu === false) return {backend: "cpu", freeVramBytes: 0, totalVramBytes: 0};
        const vram = await llama.getVramState();
        return {backend: llama.gpu, freeVramBytes: vram.free, totalVramBytes: vram.total};
    } finally {
        await llama.dispose();
    }
}
