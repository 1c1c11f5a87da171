import {
    ChatWrapper, LlamaText, SpecialToken, type ChatWrapperGenerateContextStateOptions, type ChatWrapperGeneratedContextState
} from "node-llama-cpp";

/**
 * BELLE's prompt format, `Human: {text}\n\nAssistant:{reply}`, for models that carry no chat template (BELLE's
 * checkpoints converted to GGUF among them). A system message goes first, as plain text. Generation stops at
 * EOS or where the model starts the next human turn.
 *
 * Written out rather than built on node-llama-cpp's TemplateChatWrapper, which leaves out the final
 * "Assistant:" when the reply to generate is still empty.
 */
export class BelleChatWrapper extends ChatWrapper {
    public readonly wrapperName = "BELLE";

    public override generateContextState({chatHistory}: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
        const values: Array<LlamaText | SpecialToken | string> = [new SpecialToken("BOS")];
        chatHistory.forEach((item, index) => {
            const isLast = index === chatHistory.length - 1;
            if (item.type === "system") values.push(LlamaText.fromJSON(item.text), "\n\n");
            else if (item.type === "user") values.push("Human: ", item.text, "\n\n");
            else values.push("Assistant:", this.generateModelResponseText(item.response), isLast ? "" : "\n\n");
        });
        if (chatHistory.at(-1)?.type !== "model")
            values.push("Assistant:");

        return {
            contextText: LlamaText(values),
            stopGenerationTriggers: [LlamaText(new SpecialToken("EOS")), LlamaText("\n\nHuman:")]
        };
    }
}
