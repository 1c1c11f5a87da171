// The chat webview's HTML (editor panel, sidebar view and browser tests alike).
import {buildWebviewHtml} from "./buildWebviewHtml";

export interface ChatHtmlOptions {
    /** `webview.cspSource`: the origin that serves the webview's own files. */
    cspSource: string,
    /** Fresh per load, from a CSPRNG (`crypto.randomBytes`), so injected markup cannot guess it. */
    nonce: string,
    scriptUri: string,
    styleUri: string,
    /** codicon.css; `<vscode-icon>` finds it by the link's id `vscode-codicon-stylesheet`. */
    codiconsUri: string,
    /** BCP 47 language of the UI until `init.locale` arrives, e.g. `vscode.env.language`. */
    lang: string,
    title: string
}

export function buildChatHtml({cspSource, nonce, scriptUri, styleUri, codiconsUri, lang, title}: ChatHtmlOptions): string {
    return buildWebviewHtml({
        cspSource, nonce, scriptUri, lang, title,
        stylesheets: [{href: codiconsUri, id: "vscode-codicon-stylesheet"}, {href: styleUri}],
        root: {id: "belle-chat", className: "chat-app"}
    });
}
