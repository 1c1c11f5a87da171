import {
    ChatWrapper, LlamaText, SpecialToken, type ChatWrapperGenerateContextStateOptions, type ChatWrapperGeneratedContextState
} from "node-llama-cpp";
import {belleAssistantPrefix, belleHumanPrefix} from "../train/data/renderTrainingText";

/**
 * BELLE's prompt format for models that carry no chat template (BELLE's checkpoints converted to GGUF among them),
 * laid out exactly as BELLE's trainer lays out its examples (renderTrainingText): BOS, each human turn as
 * `Human: \n{text}\n\nAssistant: \n`, each earlier reply followed by EOS. So a model that the built-in trainer
 * fine-tuned is prompted with the text it was trained on. A system message goes first, as plain text. Generation
 * stops at EOS or where the model starts the next human turn.
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
            else if (item.type === "user") values.push(belleHumanPrefix, item.text, belleAssistantPrefix);
            else values.push(this.generateModelResponseText(item.response), ...(isLast ? [] : [new SpecialToken("EOS")]));
        });
        return {
            contextText: LlamaText(values),
            stopGenerationTriggers: [LlamaText(new SpecialToken("EOS")), LlamaText("\n\nHuman:")]
        };
    }
}
