const svgNamespace = "http://www.w3.org/2000/svg";

/** Creates an SVG element sized by attributes (the CSP allows no inline style); text is always text. */
export function svgElement(tag: string, attributes: Readonly<Record<string, string | number>> = {}, text?: string): SVGElement {
    const node = document.createElementNS(svgNamespace, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text != null) node.textContent = text;
    return node;
}
