import {TemplateChatWrapper} from "node-llama-cpp";

/**
 * BELLE's own prompt format (`Human: …\n\nAssistant:`), for models that carry no chat template — BELLE's
 * checkpoints converted to GGUF among them. Generation stops where the model would start the next human turn.
 */
export function createBelleChatWrapper(): TemplateChatWrapper {
    return new TemplateChatWrapper({
        template: "{{systemPrompt}}{{history}}Assistant:{{completion}}\n\nHuman:",
        historyTemplate: {
            system: "{{message}}\n\n",
            user: "Human: {{message}}\n\n",
            model: "Assistant:{{message}}\n\n"
        }
    });
}
