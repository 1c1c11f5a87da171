import {
    isMessageToExtension, type CommandType, type IncomingToExtension, type NotificationMessage, type NotificationType, type ParamsOf,
    type RequestType, type ResponseMessage, type ResultOf, type WebviewProtocol
} from "../../webview/protocol/webviewMessages";

/** The part of a `vscode.Webview` the dispatcher uses (so that it runs, and is tested, without VS Code). */
export interface WebviewEndpoint {
    postMessage(message: unknown): PromiseLike<boolean>,
    onDidReceiveMessage(listener: (message: unknown) => unknown): {dispose(): unknown}
}

export interface WebviewMessageDispatcherOptions {
    /** A message outside the protocol arrived (the webview renders untrusted text, so it is never acted on). */
    onMalformed?(message: unknown): void,
    /** A command's handler threw or rejected (a request's error goes back to the webview as its response instead). */
    onHandlerError?(method: string, error: unknown): void
}

/** Posts a notification at once, whether or not `ready` has been handled: for the ready handler's own answer. */
export type PostNow<P extends WebviewProtocol> = <T extends P["notifications"][number]>(type: T, params: ParamsOf<T>) => void;

type Handler = (message: IncomingToExtension<WebviewProtocol>) => unknown;

/**
 * The host's end of a view's protocol (chat, report, training view). Every message from the webview is checked field
 * by field (webviewMessages.ts) before its handler runs; requests are answered exactly once, with the handler's
 * result or its error. Nothing is posted before the webview's `ready`: a notification sent earlier is queued or
 * dropped as its descriptor says, and the queue goes out after the ready handler's own answer. A reloaded webview
 * sends `ready` again and is answered again.
 */
export class WebviewMessageDispatcher<P extends WebviewProtocol> {
    private readonly _handlers = new Map<string, Handler>();
    private readonly _queue: NotificationMessage[] = [];
    private readonly _subscription: {dispose(): unknown};
    private _ready = false;
    private _disposed = false;

    public constructor(private readonly _endpoint: WebviewEndpoint, private readonly _protocol: P,
        private readonly _options: WebviewMessageDispatcherOptions = {}) {
        this._subscription = _endpoint.onDidReceiveMessage((message) => this._receive(message));
    }

    /** Whether the webview has said `ready` and been answered (again false while a reload's `ready` is handled). */
    public get isReady(): boolean {
        return this._ready;
    }

    /** Answers `ready`: `post` sends at once (the first notification, before anything queued). */
    public onReady(handler: (params: ParamsOf<P["ready"]>, post: PostNow<P>) => unknown): void {
        this._handlers.set(`command:${this._protocol.ready.method}`, async (message) => {
            this._ready = false;
            try {
                await handler(message.params as ParamsOf<P["ready"]>, (type, params) => this._post({kind: "notification", method: type.method, params}));
            } finally {
                this._ready = true;
                for (const queued of this._queue.splice(0)) this._post(queued);
            }
        });
    }

    public onCommand<T extends Exclude<P["commands"][number], P["ready"]>>(type: T & CommandType, handler: (params: ParamsOf<T>) => unknown): void {
        this._handlers.set(`command:${type.method}`, (message) => handler(message.params as ParamsOf<T>));
    }

    /** The handler's result is the response; a throw or rejection becomes `{ok: false, error}`. */
    public onRequest<T extends P["requests"][number]>(type: T & RequestType, handler: (params: ParamsOf<T>) => ResultOf<T> | Promise<ResultOf<T>>): void {
        this._handlers.set(`request:${type.method}`, async (message) => {
            if (message.kind !== "request") return;
            let response: ResponseMessage;
            try {
                response = {kind: "response", method: type.method, requestId: message.requestId, ok: true, result: await handler(message.params as ParamsOf<T>)};
            } catch (error) {
                response = {kind: "response", method: type.method, requestId: message.requestId, ok: false, error: errorMessage(error)};
            }
            this._post(response);
        });
    }

    public notify<T extends P["notifications"][number]>(type: T & NotificationType, params: ParamsOf<T>): void {
        const message: NotificationMessage = {kind: "notification", method: type.method, params};
        if (this._ready) this._post(message);
        else if (type.beforeReady === "queue") this._queue.push(message);
    }

    public dispose(): void {
        this._disposed = true;
        this._queue.length = 0;
        this._subscription.dispose();
    }

    private _post(message: NotificationMessage | ResponseMessage): void {
        if (this._disposed) return;
        void this._endpoint.postMessage(message).then(undefined, () => undefined); // a disposed webview drops it
    }

    private async _receive(message: unknown): Promise<void> {
        if (!isMessageToExtension(this._protocol, message)) {
            this._options.onMalformed?.(message);
            return;
        }
        const handler = this._handlers.get(`${message.kind}:${message.method}`);
        try {
            await handler?.(message);
        } catch (error) {
            this._options.onHandlerError?.(message.method, error);
        }
    }
}

function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
