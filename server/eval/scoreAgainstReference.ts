/** The reference judge's verdict on one answer: a score, or why there is none. */
export type ReferenceScore =
    | {ok: true, score: number, precision: number, recall: number, reason: string}
    | {ok: false, error: string};

// One CJK character, or a run of other letters, digits and combining marks (a Latin word, a number)
const referenceUnit = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])[\p{L}\p{N}\p{M}])+/gu;

/**
 * The units the reference judge counts, in the normal form that makes full-width and half-width, case, spacing
 * and punctuation not matter (NFKC, lower case): each CJK character on its own — for Chinese, characters are the
 * natural unit, and segmenting words would need a dictionary — and each run of other letters and digits as one
 * word. Everything else (spaces, punctuation, symbols, emoji) is left out.
 */
export function referenceUnits(text: string): string[] {
    return text.normalize("NFKC").toLowerCase().match(referenceUnit) ?? [];
}

/**
 * Scores an answer offline, without a judge model: the F1 of the multiset overlap between the answer's units and
 * the standard answer's (`referenceUnits`), from 0 to 1. It measures how much of the standard answer an answer
 * says (recall) and how much of the answer is the standard answer (precision), not whether it is right: good for
 * short factual answers and memorised ones, blind to paraphrase. An answer with no unit scores 0; an item with no
 * standard answer gets no score.
 */
export function scoreAgainstReference(answer: string, stdAnswer: string): ReferenceScore {
    const reference = referenceUnits(stdAnswer);
    if (reference.length === 0)
        return {ok: false, error: "no standard answer to compare with: write one, or use a judge model"};
    const answered = referenceUnits(answer);
    const remaining = new Map<string, number>();
    for (const unit of reference) remaining.set(unit, (remaining.get(unit) ?? 0) + 1);
    let overlap = 0;
    for (const unit of answered) {
        const count = remaining.get(unit) ?? 0;
        if (count > 0) {
            overlap++;
            remaining.set(unit, count - 1);
        }
    }
    const precision = answered.length === 0 ? 0 : overlap / answered.length;
    const recall = overlap / reference.length;
    const score = overlap === 0 ? 0 : 2 * precision * recall / (precision + recall);
    return {ok: true, score, precision, recall, reason: `reference F1 ${score.toFixed(2)} (precision ${precision.toFixed(2)}, recall ${recall.toFixed(2)})`};
}

