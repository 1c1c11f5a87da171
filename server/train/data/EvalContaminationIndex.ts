import {NearDuplicateIndex} from "../../eval/annotation/findNearDuplicates";
import type {EvalItem} from "../../eval/EvalItem";
import {EvalQuestionContainment} from "./EvalQuestionContainment";
import type {TrainingExample} from "./TrainingExample";

/** An eval question found in a training example. */
export type ContaminationMatch = {
    trainingLine: number,
    /** Which text of the example holds it: "instruction", "input", "instruction+input" or `conversations[i]`. */
    trainingField: string,
    /** The eval item's 0-based index among the eval set's items (broken ones counted) and its line. */
    evalIndex: number,
    evalLine: number,
    /**
     * Jaccard similarity of character bigrams, punctuation and whitespace ignored; 1 for an exact match; for a
     * question found inside a longer text (`contained`), the share of the text the question makes up.
     */
    similarity: number,
    /** The same text once surrounding whitespace is trimmed and runs of whitespace are collapsed. */
    exact: boolean,
    /** The whole question appears inside the longer training text (see EvalQuestionContainment). */
    contained: boolean
};

const whitespaceRun = /\s+/g;

/**
 * An eval set's questions, indexed so that each training text can be checked against all of them at once: exactly
 * (a map of the whitespace-normalised question), nearly (`NearDuplicateIndex`, MinHash candidates then exact
 * bigram Jaccard, so no false positives), and inside a longer text (`EvalQuestionContainment`). Memory is the eval
 * set's, whatever the training file's size.
 */
export class EvalContaminationIndex {
    private readonly nearIndex: NearDuplicateIndex;
    private readonly items: Array<{index: number, line: number}> = [];
    private readonly exactPosition = new Map<string, number>();
    private readonly containment = new EvalQuestionContainment();

    public constructor(evalItems: readonly EvalItem[], public readonly threshold = 0.8) {
        this.nearIndex = new NearDuplicateIndex(threshold);
        for (const item of evalItems) {
            const position = this.items.length;
            this.items.push({index: item.index, line: item.range.line});
            this.nearIndex.add(item.question);
            this.containment.add(item.question);
            const key = exactKey(item.question);
            if (!this.exactPosition.has(key)) this.exactPosition.set(key, position);
        }
    }

    public get size(): number {
        return this.items.length;
    }

    /**
     * The eval questions in an example's human side, the best match per eval item. Each human turn is checked; a
     * single-turn record's instruction and input also apart, since an eval question pasted into the instruction with
     * unrelated input would not match the whole.
     */
    public match(example: TrainingExample): ContaminationMatch[] {
        const best = new Map<number, ContaminationMatch>();
        const check = (text: string, trainingField: string) => {
            if (text.trim() === "") return;
            const exact = this.exactPosition.get(exactKey(text));
            let found = exact != null ? {index: exact, similarity: 1} : this.nearIndex.query(text);
            let contained = false;
            if (found == null) {
                const inside = this.containment.find(text);
                if (inside == null) return;
                found = {index: inside.index, similarity: inside.coverage};
                contained = true;
            }
            const item = this.items[found.index]!;
            const earlier = best.get(found.index);
            // A whole-text match (exact, then the most similar) is better evidence than a question inside a longer text
            if (earlier != null && (earlier.exact || (!earlier.contained && contained) ||
                (earlier.contained === contained && earlier.similarity >= found.similarity))) return;
            best.set(found.index, {
                trainingLine: example.line, trainingField, evalIndex: item.index, evalLine: item.line,
                similarity: found.similarity, exact: exact != null, contained
            });
        };

        if (example.singleTurn != null) {
            const {instruction, input} = example.singleTurn;
            if (instruction.trim() !== "" && input.trim() !== "") {
                check(instruction + input, "instruction+input");
                check(instruction, "instruction");
                check(input, "input");
            } else
                check(instruction + input, input.trim() === "" ? "instruction" : "input");
        } else {
            example.turns.forEach((turn, index) => {
                if (turn.role === "user") check(turn.text, `conversations[${index}]`);
            });
        }
        return [...best.values()];
    }
}

function exactKey(text: string): string {
    return text.trim().replace(whitespaceRun, " ");
}
