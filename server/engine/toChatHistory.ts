import type {ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse} from "node-llama-cpp";
import {InvalidRequestError} from "./engineErrors";
import type {ChatMessage, ToolsRequest} from "./generationTypes";

/**
 * OpenAI messages as node-llama-cpp's chat history, ending with the model's turn to answer (an open model response,
 * or the last assistant message to continue). An assistant message's tool calls become function calls in its
 * response, each with the result of the `tool` message that answers it, so the chat wrapper renders them in the
 * model's own syntax; the tool messages themselves become no items.
 */
export function toChatHistory(messages: readonly ChatMessage[], functions: ToolsRequest["functions"] = {}): ChatHistoryItem[] {
    const results = new Map<string, string>();
    messages.forEach((message, index) => {
        if (message.role !== "tool") return;
        const answered = messages.slice(0, index).some((earlier) => earlier.role === "assistant" && earlier.toolCalls?.some((call) => call.id === message.toolCallId));
        if (!answered)
            throw new InvalidRequestError(`messages[${index}].tool_call_id "${message.toolCallId}" answers no tool call of an earlier assistant message.`, `messages[${index}].tool_call_id`);
        results.set(message.toolCallId, message.content);
    });

    const history: ChatHistoryItem[] = [];
    for (const message of messages) {
        switch (message.role) {
            case "system": history.push({type: "system", text: message.content}); break;
            case "user": history.push({type: "user", text: message.content}); break;
            case "tool": break;
            case "assistant": {
                const response: ChatModelResponse["response"] = message.content === "" && message.toolCalls != null ? [] : [message.content];
                for (const call of message.toolCalls ?? []) {
                    const functionCall: ChatModelFunctionCall = {
                        type: "functionCall", name: call.name, params: call.arguments, result: resultValue(results.get(call.id))
                    };
                    const description = functions[call.name]?.description;
                    if (description != null) functionCall.description = description;
                    response.push(functionCall);
                }
                history.push({type: "model", response});
            }
        }
    }
    if (history.at(-1)?.type !== "model")
        history.push({type: "model", response: []});

    return history;
}

/** A tool's result as the model is shown it: JSON as its value (so it is not quoted twice), other text as it is. */
function resultValue(content: string | undefined): unknown {
    if (content == null) return "";
    try {
        return JSON.parse(content);
    } catch {
        // not JSON: plain text
        return content;
    }
}
