import type {ChatWrapper} from "node-llama-cpp";
import type {TrainingTurn} from "../data/TrainingExample";
import {BelleChatWrapper} from "../../engine/BelleChatWrapper";
import type {LlamaTrainingLibrary, NativePointer} from "../llama/LlamaTrainingLibrary";
import {renderChatTemplatePieces} from "./renderChatTemplatePieces";

export type TokenizedExample = {
    tokens: number[],
    /** Per token: whether BELLE's trainer would put it in the loss (assistant text and its EOS). */
    trainable: boolean[]
};

/**
 * Tokenizes one example for training, laid out as the engine lays out a chat for the model (renderChatTemplatePieces):
 * with its chat template (`chatWrapper`), or, for a model that has none (null), in BELLE's format (BelleChatWrapper:
 * BOS, each turn as BELLE's trainer renders it, so the mask boundary falls between tokens, each answer followed by EOS).
 */
export function tokenizeTrainingTurns(library: LlamaTrainingLibrary, vocab: NativePointer, turns: readonly TrainingTurn[],
    chatWrapper: ChatWrapper | null = null): TokenizedExample {
    const tokens: number[] = [];
    const trainable: boolean[] = [];
    for (const piece of renderChatTemplatePieces(chatWrapper ?? new BelleChatWrapper(), turns)) {
        const pieceTokens = piece.kind === "specialToken" ? builtinToken(library, vocab, piece.text)
            : tokenize(library, vocab, piece.text, piece.kind === "specialText");
        tokens.push(...pieceTokens);
        trainable.push(...pieceTokens.map((_token, index) => piece.loss === "all" || (piece.loss === "first" && index === 0)));
    }
    return {tokens, trainable};
}

/** A template's builtin token; none when the vocabulary lacks it (node-llama-cpp leaves it out too). */
function builtinToken(library: LlamaTrainingLibrary, vocab: NativePointer, name: string): number[] {
    const token = name === "BOS" ? library.llama_vocab_bos(vocab)
        : name === "EOS" ? library.llama_vocab_eos(vocab)
        : name === "EOT" ? library.llama_vocab_eot(vocab)
        : name === "SEP" ? library.llama_vocab_sep(vocab)
        : name === "NL" ? library.llama_vocab_nl(vocab)
        : -1;
    return token < 0 ? [] : [token];
}

function tokenize(library: LlamaTrainingLibrary, vocab: NativePointer, text: string, parseSpecial = false): number[] {
    const bytes = Buffer.from(text, "utf8");
    let buffer = new Int32Array(bytes.length + 8);
    let count = library.llama_tokenize(vocab, bytes, bytes.length, buffer, buffer.length, false, parseSpecial);
    if (count < 0) {
        // A negative count is the size the buffer needed
        buffer = new Int32Array(-count);
        count = library.llama_tokenize(vocab, bytes, bytes.length, buffer, buffer.length, false, parseSpecial);
    }
    return Array.from(buffer.subarray(0, count));
}
