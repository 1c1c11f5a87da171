// The evaluation report webview's HTML (the extension's panel and the browser tests alike).
import {buildWebviewHtml} from "./buildWebviewHtml";

export interface ReportHtmlOptions {
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

export function buildReportHtml({cspSource, nonce, scriptUri, styleUri, lang, title}: ReportHtmlOptions): string {
    return buildWebviewHtml({
        cspSource, nonce, scriptUri, lang, title,
        stylesheets: [{href: styleUri}],
        root: {id: "belle-report", className: "report-app"}
    });
}
