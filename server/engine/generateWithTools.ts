import crypto from "node:crypto";
import {LlamaChat, type ChatModelFunctions, type ChatWrapper, type LlamaContextSequence, type TokenBias} from "node-llama-cpp";
import {ContextLengthExceededError} from "./engineErrors";
import type {FinishReason, GenerationRequest, GenerationResult, ToolsRequest} from "./generationTypes";
import {toChatHistory} from "./toChatHistory";

export type ToolGenerationRequest = Extract<GenerationRequest, {kind: "chat"}> & {tools: ToolsRequest};

/**
 * A chat request with tools, through node-llama-cpp's function calling on a pooled sequence: the chat wrapper puts
 * the tools in the prompt in the model's own syntax where its template has one (Qwen's `<tool_call>`, Llama 3.1's,
 * Functionary's…) and node-llama-cpp's generic syntax otherwise; a call the model starts is finished under a grammar
 * of the tool's parameters, and ends the answer with finishReason "tool_calls". The text before a call streams as
 * usual. node-llama-cpp reuses the sequence's cached prefix itself.
 */
export async function generateWithTools({sequence, chatWrapper, tokenBias, request, contextSize, signal, onText}: {
    sequence: LlamaContextSequence, chatWrapper: ChatWrapper, tokenBias: TokenBias | undefined, request: ToolGenerationRequest, contextSize: number,
    signal?: AbortSignal, onText?: (text: string) => void
}): Promise<GenerationResult> {
    const {sampling, tools} = request;
    const history = toChatHistory(request.messages, tools.functions);
    const functions: ChatModelFunctions = Object.fromEntries(Object.entries(tools.functions).map(([name, {description, params}]) =>
        [name, {...(description == null ? {} : {description}), ...(params == null ? {} : {params})}]));
    const penalised = sampling.frequencyPenalty !== 0 || sampling.presencePenalty !== 0;

    const startTime = performance.now();
    let firstTokenTime: number | null = null;
    const usedBefore = {input: sequence.tokenMeter.usedInputTokens, output: sequence.tokenMeter.usedOutputTokens};
    const chat = new LlamaChat({contextSequence: sequence, chatWrapper, autoDisposeSequence: false});
    try {
        const result = await chat.generateResponse(history, {
            ...(Object.keys(functions).length === 0 ? {} : {functions, documentFunctionParams: true, ...(tools.parallel ? {} : {maxParallelFunctionCalls: 1})}),
            maxTokens: sampling.maxTokens ?? undefined,
            temperature: sampling.temperature,
            topK: sampling.topK,
            topP: sampling.topP,
            seed: sampling.seed ?? crypto.randomInt(0xffff_ffff),
            repeatPenalty: penalised
                ? {penalty: 1, frequencyPenalty: sampling.frequencyPenalty, presencePenalty: sampling.presencePenalty, lastTokens: Math.min(sampling.maxTokens ?? 4096, 4096), penalizeNewLine: true}
                : false,
            ...(tokenBias == null ? {} : {tokenBias}),
            customStopTriggers: sampling.stop,
            signal,
            stopOnAbortSignal: true,
            // node-llama-cpp would drop the oldest turns to make room: the history is kept whole, and one that does not fit
            // gets a 400, as without tools
            contextShift: {strategy: ({chatHistory}) => ({chatHistory: [...chatHistory], metadata: null})},
            onTextChunk: (text) => {
                firstTokenTime ??= performance.now();
                if (text !== "") onText?.(text);
            }
        });
        const endTime = performance.now();
        const completionTokens = sequence.tokenMeter.usedOutputTokens - usedBefore.output;
        const evaluated = sequence.tokenMeter.usedInputTokens - usedBefore.input;
        const promptTokens = Math.max(0, sequence.contextTokens.length - Math.max(0, completionTokens - 1));
        const stopReason = result.metadata.stopReason;
        const finishReason: FinishReason = stopReason === "functionCalls" ? "tool_calls" : stopReason === "maxTokens" ? "length" : stopReason === "abort" ? "abort" : "stop";
        return {
            text: result.response,
            finishReason,
            promptTokens,
            cachedPromptTokens: Math.max(0, promptTokens - Math.max(0, evaluated - Math.max(0, completionTokens - 1))),
            completionTokens,
            promptMs: (firstTokenTime ?? endTime) - startTime,
            generationMs: endTime - (firstTokenTime ?? endTime),
            ...(result.functionCalls == null || result.functionCalls.length === 0 ? {} : {
                toolCalls: result.functionCalls.map((call) => ({id: `call_${crypto.randomUUID().replaceAll("-", "")}`, name: call.functionName, arguments: call.params}))
            })
        };
    } catch (error) {
        if (error instanceof Error && /did not return a history that fits the context size/.test(error.message))
            throw new ContextLengthExceededError(contextSize, contextSize, {atLeast: true});
        throw error;
    } finally {
        chat.dispose({disposeSequence: false});
    }
}
