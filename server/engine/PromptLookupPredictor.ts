import {InputLookupTokenPredictor, type LlamaContextSequence, type Token} from "node-llama-cpp";

/** Draft tokens a generation's prompt-lookup drafts and its verification outcome. */
export type PredictionCounts = {
    /** Drafted tokens that became part of the answer. */
    accepted: number,
    /** Drafted tokens evaluated for nothing: the model chose otherwise, or generation stopped first. */
    rejected: number
};

/**
 * node-llama-cpp's prompt-lookup predictor (it drafts the tokens that followed, in the prompt, the longest match of
 * the answer's last tokens; the model verifies the draft in the same batch as its next token), switched on per
 * generation. A sequence holds its predictor for life, and whatever it drafts is verified, so a generation where a
 * draft could change the answer (seeded sampling, penalties, a grammar) keeps it off and decodes as without one.
 */
export class PromptLookupPredictor extends InputLookupTokenPredictor {
    private _active = false;

    public constructor(draftTokens: number) {
        super({predictionLength: {max: draftTokens}});
    }

    /** Drafts from `promptTokens` until `deactivate()`. */
    public activate(promptTokens: readonly Token[]): void {
        this.updateInputTokens(promptTokens as Token[]);
        this._active = true;
    }

    public deactivate(): void {
        this._active = false;
        this.updateInputTokens([]);
    }

    public override predictTokens(): Token[] {
        return this._active ? super.predictTokens() : [];
    }
}

/** The sequence's prediction counters (node-llama-cpp keeps them per sequence, for its life). */
export function readPredictionTotals(sequence: LlamaContextSequence): {used: number, validated: number, refuted: number} {
    const {used, validated, refuted} = sequence.tokenPredictions;
    return {used, validated, refuted};
}

/** What one generation drafted, from the sequence's counters before and after it. */
export function predictionCountsBetween(
    before: ReturnType<typeof readPredictionTotals>, after: ReturnType<typeof readPredictionTotals>
): PredictionCounts {
    const accepted = after.used - before.used;
    // Validated but never used: the drafts that were still ahead when generation stopped (end, stop string, max_tokens)
    const unusedValidated = (after.validated - before.validated) - accepted;
    return {accepted, rejected: (after.refuted - before.refuted) + Math.max(0, unusedValidated)};
}
