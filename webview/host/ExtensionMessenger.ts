import {
    isExtensionToWebviewMessage, type CommandMap, type CommandMessage, type NotificationMessage, type RequestMap,
    type RequestMessage, type ResponseMessage
} from "../protocol/chatProtocol";
import type {VsCodeApi} from "./vsCodeApi";

export type RequestOutcome<K extends keyof RequestMap> =
    | {ok: true, result: RequestMap[K]["result"]}
    | {ok: false, error: string, timedOut: boolean};

interface PendingRequest {
    settle(response: ResponseMessage | null): void
}

/**
 * The webview's end of chatProtocol: commands out, requests out with an id and a timeout, notifications and
 * responses in. Nothing is posted before `ready`, and `ready` goes out only once the listener is installed, so the
 * extension can answer it at once without losing a message.
 */
export class ExtensionMessenger {
    private _started = false;
    private _requestCounter = 0;
    private readonly _pending = new Map<string, PendingRequest>();

    public constructor(
        private readonly _api: VsCodeApi,
        private readonly _onNotification: (message: NotificationMessage) => void
    ) {}

    public start(conversationId: string | null): void {
        if (this._started) throw new Error("ExtensionMessenger.start called twice");
        window.addEventListener("message", (event: MessageEvent<unknown>) => this._receive(event.data));
        this._started = true;
        this._api.postMessage({kind: "command", method: "ready", params: {conversationId}});
    }

    public command<K extends Exclude<keyof CommandMap, "ready">>(method: K, params: CommandMap[K]): void {
        if (!this._started) throw new Error(`"${method}" posted before "ready"`);
        // The mapped union cannot be correlated with a generic K by the compiler; the signature above is the check.
        this._api.postMessage({kind: "command", method, params} as CommandMessage);
    }

    public request<K extends keyof RequestMap>(
        method: K, params: RequestMap[K]["params"], timeoutMs = 10_000
    ): Promise<RequestOutcome<K>> {
        if (!this._started) throw new Error(`"${method}" requested before "ready"`);
        const requestId = `${method}-${Date.now().toString(36)}-${++this._requestCounter}`;
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                this._pending.delete(requestId);
                resolve({ok: false, error: `${method} timed out after ${timeoutMs} ms`, timedOut: true});
            }, timeoutMs);
            this._pending.set(requestId, {
                settle: (response) => {
                    clearTimeout(timer);
                    this._pending.delete(requestId);
                    if (response == null || response.method !== method) resolve({ok: false, error: "mismatched response", timedOut: false});
                    else if (response.ok) resolve({ok: true, result: response.result});
                    else resolve({ok: false, error: response.error, timedOut: false});
                }
            });
            this._api.postMessage({kind: "request", method, requestId, params} as RequestMessage);
        });
    }

    private _receive(data: unknown): void {
        if (!isExtensionToWebviewMessage(data)) return; // other frames' traffic and VS Code's own messages
        if (data.kind === "response") {
            this._pending.get(data.requestId)?.settle(data);
            return;
        }
        try {
            this._onNotification(data);
        } catch (error) {
            // One bad notification must not take the listener down with it: later ones still render.
            console.error(`[belle] handling ${data.method} failed`, error);
        }
    }
}
