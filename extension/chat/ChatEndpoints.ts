import * as vscode from "vscode";
import type {EngineStatus} from "../../webview/protocol/chatProtocol";
import type {BelleSettings} from "../config/readBelleSettings";
import type {EngineSupervisor} from "../engine/EngineSupervisor";

export interface ChatEndpoint {
    /** Including `/v1`. */
    baseUrl: string,
    apiKey: string | undefined,
    model: string,
    /** Context window per request, when known (the local engine reports it). */
    contextSize: number | null
}

export const remoteApiKeySecret = "belle.remote.apiKey";

/**
 * Where chat requests go: the user's remote OpenAI-compatible endpoint when one is configured, else the local
 * engine (started on first use). Also the single source of the status the chat and the status bar show.
 */
export class ChatEndpoints implements vscode.Disposable {
    private readonly _onDidChangeStatus = new vscode.EventEmitter<EngineStatus>();
    public readonly onDidChangeStatus = this._onDidChangeStatus.event;
    private readonly _subscription: vscode.Disposable;
    private _remoteActive = 0;
    private _remoteTokensPerSecond: number | null = null;
    private _remoteError: string | null = null;

    public constructor(
        private readonly _engine: EngineSupervisor,
        private readonly _settings: () => BelleSettings,
        private readonly _secrets: vscode.SecretStorage
    ) {
        this._subscription = _engine.onDidChangeStatus(() => this._fire());
    }

    public get usesRemote(): boolean {
        return this._settings().remoteUrl !== "";
    }

    /** No model configured and no remote endpoint: the chat shows its first-run guide. */
    public get needsModel(): boolean {
        return !this.usesRemote && this._settings().model === "";
    }

    public get status(): EngineStatus {
        const settings = this._settings();
        if (settings.remoteUrl === "") return this._engine.status;
        return {
            state: this._remoteError != null ? "error" : this._remoteActive > 0 ? "busy" : "ready",
            model: settings.remoteModel === "" ? settings.remoteUrl : settings.remoteModel,
            backend: vscode.l10n.t("remote"),
            remote: true,
            lastTokensPerSecond: this._remoteTokensPerSecond,
            error: this._remoteError
        };
    }

    public async resolve(): Promise<ChatEndpoint> {
        const settings = this._settings();
        if (settings.remoteUrl !== "") {
            return {
                baseUrl: settings.remoteUrl,
                apiKey: await this._secrets.get(remoteApiKeySecret),
                model: settings.remoteModel,
                contextSize: null
            };
        }
        if (settings.model === "")
            throw new Error(vscode.l10n.t("No model is selected. Run \"BELLE: Select Model\" (or pick the demo model) first."));
        const ready = await this._engine.ensureStarted();
        return {baseUrl: `http://${ready.host}:${ready.port}/v1`, apiKey: ready.token, model: ready.model, contextSize: ready.contextSize};
    }

    /**
     * A request found the endpoint unreachable before any answer arrived: for the local engine, wait for its
     * restart. True when it is ready again and the request is worth one more try.
     */
    public async recover(): Promise<boolean> {
        if (this.usesRemote) return false;
        return await this._engine.recoverAfterConnectionFailure() != null;
    }

    /** Marks a request in flight; call the returned function when it ends (with its tokens/s when known). */
    public beginRequest(): (tokensPerSecond?: number) => void {
        if (!this.usesRemote) {
            this._engine.trackRequest(1);
            return (tokensPerSecond) => this._engine.trackRequest(-1, tokensPerSecond);
        }
        this._remoteActive++;
        this._remoteError = null;
        this._fire();
        return (tokensPerSecond) => {
            this._remoteActive--;
            if (tokensPerSecond != null && tokensPerSecond > 0) this._remoteTokensPerSecond = tokensPerSecond;
            this._fire();
        };
    }

    public async retry(): Promise<void> {
        this._remoteError = null;
        if (this.usesRemote) {
            this._fire();
            return;
        }
        await this._engine.restart();
    }

    public dispose(): void {
        this._subscription.dispose();
        this._onDidChangeStatus.dispose();
    }

    /** Settings changed: tell listeners what the chat now talks to. */
    public refresh(): void {
        this._fire();
    }

    private _fire(): void {
        this._onDidChangeStatus.fire(this.status);
    }
}
