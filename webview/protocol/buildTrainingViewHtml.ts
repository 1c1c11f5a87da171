// The training view webview's HTML (the extension's panel and the browser tests alike).
import {buildWebviewHtml, type SingleStylesheetHtmlOptions} from "./buildWebviewHtml";

export function buildTrainingViewHtml({cspSource, nonce, scriptUri, styleUri, lang, title}: SingleStylesheetHtmlOptions): string {
    return buildWebviewHtml({
        cspSource, nonce, scriptUri, lang, title,
        stylesheets: [{href: styleUri}],
        root: {id: "belle-train", className: "train-app"}
    });
}
