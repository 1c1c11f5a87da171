import type {Token} from "node-llama-cpp";

/** Tokens kept as context for detokenizing the next token (SentencePiece spacing, merged pieces). */
const contextTokens = 8;

export type Detokenize = (tokens: readonly Token[], specialTokens: boolean, lastTokens: readonly Token[]) => string;

/**
 * Turns a stream of tokens into a stream of text that never splits a character. Detokenizing gives text, not bytes,
 * so a token that ends in the middle of a UTF-8 sequence shows as a trailing U+FFFD: such tokens are held, with no
 * limit on how many (with a byte-level BPE vocabulary such as Qwen2's, a run of tokens can each end mid-character),
 * and decoded together once one ends on a character boundary. Meanwhile the characters already complete in the held
 * tokens go out as they complete: UTF-8 decoding never changes complete characters when more bytes follow.
 */
export class IncrementalDetokenizer {
    private readonly _recent: Token[] = [];
    private _pending: Token[] = [];
    /** UTF-16 units of the pending tokens' text already returned. */
    private _emittedLength = 0;

    public constructor(private readonly _detokenize: Detokenize) {}

    /** Returns the text that token completes ("" while a character is still incomplete). */
    public push(token: Token): string {
        this._pending.push(token);
        const text = this._decodePending();
        if (text.endsWith("\uFFFD")) {
            // An incomplete sequence at the end decodes as one U+FFFD; what precedes it is final
            const complete = text.slice(0, -1);
            if (complete.length <= this._emittedLength) return "";
            const piece = complete.slice(this._emittedLength);
            this._emittedLength = complete.length;
            return piece;
        }
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
        const piece = text.slice(this._emittedLength);
        this._emittedLength = 0;
        return piece;
    }
}
