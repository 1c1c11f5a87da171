import type {TrainingTurn} from "./TrainingExample";

/** BELLE's trainer opens each human turn with this… */
export const belleHumanPrefix = "Human: \n";
/** …and closes it with this, after which the assistant's text follows (then EOS). */
export const belleAssistantPrefix = "\n\nAssistant: \n";

/**
 * The text BELLE's trainer builds from an example: each human turn as `Human: \n{text}\n\nAssistant: \n` (newlines,
 * not spaces: a trailing space once merged with the next token and broke the loss mask), each assistant turn as its
 * text. The trainer adds an EOS token after every assistant turn, which a token count adds on top of this text.
 * The engine prompts a model without a chat template in the same format (BelleChatWrapper).
 */
export function renderTrainingText(turns: readonly TrainingTurn[]): string {
    let text = "";
    for (const turn of turns) text += turn.role === "user" ? `${belleHumanPrefix}${turn.text}${belleAssistantPrefix}` : turn.text;
    return text;
}
