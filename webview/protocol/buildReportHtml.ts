// The evaluation report webview's HTML, built in one place so the CSP cannot drift between the extension and the
// browser tests. Pure string work: it compiles under the extension's tsconfig (no DOM) and the webview's.

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

const htmlEscapes: Record<string, string> = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"};

function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (character) => htmlEscapes[character]!);
}

export function buildReportHtml({cspSource, nonce, scriptUri, styleUri, lang, title}: ReportHtmlOptions): string {
    // A nonce is base64 or hex; anything else would break out of the CSP header, so it is refused, not escaped.
    if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error("buildReportHtml: the nonce must be 16+ base64 characters");
    if (/[;"\r\n]/.test(cspSource)) throw new Error("buildReportHtml: cspSource must be a list of sources");
    const csp = [
        "default-src 'none'",
        `style-src ${cspSource} 'nonce-${nonce}'`,
        `font-src ${cspSource}`,
        `img-src ${cspSource} data:`,
        `script-src 'nonce-${nonce}'`
    ].join("; ");
    const attribute = escapeHtml;
    return `<!DOCTYPE html>
<html lang="${attribute(lang)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attribute(styleUri)}" nonce="${attribute(nonce)}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="belle-report" class="report-app"></div>
<script type="module" nonce="${attribute(nonce)}" src="${attribute(scriptUri)}"></script>
</body>
</html>
`;
}
