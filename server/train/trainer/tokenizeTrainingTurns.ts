import type {ChatWrapper} from "node-llama-cpp";
import type {TrainingTurn} from "../data/TrainingExample";
import {renderTrainingText} from "../data/renderTrainingText";
import type {LlamaTrainingLibrary, NativePointer} from "../llama/LlamaTrainingLibrary";
import {renderChatTemplatePieces} from "./renderChatTemplatePieces";

export type TokenizedExample = {
    tokens: number[],
    /** Per token: whether BELLE's trainer would put it in the loss (assistant text and its EOS). */
    trainable: boolean[]
};

/**
 * Tokenizes one example for training. With the model's chat template (`chatWrapper`): laid out as the engine lays
 * out a chat for that model (see renderChatTemplatePieces). Without (a model that has none, which the engine
 * chats with in BELLE's format): the way BELLE's trainer does, BOS, then each turn rendered on its own (so the
 * mask boundary falls between tokens), each assistant turn followed by EOS.
 */
export function tokenizeTrainingTurns(library: LlamaTrainingLibrary, vocab: NativePointer, turns: readonly TrainingTurn[],
    chatWrapper: ChatWrapper | null = null): TokenizedExample {
    if (chatWrapper != null) return tokenizeWithChatTemplate(library, vocab, turns, chatWrapper);
    const tokens = [library.llama_vocab_bos(vocab)];
    const trainable = [false];
    for (const turn of turns) {
        const turnTokens = tokenize(library, vocab, renderTrainingText([turn]));
        const isAssistant = turn.role === "assistant";
        if (isAssistant)
            turnTokens.push(library.llama_vocab_eos(vocab));
        tokens.push(...turnTokens);
        trainable.push(...turnTokens.map(() => isAssistant));
    }
    return {tokens, trainable};
}

function tokenizeWithChatTemplate(library: LlamaTrainingLibrary, vocab: NativePointer, turns: readonly TrainingTurn[], chatWrapper: ChatWrapper): TokenizedExample {
    const tokens: number[] = [];
    const trainable: boolean[] = [];
    for (const piece of renderChatTemplatePieces(chatWrapper, turns)) {
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
