import type OpenAI from "openai";

/** Reads an `openai` SDK chat stream to its end: the text pieces as they came, and the finish reason. */
export async function collectChatStream(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
    const pieces: string[] = [];
    let finishReason: string | null = null;
    for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (choice?.delta.content) pieces.push(choice.delta.content);
        if (choice?.finish_reason) finishReason = choice.finish_reason;
    }
    return {pieces, text: pieces.join(""), finishReason};
}
