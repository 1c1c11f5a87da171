import type {WebviewUiState} from "../protocol/chatProtocol";
import {isRecord} from "../protocol/isRecord";
import type {VsCodeApi} from "./vsCodeApi";

function isWebviewUiState(value: unknown): value is WebviewUiState {
    return isRecord(value) && (typeof value.conversationId === "string" || value.conversationId === null) && typeof value.draft === "string";
}

/**
 * The small state VS Code keeps for the webview across reloads (and, with the panel serializer, restarts). The rest
 * comes back from the extension in `init`.
 */
export class WebviewStateStore {
    private _state: WebviewUiState;

    public constructor(private readonly _api: VsCodeApi) {
        const stored = _api.getState();
        this._state = isWebviewUiState(stored) ? {conversationId: stored.conversationId, draft: stored.draft} : {conversationId: null, draft: ""};
    }

    public get state(): Readonly<WebviewUiState> {
        return this._state;
    }

    public update(change: Partial<WebviewUiState>): void {
        const next = {...this._state, ...change};
        if (next.conversationId === this._state.conversationId && next.draft === this._state.draft) return;
        this._state = next;
        this._api.setState(next);
    }
}
