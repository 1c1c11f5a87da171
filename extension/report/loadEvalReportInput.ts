import {readEvalRunFile} from "../../server/eval/EvalRunFile";
import {compareEvalRuns} from "../../server/eval/report/compareEvalRuns";
import {computeEvalReport} from "../../server/eval/report/computeEvalReport";
import type {EvalReportPanelInput} from "./EvalReportPanel";

/** Reads the run files (the first the baseline) and computes the report of one, or the comparison of several. */
export async function loadEvalReportInput(runFilePaths: string[]): Promise<EvalReportPanelInput> {
    const runs = await Promise.all(runFilePaths.map((runFilePath) => readEvalRunFile(runFilePath)));
    const report = runs.length === 1 ? computeEvalReport(runs[0]!) : compareEvalRuns(runs);
    return {report, records: runs.map((run) => [...run.records]), runFilePaths};
}
