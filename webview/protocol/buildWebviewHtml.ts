// Every webview's HTML comes from here, so the CSP and its checks cannot drift between the chat, the report and
// the browser tests. Pure string work: it compiles under the extension's tsconfig (no DOM) and the webview's.

export interface WebviewHtmlOptions {
    /** `webview.cspSource`: the origin that serves the webview's own files. */
    cspSource: string,
    /** Fresh per load, from a CSPRNG (`crypto.randomBytes`), so injected markup cannot guess it. */
    nonce: string,
    scriptUri: string,
    /** In order; an `id` is for styles looked up by id (codicons: `vscode-codicon-stylesheet`). */
    stylesheets: Array<{href: string, id?: string}>,
    /** BCP 47 language of the UI, e.g. `vscode.env.language`. */
    lang: string,
    title: string,
    /** The element the webview's script mounts into. */
    root: {id: string, className: string}
}

/** A panel with one stylesheet and a fixed root (the report, the training view): what its extension side passes. */
export type SingleStylesheetHtmlOptions = Omit<WebviewHtmlOptions, "stylesheets" | "root"> & {styleUri: string};

const htmlEscapes: Record<string, string> = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"};

function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (character) => htmlEscapes[character]!);
}

/** The page: strict CSP (`default-src 'none'`, nonce'd scripts and styles, no remote sources), then the app. */
export function buildWebviewHtml({cspSource, nonce, scriptUri, stylesheets, lang, title, root}: WebviewHtmlOptions): string {
    // A nonce is base64 or hex; anything else would break out of the CSP header, so it is refused, not escaped.
    if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error("buildWebviewHtml: the nonce must be 16+ base64 characters");
    if (/[;"\r\n]/.test(cspSource)) throw new Error("buildWebviewHtml: cspSource must be a list of sources");
    const csp = [
        "default-src 'none'",
        `style-src ${cspSource} 'nonce-${nonce}'`,
        `font-src ${cspSource}`,
        `img-src ${cspSource} data:`,
        `script-src 'nonce-${nonce}'`
    ].join("; ");
    const links = stylesheets.map(({href, id}) =>
        `<link${id == null ? "" : ` id="${escapeHtml(id)}"`} rel="stylesheet" href="${escapeHtml(href)}" nonce="${escapeHtml(nonce)}">`);
    return `<!DOCTYPE html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${links.join("\n")}
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="${escapeHtml(root.id)}" class="${escapeHtml(root.className)}"></div>
<script type="module" nonce="${escapeHtml(nonce)}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}
