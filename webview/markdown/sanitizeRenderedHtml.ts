import createDOMPurify from "dompurify";

// markdown-it runs with `html: false`, so model output cannot bring its own tags; this allowlist is the second wall
// (a markdown-it bug or plugin must still not get a script, an event handler or a javascript: link through).
const purifier = createDOMPurify(window);
purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") node.setAttribute("rel", "noopener noreferrer");
});

const config = {
    ALLOWED_TAGS: [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "span"
    ],
    // No `style`: the CSP has no 'unsafe-inline' for attributes, and colours come from the theme only.
    ALLOWED_ATTR: ["href", "title", "class", "start"],
    // Only links VS Code opens in the browser or mail client; no command:, vscode:, file:, data: or javascript:.
    ALLOWED_URI_REGEXP: /^(?:https?|mailto):/i,
    // DOMPurify tests every other attribute's value against that pattern too; a list's start number is no URI.
    ADD_URI_SAFE_ATTR: ["start"],
    RETURN_DOM_FRAGMENT: true as const
};

/** Sanitises HTML rendered from untrusted model output into a fragment of inert nodes. */
export function sanitizeRenderedHtml(html: string): DocumentFragment {
    return purifier.sanitize(html, config);
}
