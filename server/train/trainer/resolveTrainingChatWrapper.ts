import path from "node:path";
import {GeneralChatWrapper, readGgufFileInfo, resolveChatWrapper, type ChatWrapper} from "node-llama-cpp";
import type {PromptFormat} from "../../engine/LlamaEngine";

/**
 * The chat wrapper the engine would chat with the model in (LlamaEngine.load, same promptFormat), resolved from
 * the GGUF's metadata without loading the model; null for BELLE's format, which the engine uses for a model with
 * no chat template. The engine resolves from the loaded model, which also lets node-llama-cpp compare a Jinja
 * template with its specialised wrappers token by token; from the metadata it compares the text only.
 */
export async function resolveTrainingChatWrapper(modelPath: string, promptFormat: PromptFormat = "auto"): Promise<ChatWrapper | null> {
    if (promptFormat === "belle") return null;
    const fileInfo = await readGgufFileInfo(modelPath, {readTensorInfo: false});
    const tokenizer = fileInfo.metadata.tokenizer;
    if (promptFormat === "auto" && tokenizer?.chat_template == null) return null;
    const bosId = tokenizer?.ggml?.bos_token_id;
    const bosString = bosId == null ? null : tokenizer?.ggml?.tokens?.[bosId] ?? null;
    return resolveChatWrapper({
        fileInfo, filename: path.basename(modelPath), bosString, architecture: fileInfo.metadata.general?.architecture, warningLogs: false
    }) ?? new GeneralChatWrapper();
}
