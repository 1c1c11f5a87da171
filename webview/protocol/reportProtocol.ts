// The contract between the evaluation report webview and the extension host. Types and plain guards only (no DOM,
// no Node, no vscode), so it compiles under every tsconfig.
//
// extension → webview: `report/show` (after `ready`, never before), `report/unavailable` (instead of `report/show`
// when a restored panel's run files cannot be read), `report/exportResult` (answers one export).
// webview → extension: `ready` (first), `report/export` (carries a requestId; answered exactly once).
// The webview keeps a ReportPanelState with `setState`; the panel's serializer reopens the report from it.

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
    /** The run files the report was read from, the baseline first: what the webview saves to be restored. */
    runFilePaths: string[],
    strings: ReportStrings
}

export interface ReportUnavailableParams {
    /** Why, in the user's language. The webview keeps its saved state, so a later reload tries again. */
    message: string
}

/** What the webview saves with `setState`: the run files, and where the user was in the item table. */
export interface ReportPanelState {
    runFilePaths: string[],
    classFilter?: string,
    query?: string,
    pageIndex?: number
}

export type ExportResult = {ok: true, paths: string[]} | {ok: false, error: string};

export type ExtensionToReportMessage =
    | {method: "report/show", params: ReportShowParams}
    | {method: "report/unavailable", params: ReportUnavailableParams}
    | {method: "report/exportResult", params: {requestId: string, result: ExportResult}};

export type ReportToExtensionMessage =
    | {method: "ready"}
    | {method: "report/export", params: {requestId: string, format: ExportFormat}};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value != null;
const isPathList = (value: unknown): value is string[] =>
    Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "string" && item !== "");

/** The state a serializer is handed comes from the webview's storage: anything else is refused, not trusted. */
export function isReportPanelState(value: unknown): value is ReportPanelState {
    return isRecord(value) && isPathList(value.runFilePaths) &&
        (value.classFilter === undefined || typeof value.classFilter === "string") &&
        (value.query === undefined || typeof value.query === "string") &&
        (value.pageIndex === undefined || (Number.isSafeInteger(value.pageIndex) && (value.pageIndex as number) >= 0));
}

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
        return isRecord(value.params.report) && Array.isArray(value.params.records) && isPathList(value.params.runFilePaths) &&
            isRecord(value.params.strings);
    if (value.method === "report/unavailable")
        return typeof value.params.message === "string";
    if (value.method === "report/exportResult")
        return typeof value.params.requestId === "string" && isRecord(value.params.result);
    return false;
}
