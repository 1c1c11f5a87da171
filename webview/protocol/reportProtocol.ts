// The contract between the evaluation report webview and the extension host. Types and plain guards only (no DOM,
// no Node, no vscode), so it compiles under every tsconfig.
//
// extension → webview: `report/show` (after `ready`, never before), `report/exportResult` (answers one export).
// webview → extension: `ready` (first), `report/export` (carries a requestId; answered exactly once).

import type {EvalComparison} from "../../server/eval/report/compareEvalRuns";
import type {EvalReport} from "../../server/eval/report/computeEvalReport";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import type {ReportStrings} from "../report/reportStrings";

export type ExportFormat = "md" | "csv" | "json";
export const exportFormats: readonly ExportFormat[] = ["md", "csv", "json"];

export interface ReportShowParams {
    report: EvalReport | EvalComparison,
    /** Each run's records as in its file, in the order of the runs (the baseline first). */
    records: EvalRunRecord[][],
    strings: ReportStrings
}

export type ExportResult = {ok: true, paths: string[]} | {ok: false, error: string};

export type ExtensionToReportMessage =
    | {method: "report/show", params: ReportShowParams}
    | {method: "report/exportResult", params: {requestId: string, result: ExportResult}};

export type ReportToExtensionMessage =
    | {method: "ready"}
    | {method: "report/export", params: {requestId: string, format: ExportFormat}};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value != null;

export function isReportToExtensionMessage(value: unknown): value is ReportToExtensionMessage {
    if (!isRecord(value)) return false;
    if (value.method === "ready") return Object.keys(value).length === 1;
    if (value.method === "report/export") {
        const params = value.params;
        return isRecord(params) && typeof params.requestId === "string" && params.requestId !== "" &&
            exportFormats.includes(params.format as ExportFormat);
    }
    return false;
}

export function isExtensionToReportMessage(value: unknown): value is ExtensionToReportMessage {
    if (!isRecord(value) || !isRecord(value.params)) return false;
    if (value.method === "report/show")
        return isRecord(value.params.report) && Array.isArray(value.params.records) && isRecord(value.params.strings);
    if (value.method === "report/exportResult")
        return typeof value.params.requestId === "string" && isRecord(value.params.result);
    return false;
}
