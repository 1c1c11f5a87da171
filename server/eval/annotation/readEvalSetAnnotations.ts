import fs from "node:fs/promises";
import {readEvalSetFile, type ReadEvalSetOptions} from "../readEvalSet";
import {evalItemKey} from "../runEvalJob";
import {annotationSidecarPath, parseAnnotationSidecar, sidecarKey} from "./AnnotationSidecar";
import {readEvalAnnotation, type EvalAnnotation} from "./EvalAnnotation";

/**
 * The annotations of an eval set's items, by `evalItemKey`: what a run's records join on, since a record carries
 * the key and not the item's fields. Items without an annotation are absent. An item edited since a run (another
 * question) has another key, so its annotation does not attach to that run's old record. A sidecar file beside the
 * eval set (`annotationSidecarPath`) is read too; its annotation of an item wins over the item's own.
 * Throws `EvalSetReadError` when the file cannot be read at all.
 */
export async function readEvalSetAnnotations(evalSetPath: string, options: Pick<ReadEvalSetOptions, "signal"> = {}): Promise<Map<string, EvalAnnotation>> {
    const {items} = await readEvalSetFile(evalSetPath, {...options, maxDiagnostics: 0});
    let sidecarText = "";
    try {
        sidecarText = await fs.readFile(annotationSidecarPath(evalSetPath), "utf8");
    } catch {
        // no sidecar: the annotations are in the items, if anywhere
    }
    const sidecar = parseAnnotationSidecar(sidecarText);
    const annotations = new Map<string, EvalAnnotation>();
    for (const item of items) {
        const annotation = sidecar.get(sidecarKey(item.question))?.annotation ?? readEvalAnnotation(item.fields);
        if (annotation != null) annotations.set(evalItemKey(item), annotation);
    }
    return annotations;
}
