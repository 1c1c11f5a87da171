import {InputLookupTokenPredictor, type LlamaContextSequence, type Token} from "node-llama-cpp";
import {DraftBackoff} from "./DraftBackoff";

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
    /** The first token of the draft now being verified; null when none is. */
    private _draftHead: Token | null = null;
    private _backoff = new DraftBackoff();

    public constructor(draftTokens: number) {
        super({predictionLength: {max: draftTokens}});
    }

    /** Drafts from `promptTokens` until `deactivate()`. */
    public activate(promptTokens: readonly Token[]): void {
        this.updateInputTokens(promptTokens as Token[]);
        this._active = true;
        this._draftHead = null;
        this._backoff = new DraftBackoff();
    }

    public deactivate(): void {
        this._active = false;
        this.updateInputTokens([]);
    }

    /** Drafts unless the back-off pauses (DraftBackoff). */
    public override predictTokens(): Token[] {
        if (!this._active || !this._backoff.mayDraft()) return [];
        const draft = super.predictTokens();
        this._draftHead = draft[0] ?? null;
        return draft;
    }

    public override pushTokens(tokens: Token[]): void {
        super.pushTokens(tokens);
        if (this._draftHead == null) return;
        this._backoff.record(tokens[0] === this._draftHead);
        this._draftHead = null;
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
