import crypto from "node:crypto";
import * as vscode from "vscode";
import {buildTrainingViewHtml} from "../../webview/protocol/buildTrainingViewHtml";
import {
    trainingViewCommands, trainingViewNotifications, trainingViewProtocol, type TrainingViewAction, type TrainingViewEvent,
    type TrainingViewState
} from "../../webview/protocol/trainProtocol";
import {applyTrainingViewEvent, createTrainingViewState, isFinishedTrainingStatus} from "../../webview/protocol/trainingViewState";
import {trainingViewStrings} from "../../webview/train/trainingViewStrings";
import {translateStrings} from "../l10n/translateStrings";
import {WebviewMessageDispatcher, type PostNow} from "../webviews/WebviewMessageDispatcher";

export const trainingViewType = "belle.trainingView";

/** At most this often the view gets a message while a job runs: a trainer may report a step every few milliseconds. */
const flushIntervalMs = 100;

/** What the view's buttons do; a button whose callback is absent is not shown. */
export interface TrainingViewCallbacks {
    cancel(): void,
    chat?(modelPath: string): void,
    evaluate?(modelPath: string): void,
    reveal?(modelPath: string): void
}

/**
 * One training job in a webview panel: one panel per job (running the job again reuses and resets it). The panel
 * keeps the whole TrainingViewState; after the webview's `ready` (its first load, or a reload) it sends it whole,
 * then the events since the last message at most every 100 ms. Closing the panel does not stop the job.
 */
export class TrainingViewPanel implements vscode.Disposable {
    private static readonly _open = new Map<string, TrainingViewPanel>();

    private readonly _disposables: vscode.Disposable[] = [];
    private _disposed = false;
    private readonly _messages: WebviewMessageDispatcher<typeof trainingViewProtocol>;
    private _state: TrainingViewState;
    private _startedAtMs = Date.now();
    private _finishedAtMs: number | null = null;
    private _pending: TrainingViewEvent[] = [];
    private _flushTimer: ReturnType<typeof setTimeout> | undefined;

    private constructor(private readonly _panel: vscode.WebviewPanel, private readonly _extensionUri: vscode.Uri, private readonly _jobKey: string,
        name: string, private _callbacks: TrainingViewCallbacks) {
        this._state = createTrainingViewState(name);
        const webview = _panel.webview;
        webview.html = this._html(webview);
        // Neither notification is queued before `ready`: the state sent in answer to it holds everything so far
        const messages = this._messages = new WebviewMessageDispatcher(webview, trainingViewProtocol);
        messages.onReady((_params, post) => this._sendState(post));
        messages.onCommand(trainingViewCommands.action, ({action}) => this._onAction(action));
        this._disposables.push(messages, _panel.onDidDispose(() => this.dispose()));
    }

    /**
     * The panel of the job `jobKey` (its spec's path), opened beside the editor, or the open one revealed and reset
     * for a new run of it.
     */
    public static show(extensionUri: vscode.Uri, jobKey: string, name: string, callbacks: TrainingViewCallbacks): TrainingViewPanel {
        const open = TrainingViewPanel._open.get(jobKey);
        if (open != null) {
            open._restart(name, callbacks);
            open._panel.reveal(undefined, true);
            return open;
        }
        const panel = vscode.window.createWebviewPanel(trainingViewType, vscode.l10n.t("Training {0}", name),
            {viewColumn: vscode.ViewColumn.Beside, preserveFocus: true}, {
                enableScripts: true,
                retainContextWhenHidden: true,
                localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist", "webview")]
            });
        const created = new TrainingViewPanel(panel, extensionUri, jobKey, name, callbacks);
        TrainingViewPanel._open.set(jobKey, created);
        return created;
    }

    /** The open panels' states, for the tests inside the VS Code host. */
    public static get openStates(): readonly TrainingViewState[] {
        return [...TrainingViewPanel._open.values()].map((panel) => panel._state);
    }

    public get state(): TrainingViewState {
        return this._state;
    }

    /** Applies the events to the state and queues them for the webview. */
    public report(events: readonly TrainingViewEvent[]): void {
        if (this._disposed || events.length === 0) return;
        for (const event of events) {
            applyTrainingViewEvent(this._state, event);
            this._pending.push(event);
        }
        if (this._finishedAtMs == null && isFinishedTrainingStatus(this._state.status)) {
            this._finishedAtMs = Date.now();
            this._flush(); // the end at once: the buttons it enables should not wait for the timer
        } else {
            this._flushTimer ??= setTimeout(() => this._flush(), flushIntervalMs);
        }
    }

    public dispose(): void {
        if (this._disposed) return;
        this._disposed = true;
        clearTimeout(this._flushTimer);
        if (TrainingViewPanel._open.get(this._jobKey) === this) TrainingViewPanel._open.delete(this._jobKey);
        for (const disposable of this._disposables.splice(0)) disposable.dispose();
        this._panel.dispose();
    }

    private _restart(name: string, callbacks: TrainingViewCallbacks): void {
        this._state = createTrainingViewState(name);
        this._callbacks = callbacks;
        this._startedAtMs = Date.now();
        this._finishedAtMs = null;
        this._pending = [];
        this._panel.title = vscode.l10n.t("Training {0}", name);
        if (this._messages.isReady) this._sendState();
    }

    private _elapsedMs(): number {
        return (this._finishedAtMs ?? Date.now()) - this._startedAtMs;
    }

    private _flush(): void {
        clearTimeout(this._flushTimer);
        this._flushTimer = undefined;
        const events = this._pending;
        this._pending = [];
        // Before `ready` the webview is not listening: the state it asks for then has these events in it
        if (events.length > 0) this._messages.notify(trainingViewNotifications.events, {events, elapsedMs: this._elapsedMs()});
    }

    private _sendState(post: PostNow<typeof trainingViewProtocol> = (type, params) => this._messages.notify(type, params)): void {
        this._pending = [];
        this._state.elapsedMs = this._elapsedMs();
        const actions: TrainingViewAction[] = ["cancel"];
        if (this._callbacks.chat != null) actions.push("chat");
        if (this._callbacks.evaluate != null) actions.push("evaluate");
        if (this._callbacks.reveal != null) actions.push("reveal");
        post(trainingViewNotifications.state, {state: this._state, strings: translateStrings(trainingViewStrings), actions});
    }

    private _onAction(action: TrainingViewAction): void {
        const outputPath = this._state.outputPath;
        if (action === "cancel") {
            if (!isFinishedTrainingStatus(this._state.status)) this._callbacks.cancel();
        } else if (outputPath != null && this._state.status === "saved") {
            this._callbacks[action]?.(outputPath);
        }
    }

    private _html(webview: vscode.Webview): string {
        const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(this._extensionUri, "dist", "webview", file)).toString();
        return buildTrainingViewHtml({
            cspSource: webview.cspSource,
            nonce: crypto.randomBytes(16).toString("base64"),
            scriptUri: asset("train.js"),
            styleUri: asset("train.css"),
            lang: vscode.env.language,
            title: this._state.name
        });
    }
}
