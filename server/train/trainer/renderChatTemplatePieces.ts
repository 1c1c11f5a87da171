import {SpecialToken, SpecialTokensText, type BuiltinSpecialTokenValue, type ChatHistoryItem, type ChatWrapper} from "node-llama-cpp";
import type {TrainingTurn} from "../data/TrainingExample";

/**
 * A piece of an example as the model's chat template lays it out, to be tokenized on its own: plain text (special
 * tokens in it are not parsed), the template's own special-token text (parsed), or a builtin token (BOS, EOS…).
 */
export type ChatTemplatePiece = {
    kind: "text" | "specialText" | "specialToken",
    /** The text, or for a specialToken its name. */
    text: string,
    /**
     * Which of its tokens are in the loss: "all" (an assistant's text, the EOS after the last), "first" (the token
     * that ends an assistant turn in the template, e.g. ChatML's <|im_end|>), "none" (the prompt).
     */
    loss: "all" | "first" | "none"
};

// Private-use characters: no training text has them, and templates pass them through as they are
const answerMarker = /\uE000(\d+)\uE001/g;

/**
 * Lays out an example with the chat wrapper the engine would use for the model, so that training sees the text the
 * engine sends at chat time: every turn through the template, each assistant's text in the loss together with the
 * token the template closes its turn with, and EOS after the last answer, where the template leaves the turn open
 * (the engine stops at EOS as at the template's own end token).
 */
export function renderChatTemplatePieces(chatWrapper: ChatWrapper, turns: readonly TrainingTurn[]): ChatTemplatePiece[] {
    const chatHistory: ChatHistoryItem[] = turns.map((turn, index) => turn.role === "user"
        ? {type: "user", text: turn.text}
        : {type: "model", response: [`\uE000${index}\uE001`]});
    const {contextText} = chatWrapper.generateContextState({chatHistory});
    const pieces: ChatTemplatePiece[] = [];
    let afterAnswer = false;
    let answers = 0;
    const push = (piece: ChatTemplatePiece) => {
        if (piece.kind === "text" && piece.text === "") return;
        // The first token after an answer ends the turn when the template writes a special token there
        pieces.push(afterAnswer && piece.kind !== "text" && piece.loss === "none" ? {...piece, loss: "first"} : piece);
        afterAnswer = false;
    };
    for (const value of contextText.values) {
        if (value instanceof SpecialToken) push({kind: "specialToken", text: value.value, loss: "none"});
        else if (value instanceof SpecialTokensText) push({kind: "specialText", text: value.value, loss: "none"});
        else {
            let start = 0;
            for (const match of value.matchAll(answerMarker)) {
                push({kind: "text", text: value.slice(start, match.index), loss: "none"});
                const answer = turns[Number(match[1])]!.text;
                pieces.push({kind: "text", text: answer, loss: "all"});
                afterAnswer = true;
                answers++;
                start = match.index + match[0].length;
            }
            push({kind: "text", text: value.slice(start), loss: "none"});
        }
    }
    if (answers !== turns.filter((turn) => turn.role === "assistant").length)
        throw new Error(`the ${chatWrapper.wrapperName} chat template left out an assistant turn of a training example`);
    if (turns.at(-1)?.role === "assistant")
        pieces.push({kind: "specialToken", text: "EOS" satisfies BuiltinSpecialTokenValue, loss: "all"});
    return pieces;
}
