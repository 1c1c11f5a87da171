import path from "node:path";
import type {EvalAnnotation} from "../annotation/EvalAnnotation";
import {readEvalSetAnnotations} from "../annotation/readEvalSetAnnotations";
import {EvalSetReadError} from "../evalErrors";
import type {EvalRunContents} from "../EvalRunFile";
import type {EvalComparison} from "./compareEvalRuns";
import type {EvalReport} from "./computeEvalReport";
import {computeJudgeHumanAgreement} from "./computeJudgeHumanAgreement";

/**
 * Sets `agreement` on the report of each run (`report` itself, or each of a comparison's `reports`, in the order of
 * `runs`): the judge against the annotations of the eval set the run's header names. A run gets none when that eval
 * set cannot be read any more (moved, deleted) or rates none of its items; the report never fails for it.
 */
export async function addJudgeHumanAgreement(report: EvalReport | EvalComparison, runs: readonly EvalRunContents[], runFilePaths: readonly string[]): Promise<void> {
    const annotations = await readAnnotationsOfRuns(runs, runFilePaths);
    const reports = report.kind === "evalReport" ? [report] : report.reports;
    reports.forEach((runReport, index) => {
        const runAnnotations = annotations[index];
        if (runAnnotations == null || runAnnotations.size === 0) return;
        const agreement = computeJudgeHumanAgreement(runs[index]!.records, runAnnotations);
        if (agreement.pairCount + agreement.skipped.ratedOtherAnswer + agreement.skipped.notScored > 0) runReport.agreement = agreement;
    });
}

/** Each run's eval-set annotations by item key, every eval set read once; null where there is none to read. */
async function readAnnotationsOfRuns(runs: readonly EvalRunContents[], runFilePaths: readonly string[]): Promise<Array<ReadonlyMap<string, EvalAnnotation> | null>> {
    const byEvalSet = new Map<string, Promise<ReadonlyMap<string, EvalAnnotation> | null>>();
    return Promise.all(runs.map((run, index) => {
        // A header edited by hand may name none
        if (typeof run.header.evalSetPath !== "string" || run.header.evalSetPath === "") return null;
        // The runner writes an absolute path; a hand-made header's relative one is taken from the run file's folder
        const evalSetPath = path.resolve(path.dirname(runFilePaths[index] ?? "."), run.header.evalSetPath);
        let annotations = byEvalSet.get(evalSetPath);
        if (annotations == null) {
            annotations = readEvalSetAnnotations(evalSetPath).catch((error: unknown) => {
                // Moved or deleted since the run: the report stands without the agreement
                if (error instanceof EvalSetReadError) return null;
                throw error;
            });
            byEvalSet.set(evalSetPath, annotations);
        }
        return annotations;
    }));
}
