import type {LlamaModel, Token} from "node-llama-cpp";

/** One generated token with its log-probability and the likeliest alternatives, as OpenAI's `logprobs.content[i]`. */
export type TokenLogprob = {
    token: string,
    logprob: number,
    /** The token's own bytes: a token that ends inside a character has only part of it. */
    bytes: number[],
    topLogprobs: {token: string, logprob: number, bytes: number[]}[]
};

/**
 * Reads tokens' bytes from the vocabulary as the GGUF stores it, so partial characters keep their bytes: byte-level BPE
 * (GPT-2's mapping of bytes to printable characters) and SentencePiece (`▁` for a space, `<0xAB>` for a raw byte).
 * Other vocabularies fall back on the token's detokenized text.
 */
export class TokenLogprobReader {
    private readonly _vocabulary: readonly string[];
    private readonly _kind: "byte-level" | "sentencepiece" | "text";

    public constructor(private readonly _model: LlamaModel) {
        const tokenizer = _model.fileInfo.metadata.tokenizer?.ggml;
        this._vocabulary = tokenizer?.tokens ?? [];
        this._kind = tokenizer?.model === "gpt2" ? "byte-level" : tokenizer?.model === "llama" ? "sentencepiece" : "text";
    }

    /** `probabilities`: the distribution the token was drawn from, as node-llama-cpp gives it. */
    public entry(token: Token, probabilities: ReadonlyMap<Token, number> | undefined, top: number): TokenLogprob {
        const chosen = this._describe(token, probabilities?.get(token) ?? 0);
        const topLogprobs = top === 0 || probabilities == null ? [] : [...probabilities]
            .sort(([, left], [, right]) => right - left)
            .slice(0, top)
            .map(([candidate, probability]) => this._describe(candidate, probability));
        return {...chosen, topLogprobs};
    }

    private _describe(token: Token, probability: number): {token: string, logprob: number, bytes: number[]} {
        const bytes = this.bytesOf(token);
        // A token the sampler left no chance (after top-k, say) gets OpenAI's floor rather than -Infinity, which JSON cannot carry
        return {token: Buffer.from(bytes).toString("utf8"), logprob: probability > 0 ? Math.log(probability) : -9999, bytes};
    }

    public bytesOf(token: Token): number[] {
        const piece = this._vocabulary[token];
        if (piece != null && this._kind === "byte-level") {
            const bytes = [...piece].map((char) => unicodeToByte.get(char));
            if (bytes.every((byte) => byte != null)) return bytes as number[];
        } else if (piece != null && this._kind === "sentencepiece") {
            const byteToken = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
            if (byteToken != null) return [parseInt(byteToken[1]!, 16)];
            return [...Buffer.from(piece.replaceAll("\u2581", " "), "utf8")];
        }
        return [...Buffer.from(this._model.detokenize([token], false), "utf8")];
    }
}

/** GPT-2's byte-level BPE alphabet: printable bytes stand for themselves, the others for U+0100 onwards, in order. */
const unicodeToByte: ReadonlyMap<string, number> = (() => {
    const map = new Map<string, number>();
    let next = 256;
    for (let byte = 0; byte < 256; byte++) {
        const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
        map.set(String.fromCharCode(printable ? byte : next++), byte);
    }
    return map;
})();
