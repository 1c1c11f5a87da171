import type {TrainingTurn} from "./TrainingExample";

/**
 * The text BELLE's trainer builds from an example: each human turn as `Human: \n{text}\n\nAssistant: \n` (newlines,
 * not spaces: a trailing space once merged with the next token and broke the loss mask), each assistant turn as its
 * text. The trainer adds an EOS token after every assistant turn, which a token count adds on top of this text.
 */
export function renderTrainingText(turns: readonly TrainingTurn[]): string {
    let text = "";
    for (const turn of turns) text += turn.role === "user" ? `Human: \n${turn.text}\n\nAssistant: \n` : turn.text;
    return text;
}
