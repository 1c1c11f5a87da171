import {JsonScanner} from "../../server/eval/JsonScanner";

/** How much of a document is read to decide; an eval item is far shorter. */
export const evalSetSniffChars = 64 * 1024;

const questionKey = /"question"\s*:/;
const answerOrClassKey = /"(?:std_answer|class)"\s*:/;

/**
 * Whether JSON text that no `belle.evalSetGlobs` pattern names is an eval set: its first item, the first line of
 * JSONL or the first element of an array, has a "question" field and a "std_answer" or a "class" field. `head` is the
 * start of the text (`evalSetSniffChars` is enough). A first item that is not valid JSON is judged by its field
 * names alone, so a set whose first line is being edited is still recognised.
 */
export function looksLikeEvalSet(head: string): boolean {
    const firstSignificant = /[^ \t\r\n\ufeff]/.exec(head);
    if (firstSignificant == null) return false;

    if (firstSignificant[0] === "[") {
        const itemStart = /[^ \t\r\n]/.exec(head.slice(firstSignificant.index + 1));
        if (itemStart?.[0] !== "{") return false;
        const itemOffset = firstSignificant.index + 1 + itemStart.index;
        try {
            return hasEvalItemFields(new JsonScanner(head, {offset: itemOffset}).parseValue().value);
        } catch {
            // Not valid JSON, or cut off by the end of `head`: judge the item's text up to its first '}'
            const itemText = head.slice(itemOffset);
            return hasEvalItemKeys(itemText.slice(0, itemText.indexOf("}") + 1 || undefined));
        }
    }
    if (firstSignificant[0] !== "{") return false;

    const lineEnd = /[\r\n]/.exec(head.slice(firstSignificant.index));
    const line = head.slice(firstSignificant.index, lineEnd == null ? undefined : firstSignificant.index + lineEnd.index);
    try {
        return hasEvalItemFields(JSON.parse(line));
    } catch {
        // A broken line is judged by its field names; a pretty-printed object ("{" alone on the first line) is not
        // JSONL, and its field names could be anywhere in it
        return hasEvalItemKeys(line);
    }
}

function hasEvalItemFields(value: unknown): boolean {
    if (typeof value !== "object" || value == null || Array.isArray(value)) return false;
    return Object.hasOwn(value, "question") && (Object.hasOwn(value, "std_answer") || Object.hasOwn(value, "class"));
}

function hasEvalItemKeys(text: string): boolean {
    return questionKey.test(text) && answerOrClassKey.test(text);
}

/**
 * Whether eval-set text is JSON Lines rather than one JSON value: its first line holds a whole JSON object and
 * more text follows it. VS Code opens such a file as JSON (BELLE names it `eval_set.json`) and then reports "End of
 * file expected" at line 2; it should be the `jsonl` language.
 */
export function looksLikeJsonLines(head: string): boolean {
    const start = /[^ \t\r\n\ufeff]/.exec(head);
    if (start?.[0] !== "{") return false;
    const lineEnd = /\r?\n/.exec(head.slice(start.index));
    if (lineEnd == null) return false;
    try {
        JSON.parse(head.slice(start.index, start.index + lineEnd.index));
    } catch {
        return false;
    }
    return /[^ \t\r\n]/.test(head.slice(start.index + lineEnd.index));
}
