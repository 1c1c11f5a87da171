import {TokenBias, type LlamaContextSequenceRepeatPenalty, type LlamaModel, type Token} from "node-llama-cpp";
import {InvalidRequestError} from "./engineErrors";
import type {SamplingSettings} from "./generationTypes";

/**
 * node-llama-cpp's sampling options for OpenAI's `frequency_penalty`, `presence_penalty` (on the tokens generated so
 * far, as OpenAI applies them; no repeat penalty besides) and `logit_bias` (-100 bans a token; node-llama-cpp ignores a
 * bias on end-of-generation tokens). Empty when the request sets none of them.
 */
export function penaltyAndBiasOptions(
    sampling: SamplingSettings, generated: readonly Token[], maxTokens: number, model: LlamaModel, vocabularySize: number
): {repeatPenalty?: LlamaContextSequenceRepeatPenalty, tokenBias?: TokenBias} {
    const options: {repeatPenalty?: LlamaContextSequenceRepeatPenalty, tokenBias?: TokenBias} = {};
    if (sampling.frequencyPenalty !== 0 || sampling.presencePenalty !== 0)
        options.repeatPenalty = {
            punishTokens: () => generated as Token[],
            // The whole answer, fixed for the request so the sampler keeps its count of each token
            maxPunishTokens: Math.max(1, Math.min(maxTokens, 4096)),
            penalty: 1,
            frequencyPenalty: sampling.frequencyPenalty,
            presencePenalty: sampling.presencePenalty
        };
    if (sampling.logitBias.size > 0) {
        const bias = TokenBias.for(model);
        for (const [token, logit] of sampling.logitBias) {
            if (vocabularySize > 0 && token >= vocabularySize)
                throw new InvalidRequestError(`\`logit_bias\` names token ${token}, but the model's vocabulary has ${vocabularySize} tokens (0 to ${vocabularySize - 1}).`, "logit_bias");
            bias.set(token as Token, logit <= -100 ? "never" : {logit});
        }
        options.tokenBias = bias;
    }
    return options;
}
