// The evaluation report webview's HTML (the extension's panel and the browser tests alike).
import {buildWebviewHtml, type SingleStylesheetHtmlOptions} from "./buildWebviewHtml";

export function buildReportHtml({cspSource, nonce, scriptUri, styleUri, lang, title}: SingleStylesheetHtmlOptions): string {
    return buildWebviewHtml({
        cspSource, nonce, scriptUri, lang, title,
        stylesheets: [{href: styleUri}],
        root: {id: "belle-report", className: "report-app"}
    });
}
