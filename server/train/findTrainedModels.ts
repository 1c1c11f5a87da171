import fs from "node:fs/promises";
import path from "node:path";
import {readTrainJobSpec} from "./TrainJobSpec";

/** A model a training job of the workspace has written: what the model picker lists as "trained". */
export type TrainedModel = {
    /** The job's name: its spec's file name without `.json`. */
    name: string,
    specPath: string,
    outputPath: string,
    baseModel: string,
    trainingFile: string,
    epochs: number,
    /** When the output was written (ms since the epoch). */
    savedAtMs: number
};

/**
 * The trained models of these folders: each job spec in `<folder>/.belle/train/*.json` whose output GGUF exists,
 * newest first. Specs that do not read as jobs (hand-edited, half-written) are passed over: the model picker must
 * not fail on them, and "Run Training Job" reports their problems.
 */
export async function findTrainedModels(folders: readonly string[]): Promise<TrainedModel[]> {
    const found: TrainedModel[] = [];
    for (const folder of folders) {
        const specsFolder = path.join(folder, ".belle", "train");
        const names = await fs.readdir(specsFolder).catch(() => [] as string[]);
        for (const name of names.filter((entry) => entry.endsWith(".json"))) {
            const specPath = path.join(specsFolder, name);
            const spec = await readTrainJobSpec(specPath).catch(() => null);
            if (spec == null) continue;
            const stat = await fs.stat(spec.output).catch(() => null);
            if (stat == null || !stat.isFile()) continue;
            found.push({
                name: name.slice(0, -".json".length), specPath, outputPath: spec.output, baseModel: spec.baseModel,
                trainingFile: spec.trainingFile, epochs: spec.epochs, savedAtMs: stat.mtimeMs
            });
        }
    }
    return found.sort((a, b) => b.savedAtMs - a.savedAtMs);
}
