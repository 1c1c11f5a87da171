type Child = Node | string | null | undefined | false;

export interface ElementOptions {
    className?: string,
    /** Attributes, set with setAttribute: strings only, so no property can smuggle markup in. */
    attrs?: Record<string, string>,
    text?: string,
    on?: Partial<{[E in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[E]) => void}>
}

/** Creates an element without going through HTML parsing: text is always text. */
export function element<K extends keyof HTMLElementTagNameMap>(
    tag: K, options: ElementOptions = {}, children: Child[] = []
): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
    if (options.text !== undefined) node.textContent = options.text;
    for (const [type, listener] of Object.entries(options.on ?? {}))
        node.addEventListener(type, listener as EventListener);
    for (const child of children) {
        if (child === null || child === undefined || child === false) continue;
        node.append(child);
    }
    return node;
}
