import type {UiText} from "../l10n/UiText";

export type CodeAction = "copy" | "insert";

/**
 * Wraps each `<pre>` of sanitised markdown in a block with its language and Copy / Insert buttons. Runs after
 * sanitising, on nodes we create: the buttons never pass through the HTML parser. Clicks are handled by
 * delegation on the message list (`data-code-action`), so re-rendered blocks need no listeners.
 */
export function decorateCodeBlocks(fragment: DocumentFragment, text: UiText): void {
    for (const pre of fragment.querySelectorAll("pre")) {
        const language = /(?:^|\s)language-(\S+)/.exec(pre.querySelector("code")?.className ?? "")?.[1] ?? "";
        const block = document.createElement("div");
        block.className = "code-block";
        const toolbar = document.createElement("div");
        toolbar.className = "code-toolbar";
        const label = document.createElement("span");
        label.className = "code-language";
        label.textContent = language;
        toolbar.append(label, codeButton("copy", "copy", text.t("copyCode")), codeButton("insert", "insert", text.t("insertCode")));
        pre.replaceWith(block);
        block.append(toolbar, pre);
    }
}

function codeButton(action: CodeAction, icon: string, label: string): HTMLElement {
    const button = document.createElement("vscode-toolbar-button");
    button.setAttribute("icon", icon);
    button.setAttribute("label", label);
    button.setAttribute("title", label);
    button.dataset.codeAction = action;
    return button;
}
