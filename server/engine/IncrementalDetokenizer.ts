import type {Token} from "node-llama-cpp";

/** Tokens kept as context for detokenizing the next token (SentencePiece spacing, merged pieces). */
const contextTokens = 8;
/** A character spans at most 4 UTF-8 bytes, so at most 4 byte tokens: wait no longer than that. */
const maxHeldTokens = 4;

export type Detokenize = (tokens: readonly Token[], specialTokens: boolean, lastTokens: readonly Token[]) => string;

/**
 * Turns a stream of tokens into a stream of text that never splits a character: a token that ends in the middle
 * of a UTF-8 sequence (an emoji as byte tokens, say) is held until the rest arrives. Cost is constant per token.
 */
export class IncrementalDetokenizer {
    private readonly _recent: Token[] = [];
    private _pending: Token[] = [];

    public constructor(private readonly _detokenize: Detokenize) {}

    /** Returns the text that token completes ("" while a character is still incomplete). */
    public push(token: Token): string {
        this._pending.push(token);
        const text = this._decodePending();
        if (text.endsWith("\uFFFD") && this._pending.length < maxHeldTokens) return "";
        return this._take(text);
    }

    /** Text of tokens still held at the end of generation (an incomplete character decodes as U+FFFD). */
    public flush(): string {
        if (this._pending.length === 0) return "";
        return this._take(this._decodePending());
    }

    private _decodePending(): string {
        return this._detokenize(this._pending, false, this._recent);
    }

    private _take(text: string): string {
        this._recent.push(...this._pending);
        if (this._recent.length > contextTokens) this._recent.splice(0, this._recent.length - contextTokens);
        this._pending = [];
        return text;
    }
}
