import {shellQuote} from "./externalTrainerPresets";

export type GgufConversionOptions = {
    finetuning: "lora" | "full",
    /** The trainer's `output_dir`: a whole Hugging Face checkpoint, or a PEFT LoRA adapter. */
    trainedDir: string,
    /** The base model of a LoRA adapter: a local checkpoint folder (only its config is read), or a Hugging Face id. */
    baseModel: {directory: string} | {id: string},
    outFile: string
};

/**
 * The llama.cpp command (run from a llama.cpp checkout, after `pip install -r requirements.txt`) that turns the
 * trainer's result into GGUF: `convert_hf_to_gguf.py <dir>` for a full model; `convert_lora_to_gguf.py <adapter dir>`
 * for a LoRA adapter, which the engine loads on top of the base model's GGUF. Flags as in the argparse of the pinned
 * llama.cpp's scripts (`--base` takes a folder, `--base-model-id` a hub id; both default to f32 without `--outtype`).
 */
export function ggufConversionCommand({finetuning, trainedDir, baseModel, outFile}: GgufConversionOptions): string {
    if (finetuning === "full")
        return ["python", "convert_hf_to_gguf.py", trainedDir, "--outfile", outFile, "--outtype", "f16"].map(shellQuote).join(" ");
    const base = "directory" in baseModel ? ["--base", baseModel.directory] : ["--base-model-id", baseModel.id];
    return ["python", "convert_lora_to_gguf.py", ...base, "--outfile", outFile, "--outtype", "f16", trainedDir].map(shellQuote).join(" ");
}
