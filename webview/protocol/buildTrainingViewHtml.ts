// The training view webview's HTML (the extension's panel and the browser tests alike).
import {buildWebviewHtml} from "./buildWebviewHtml";

export interface TrainingViewHtmlOptions {
    /** `webview.cspSource`: the origin that serves the webview's own files. */
    cspSource: string,
    /** Fresh per load, from a CSPRNG (`crypto.randomBytes`), so injected markup cannot guess it. */
    nonce: string,
    scriptUri: string,
    styleUri: string,
    /** BCP 47 language of the UI, e.g. `vscode.env.language`. */
    lang: string,
    title: string
}

export function buildTrainingViewHtml({cspSource, nonce, scriptUri, styleUri, lang, title}: TrainingViewHtmlOptions): string {
    return buildWebviewHtml({
        cspSource, nonce, scriptUri, lang, title,
        stylesheets: [{href: styleUri}],
        root: {id: "belle-train", className: "train-app"}
    });
}
