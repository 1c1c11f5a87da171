import crypto from "node:crypto";
import * as vscode from "vscode";
import {buildChatHtml} from "../../webview/protocol/buildChatHtml";
import {ChatSession, type ChatSessionDependencies} from "./ChatSession";

export const chatPanelViewType = "belle.chat";
export const chatSidebarViewId = "belle.chatView";

/**
 * The chat's two homes: an editor panel (restored after a reload by its serializer) and the sidebar view. Both
 * load the same webview bundle and each gets its own ChatSession.
 */
export class ChatWebviews implements vscode.Disposable, vscode.WebviewViewProvider, vscode.WebviewPanelSerializer {
    private readonly _disposables: vscode.Disposable[] = [];
    private _panel: vscode.WebviewPanel | undefined;
    private _view: vscode.WebviewView | undefined;
    private readonly _sessions = new Map<vscode.Webview, ChatSession>();
    private _lastFocused: ChatSession | undefined;

    public constructor(private readonly _extensionUri: vscode.Uri, private readonly _deps: ChatSessionDependencies) {
        this._disposables.push(
            vscode.window.registerWebviewPanelSerializer(chatPanelViewType, this),
            vscode.window.registerWebviewViewProvider(chatSidebarViewId, this, {webviewOptions: {retainContextWhenHidden: true}})
        );
    }

    /** Reveals the chat panel, creating it if needed; resolves with its session. */
    public openPanel(): ChatSession {
        if (this._panel != null) {
            const session = this._sessions.get(this._panel.webview);
            if (session != null) {
                this._panel.reveal();
                return session;
            }
            this._panel = undefined;
        }
        const panel = vscode.window.createWebviewPanel(chatPanelViewType, vscode.l10n.t("BELLE Chat"), vscode.ViewColumn.Beside, {
            enableScripts: true,
            retainContextWhenHidden: true,
            localResourceRoots: this._resourceRoots()
        });
        return this._adoptPanel(panel);
    }

    /**
     * The session a command such as "Send Selection to Chat" should use, brought into view: the last focused one
     * (panel or sidebar), else the panel.
     */
    public targetSession(): ChatSession {
        const session = this._lastFocused;
        if (session == null || ![...this._sessions.values()].includes(session)) return this.openPanel();
        if (this._panel != null && this._sessions.get(this._panel.webview) === session) this._panel.reveal();
        else this._view?.show(true);
        return session;
    }

    public async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        panel.webview.options = {enableScripts: true, localResourceRoots: this._resourceRoots()};
        this._adoptPanel(panel);
    }

    public resolveWebviewView(view: vscode.WebviewView): void {
        this._view = view;
        // Kept: a disposed view's or panel's `webview` getter throws ("Webview is disposed"), so the dispose
        // handlers must not read it.
        const webview = view.webview;
        webview.options = {enableScripts: true, localResourceRoots: this._resourceRoots()};
        const session = this._attach(webview);
        this._lastFocused ??= session;
        view.onDidChangeVisibility(() => { if (view.visible) this._lastFocused = session; });
        view.onDidDispose(() => {
            if (this._view === view) this._view = undefined;
            this._detach(webview);
        });
    }

    public dispose(): void {
        for (const session of this._sessions.values()) session.dispose();
        this._sessions.clear();
        this._panel?.dispose();
        for (const disposable of this._disposables) disposable.dispose();
    }

    private _adoptPanel(panel: vscode.WebviewPanel): ChatSession {
        this._panel = panel;
        const webview = panel.webview;
        const session = this._attach(webview);
        this._lastFocused = session;
        panel.onDidChangeViewState(() => { if (panel.active) this._lastFocused = session; });
        panel.onDidDispose(() => {
            if (this._panel === panel) this._panel = undefined;
            this._detach(webview);
        });
        return session;
    }

    private _attach(webview: vscode.Webview): ChatSession {
        const session = new ChatSession(webview, this._deps);
        this._sessions.set(webview, session);
        webview.html = this._html(webview);
        return session;
    }

    private _detach(webview: vscode.Webview): void {
        const session = this._sessions.get(webview);
        session?.dispose();
        this._sessions.delete(webview);
        if (this._lastFocused === session) this._lastFocused = undefined;
    }

    private _resourceRoots(): vscode.Uri[] {
        return [vscode.Uri.joinPath(this._extensionUri, "dist", "webview")];
    }

    private _html(webview: vscode.Webview): string {
        const asset = (...segments: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this._extensionUri, "dist", "webview", ...segments)).toString();
        return buildChatHtml({
            cspSource: webview.cspSource,
            nonce: crypto.randomBytes(16).toString("base64"),
            scriptUri: asset("main.js"),
            styleUri: asset("main.css"),
            codiconsUri: asset("codicons", "codicon.css"),
            lang: vscode.env.language,
            title: vscode.l10n.t("BELLE Chat")
        });
    }
}
