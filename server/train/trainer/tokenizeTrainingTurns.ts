import type {TrainingTurn} from "../data/TrainingExample";
import {renderTrainingText} from "../data/renderTrainingText";
import type {LlamaTrainingLibrary, NativePointer} from "../llama/LlamaTrainingLibrary";

export type TokenizedExample = {
    tokens: number[],
    /** Per token: whether BELLE's trainer would put it in the loss (assistant text and its EOS). */
    trainable: boolean[]
};

/**
 * Tokenizes one example the way BELLE's trainer does: BOS, then each turn rendered on its own (so the mask
 * boundary falls between tokens), each assistant turn followed by EOS.
 */
export function tokenizeTrainingTurns(library: LlamaTrainingLibrary, vocab: NativePointer, turns: readonly TrainingTurn[]): TokenizedExample {
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

function tokenize(library: LlamaTrainingLibrary, vocab: NativePointer, text: string): number[] {
    const bytes = Buffer.from(text, "utf8");
    let buffer = new Int32Array(bytes.length + 8);
    let count = library.llama_tokenize(vocab, bytes, bytes.length, buffer, buffer.length, false, false);
    if (count < 0) {
        // A negative count is the size the buffer needed
        buffer = new Int32Array(-count);
        count = library.llama_tokenize(vocab, bytes, bytes.length, buffer, buffer.length, false, false);
    }
    return Array.from(buffer.subarray(0, count));
}
