import {
    isMessageToWebview, type NotificationOf, type ParamsOf, type ResultOf, type WebviewProtocol
} from "../protocol/webviewMessages";
import type {VsCodeApi} from "./vsCodeApi";

export type RequestOutcome<R> =
    | {ok: true, result: R}
    | {ok: false, error: string, timedOut: boolean};

interface PendingRequest {
    method: string,
    settle(response: {ok: true, result: unknown} | {ok: false, error: string} | null): void
}

/**
 * The webview's end of a view's protocol (chat, report, training view): commands out, requests out with an id and
 * a timeout, notifications and responses in, each checked field by field before a handler sees it. Nothing is
 * posted before `ready`, and `ready` goes out only once the listener is installed, so the extension can answer it
 * at once without losing a message.
 */
export class WebviewMessenger<P extends WebviewProtocol> {
    private _started = false;
    private _requestCounter = 0;
    private readonly _pending = new Map<string, PendingRequest>();

    public constructor(
        private readonly _api: VsCodeApi,
        private readonly _protocol: P,
        private readonly _onNotification: (message: NotificationOf<P>) => void
    ) {}

    public start(params: ParamsOf<P["ready"]>): void {
        if (this._started) throw new Error("WebviewMessenger.start called twice");
        window.addEventListener("message", (event: MessageEvent<unknown>) => this._receive(event.data));
        this._started = true;
        this._api.postMessage({kind: "command", method: this._protocol.ready.method, params});
    }

    public command<T extends P["commands"][number]>(type: T, params: ParamsOf<T>): void {
        if (!this._started) throw new Error(`"${type.method}" posted before "ready"`);
        this._api.postMessage({kind: "command", method: type.method, params});
    }

    public request<T extends P["requests"][number]>(type: T, params: ParamsOf<T>, timeoutMs = 10_000): Promise<RequestOutcome<ResultOf<T>>> {
        if (!this._started) throw new Error(`"${type.method}" requested before "ready"`);
        const requestId = `${type.method}-${Date.now().toString(36)}-${++this._requestCounter}`;
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                this._pending.delete(requestId);
                resolve({ok: false, error: `${type.method} timed out after ${timeoutMs} ms`, timedOut: true});
            }, timeoutMs);
            this._pending.set(requestId, {
                method: type.method,
                settle: (response) => {
                    clearTimeout(timer);
                    this._pending.delete(requestId);
                    // isMessageToWebview checked the result with this request type's guard (its method is this one)
                    if (response == null) resolve({ok: false, error: "mismatched response", timedOut: false});
                    else if (response.ok) resolve({ok: true, result: response.result as ResultOf<T>});
                    else resolve({ok: false, error: response.error, timedOut: false});
                }
            });
            this._api.postMessage({kind: "request", method: type.method, requestId, params});
        });
    }

    private _receive(data: unknown): void {
        if (!isMessageToWebview(this._protocol, data)) return; // other frames' traffic, VS Code's own messages, malformed ones
        if (data.kind === "response") {
            const pending = this._pending.get(data.requestId);
            pending?.settle(pending.method === data.method ? data : null);
            return;
        }
        try {
            this._onNotification(data as NotificationOf<P>);
        } catch (error) {
            // One bad notification must not take the listener down with it: later ones still render.
            console.error(`[belle] handling ${data.method} failed`, error);
        }
    }
}
