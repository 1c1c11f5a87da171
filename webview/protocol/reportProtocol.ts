// The contract between the evaluation report webview and the extension host: types, descriptors and their field
// guards only (no DOM, no Node, no vscode), so it compiles under every tsconfig. The envelope is webviewMessages.ts's.
//
// extension → webview: `report/show` (the answer to `ready`), `report/unavailable` (instead of `report/show` when a
// restored panel's run files cannot be read).
// webview → extension: `ready` (first), the request `report/export` (answered exactly once: the files written).
// The webview keeps a ReportPanelState with `setState`; the panel's serializer reopens the report from it.

import type {EvalComparison} from "../../server/eval/report/compareEvalRuns";
import type {EvalReport} from "../../server/eval/report/computeEvalReport";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import type {ReportStrings} from "../report/reportStrings";
import {isRecord} from "./isRecord";
import {commandType, isMessageToExtension, isMessageToWebview, isNoParams, notificationType, requestType, type IncomingToExtension,
    type IncomingToWebview, type NotificationOf, defineWebviewProtocol} from "./webviewMessages";

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

export interface ExportParams {
    format: ExportFormat
}

export interface ExportResult {
    /** The files written (a CSV per run; one Markdown or JSON file). */
    paths: string[]
}

const isPathList = (value: unknown): value is string[] =>
    Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "string" && item !== "");
const isOptionalText = (value: unknown): boolean => value == null || typeof value === "string";

/** The state a serializer is handed comes from the webview's storage: anything else is refused, not trusted. */
export function isReportPanelState(value: unknown): value is ReportPanelState {
    return isRecord(value) && isPathList(value.runFilePaths) &&
        (value.classFilter === undefined || typeof value.classFilter === "string") &&
        (value.query === undefined || typeof value.query === "string") &&
        (value.pageIndex === undefined || (Number.isSafeInteger(value.pageIndex) && (value.pageIndex as number) >= 0));
}

/**
 * The fields of a run record the report reads. The score is not checked here: `recordScore` treats anything but a
 * number in [0, 1] as a failure, as the report on the host does.
 */
export function isReportedRunRecord(value: unknown): value is EvalRunRecord {
    return isRecord(value) && typeof value.itemKey === "string" && typeof value.index === "number" && typeof value.question === "string" &&
        typeof value.stdAnswer === "string" && typeof value.className === "string" && isOptionalText(value.evalClass) &&
        isOptionalText(value.answer) && isOptionalText(value.judgeReason) && isOptionalText(value.error);
}

/** An EvalReport or an EvalComparison, by its kind and the parts the report walks. */
export function isShownReport(value: unknown): value is EvalReport | EvalComparison {
    if (!isRecord(value)) return false;
    if (value.kind === "evalReport")
        return isRecord(value.run) && Array.isArray(value.classes) && isRecord(value.bootstrap) && isRecord(value.overall);
    if (value.kind === "evalComparison")
        return Array.isArray(value.reports) && value.reports.every((report) => isShownReport(report) && report.kind === "evalReport") &&
            Array.isArray(value.comparisons) && Array.isArray(value.warnings) && isRecord(value.bootstrap);
    return false;
}

const isStringTable = (value: unknown): value is Record<string, string> =>
    isRecord(value) && Object.values(value).every((text) => typeof text === "string");

export const reportCommands = {
    ready: commandType("ready", isNoParams)
};

export const reportRequests = {
    export: requestType("report/export",
        (value: unknown): value is ExportParams => isRecord(value) && exportFormats.includes(value.format as ExportFormat),
        (value: unknown): value is ExportResult => isRecord(value) && isPathList(value.paths))
};

export const reportNotifications = {
    show: notificationType("report/show", (value: unknown): value is ReportShowParams =>
        isRecord(value) && isShownReport(value.report) && isPathList(value.runFilePaths) && isStringTable(value.strings) &&
        Array.isArray(value.records) &&
        value.records.every((run) => Array.isArray(run) && run.every(isReportedRunRecord))),
    unavailable: notificationType("report/unavailable", (value: unknown): value is ReportUnavailableParams =>
        isRecord(value) && typeof value.message === "string")
};

export const reportProtocol = defineWebviewProtocol(reportCommands, reportRequests, reportNotifications);

export type ReportToExtensionMessage = IncomingToExtension<typeof reportProtocol>;
export type ExtensionToReportMessage = IncomingToWebview<typeof reportProtocol>;
export type ReportNotificationMessage = NotificationOf<typeof reportProtocol>;

export function isReportToExtensionMessage(value: unknown): value is ReportToExtensionMessage {
    return isMessageToExtension(reportProtocol, value);
}

export function isExtensionToReportMessage(value: unknown): value is ExtensionToReportMessage {
    return isMessageToWebview(reportProtocol, value);
}
