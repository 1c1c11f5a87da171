import type * as vscode from "vscode";
import type {EvalSetTreeProvider} from "./annotation/EvalSetTreeProvider";
import type {EngineStatus} from "../webview/protocol/chatProtocol";
import type {TrainingViewState} from "../webview/protocol/trainProtocol";

/**
 * What `activate()` returns. Other extensions may use it; the tests inside the VS Code host use it to reach the
 * engine and the views' data without going through the UI.
 */
export interface BelleExtensionApi {
    readonly engine: {
        readonly status: EngineStatus,
        /** PID of the local engine process while it runs. */
        readonly pid: number | undefined,
        /** `http://127.0.0.1:<port>` of the local engine while it is ready. */
        readonly baseUrl: string | undefined,
        readonly onDidChangeStatus: vscode.Event<EngineStatus>,
        start(): Promise<void>,
        stop(): Promise<void>,
        restart(): Promise<void>
    },
    /** The data of the Explorer's Eval Set view (the active editor's eval set), as the view reads it. */
    readonly evalSetView: Pick<EvalSetTreeProvider, "document" | "onDidChangeTreeData" | "getChildren" | "getTreeItem">,
    /** What the open training views show: one state per job whose panel is open. */
    readonly trainingViews: {readonly states: readonly TrainingViewState[]}
}
