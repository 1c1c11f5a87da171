import {createHash} from "node:crypto";
import type {EvalItem} from "./EvalItem";
import {findJudgePrompt, shippedJudgePrompts, type JudgePromptSet} from "./JudgePromptSet";

export type RenderedJudgePrompt = {
    /** The one user message to send the judge (BELLE sends it alone, at temperature 0). */
    message: string,
    /** The class prompt used (its `judgePromptKey`), or null when the class has none and the general prompt was used. */
    promptClass: string | null,
    includesReference: boolean,
    /**
     * sha256 (hex) of the template and instruction that built `message`, without the item or the answer: a cache key
     * part that changes when a prompt is edited and stays when it is not.
     */
    promptVersion: string
};

const placeholder = /\{(prompt|question|std_answer|answer)\}/g;

/**
 * The judge message for an item and a model's answer, built as BELLE's scorer builds it: the class's instruction,
 * the question, the standard answer only for classes judged against one, then the answer and the request for a
 * score and a reason. `prompts` is the shipped set, or it merged with a workspace override.
 */
export function renderJudgePrompt(
    item: Pick<EvalItem, "question" | "stdAnswer" | "className">,
    modelAnswer: string,
    prompts: JudgePromptSet = shippedJudgePrompts
): RenderedJudgePrompt {
    const {key, prompt} = findJudgePrompt(item.className, prompts);
    const includesReference = prompt.reference === "always" || (prompt.reference === "whenPresent" && item.stdAnswer.trim() !== "");
    const template = includesReference ? prompts.messageTemplate.withReference : prompts.messageTemplate.withoutReference;

    const values: Record<string, string> = {prompt: prompt.prompt, question: item.question, std_answer: item.stdAnswer, answer: modelAnswer};
    // One pass, so a question or answer that happens to contain "{answer}" is sent as written, not filled in again
    const message = template.replace(placeholder, (_match, name: string) => values[name]!);

    const promptVersion = createHash("sha256").update(JSON.stringify([template, prompt.prompt])).digest("hex");
    return {message, promptClass: key, includesReference, promptVersion};
}
