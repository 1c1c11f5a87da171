import type {CommandMessage, RequestMessage} from "../protocol/webviewMessages";

/** What VS Code injects into a webview. `acquireVsCodeApi` may be called once per page load. */
export interface VsCodeApi {
    postMessage(message: CommandMessage | RequestMessage): void,
    /** Whatever a previous load of this webview stored: possibly from an older version, so checked on read. */
    getState(): unknown,
    setState(state: unknown): void
}

declare global {
    function acquireVsCodeApi(): VsCodeApi;
}
