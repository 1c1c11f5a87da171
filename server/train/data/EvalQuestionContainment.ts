/**
 * Finds eval questions that appear whole inside a longer training text — "请回答下面的问题：<eval question>
 * 要求简洁。" — which neither an exact match nor a similarity of the whole text catches. Both sides are compared in a
 * normal form (NFKC, lower case, no whitespace or punctuation), so width, spacing and punctuation changes do not hide
 * a question. Short questions are left out: a question of under eight characters (介绍一下长城) is found in too many unrelated texts.
 *
 * Each question is indexed by a rolling hash of its first `anchorLength` normal-form characters; a text is scanned
 * once with the same rolling hash, and only positions whose hash is an anchor are compared character by character.
 * The scan is O(text length) whatever the number of questions.
 */
export class EvalQuestionContainment {
    private readonly questions: string[] = [];
    /** Rolling hash of an anchor → the questions that start with it. */
    private readonly byAnchor = new Map<number, number[]>();
    private readonly dropHighFactor: number;

    /**
     * @param minLength Questions shorter than this in normal form are not indexed.
     * @param anchorLength Characters hashed per position; at most minLength.
     */
    public constructor(public readonly minLength = 8, private readonly anchorLength = 8) {
        if (anchorLength > minLength) throw new RangeError("anchorLength must not exceed minLength");
        this.dropHighFactor = 1;
        for (let index = 1; index < anchorLength; index++) this.dropHighFactor = Math.imul(this.dropHighFactor, hashBase);
    }

    /** Adds a question; its position (returned by `find`) is the number of questions added before it. */
    public add(question: string): void {
        const position = this.questions.length;
        const normal = normalForm(question);
        this.questions.push(normal);
        if (normal.length < this.minLength) return;
        const anchor = this.hashOf(normal, 0);
        const list = this.byAnchor.get(anchor);
        if (list == null) this.byAnchor.set(anchor, [position]);
        else list.push(position);
    }

    /**
     * The longest indexed question that `text` contains (in normal form), with the share of the text it covers;
     * null when none does.
     */
    public find(text: string): {index: number, coverage: number} | null {
        if (this.byAnchor.size === 0) return null;
        const normal = normalForm(text);
        const width = this.anchorLength;
        if (normal.length < this.minLength) return null;
        let best: number | null = null;
        let hash = this.hashOf(normal, 0);
        for (let start = 0; start + width <= normal.length; start++) {
            if (start > 0) {
                // Slide the window one character: drop normal[start - 1], add normal[start + width - 1]
                hash = (Math.imul(hash - Math.imul(normal.charCodeAt(start - 1), this.dropHighFactor), hashBase) + normal.charCodeAt(start + width - 1)) | 0;
            }
            const candidates = this.byAnchor.get(hash);
            if (candidates == null) continue;
            for (const position of candidates) {
                const question = this.questions[position]!;
                if ((best == null || question.length > this.questions[best]!.length) && normal.startsWith(question, start)) best = position;
            }
        }
        return best == null ? null : {index: best, coverage: this.questions[best]!.length / normal.length};
    }

    private hashOf(text: string, start: number): number {
        let hash = 0;
        for (let index = start; index < start + this.anchorLength; index++) hash = (Math.imul(hash, hashBase) + text.charCodeAt(index)) | 0;
        return hash;
    }
}

const hashBase = 0x01000193;
const ignored = /[\s\p{P}\p{S}]+/gu;

function normalForm(text: string): string {
    return text.normalize("NFKC").toLowerCase().replace(ignored, "");
}
