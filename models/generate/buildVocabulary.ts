/** llama.cpp token types (llama.h `llama_token_type` / gguf `tokenizer.ggml.token_type`). */
export const TokenType = {normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6} as const;

export type Vocabulary = {
    tokens: string[],
    scores: number[],
    types: number[],
    unknownId: number,
    bosId: number,
    eosId: number,
    imStartId: number,
    imEndId: number
};

const controlTokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"] as const;

/**
 * A SentencePiece-style vocabulary that tokenizes Chinese: every CJK Unified Ideograph of the BMP and the usual
 * CJK and full-width punctuation is one token, ASCII is one token per character, and anything else (emoji,
 * rarer scripts, newlines) falls back to UTF-8 byte tokens — so any text round-trips.
 * `targetSize` pads the vocabulary with filler pieces to reach a real model's vocabulary size.
 */
export function buildVocabulary({targetSize}: {targetSize?: number} = {}): Vocabulary {
    const tokens: string[] = [...controlTokens];
    const types: number[] = [TokenType.unknown, TokenType.control, TokenType.control, TokenType.control, TokenType.control];

    for (let byte = 0; byte < 256; byte++) {
        tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
        types.push(TokenType.byte);
    }

    const pieces: string[] = ["\u2581"];
    for (let code = 0x21; code <= 0x7e; code++) pieces.push(String.fromCharCode(code));
    for (const word of ["\u2581the", "\u2581a", "\u2581is", "\u2581of", "\u2581to", "\u2581and", "Human", "Assistant", "user", "assistant", "system"])
        pieces.push(word);
    for (let code = 0x3000; code <= 0x303f; code++) pieces.push(String.fromCharCode(code)); // CJK punctuation
    for (let code = 0xff01; code <= 0xff5e; code++) pieces.push(String.fromCharCode(code)); // full-width forms
    for (const quote of ["\u201c", "\u201d", "\u2018", "\u2019", "\u2026", "\u2014"]) pieces.push(quote);
    for (let code = 0x4e00; code <= 0x9fff; code++) pieces.push(String.fromCharCode(code));

    const seen = new Set<string>(tokens);
    for (const piece of pieces) {
        if (seen.has(piece)) continue;
        seen.add(piece);
        tokens.push(piece);
        types.push(TokenType.normal);
    }

    for (let filler = 0; targetSize != null && tokens.length < targetSize; filler++) {
        tokens.push(`\u2581filler${filler}`);
        types.push(TokenType.normal);
    }

    // SentencePiece merges the highest-scoring pair first; longer pieces score higher so words win over letters
    const scores = tokens.map((token, id) => types[id] === TokenType.normal ? [...token].length * 10 - id / 1e6 : 0);

    return {
        tokens, scores, types,
        unknownId: 0, bosId: 1, eosId: 2, imStartId: 3, imEndId: 4
    };
}
