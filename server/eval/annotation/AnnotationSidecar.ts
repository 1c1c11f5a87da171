import path from "node:path";
import {readEvalAnnotation, type EvalAnnotation} from "./EvalAnnotation";

/**
 * Annotations kept beside an eval set instead of in it (the `belle.annotationStorage` setting, "sidecar"): for
 * `data/eval_set.json`, `data/eval_set.annotations.jsonl`, one line per annotated item,
 * `{"question": "…", "annotation": {…}}` — the question names the item, so reordering or editing other items does
 * not detach an annotation. Where an item has both, the sidecar's annotation is the one that counts.
 */
export function annotationSidecarPath(evalSetPath: string): string {
    const name = path.basename(evalSetPath).replace(/\.jsonl?$/i, "");
    return path.join(path.dirname(evalSetPath), `${name}.annotations.jsonl`);
}

/** How a sidecar line names its item: the question, runs of whitespace as one space, trimmed. */
export function sidecarKey(question: string): string {
    return question.replace(/\s+/gu, " ").trim();
}

export type SidecarEntry = {
    /** 1-based line of the entry in the sidecar. */
    line: number,
    /** The `annotation` object as written (unknown fields kept). */
    raw: Record<string, unknown>,
    annotation: EvalAnnotation | null
};

/** The entries of a sidecar's text by `sidecarKey`; lines that are not `{"question": string, "annotation": object}` are skipped. A later line for the same question wins. */
export function parseAnnotationSidecar(text: string): Map<string, SidecarEntry> {
    const entries = new Map<string, SidecarEntry>();
    text.split(/\r\n|\r|\n/).forEach((lineText, position) => {
        if (lineText.trim() === "") return;
        let value: unknown;
        try {
            value = JSON.parse(lineText);
        } catch {
            return;
        }
        if (value == null || typeof value !== "object" || Array.isArray(value)) return;
        const {question, annotation} = value as Record<string, unknown>;
        if (typeof question !== "string" || annotation == null || typeof annotation !== "object" || Array.isArray(annotation)) return;
        entries.set(sidecarKey(question), {line: position + 1, raw: annotation as Record<string, unknown>, annotation: readEvalAnnotation({annotation})});
    });
    return entries;
}
