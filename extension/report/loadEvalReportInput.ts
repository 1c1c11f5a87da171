import {readEvalRunFile} from "../../server/eval/EvalRunFile";
import {addJudgeHumanAgreement} from "../../server/eval/report/addJudgeHumanAgreement";
import {compareEvalRuns} from "../../server/eval/report/compareEvalRuns";
import {computeEvalReport} from "../../server/eval/report/computeEvalReport";
import type {EvalReportPanelInput} from "./EvalReportPanel";

/**
 * Reads the run files (the first the baseline) and computes the report of one, or the comparison of several, each
 * run's report with the judge's agreement with the annotations of its eval set where there are any.
 */
export async function loadEvalReportInput(runFilePaths: string[]): Promise<EvalReportPanelInput> {
    const runs = await Promise.all(runFilePaths.map((runFilePath) => readEvalRunFile(runFilePath)));
    const report = runs.length === 1 ? computeEvalReport(runs[0]!) : compareEvalRuns(runs);
    await addJudgeHumanAgreement(report, runs, runFilePaths);
    return {report, records: runs.map((run) => [...run.records]), runFilePaths};
}
