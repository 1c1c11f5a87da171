import {findSettledLine, isClosingFence} from "./findSettledLine";
import type {MarkdownRenderer} from "./MarkdownRenderer";

interface OpenFence {
    markup: string,
    /** Shows the code as it arrives; highlighting waits until the fence closes. */
    text: Text,
    /** Offset in the tail where the first line not yet checked for a closing fence starts. */
    lineStart: number
}

/** Above this many characters of unsettled text, re-rendering is batched instead of done on every chunk. */
const largeTailChars = 8_000;
const largeTailRenderIntervalMs = 60;

const referenceDefinition = /^ {0,3}\[[^\]\n]+\]:/m;

/**
 * Renders a streamed markdown answer in time linear in its length. Text that can no longer change (see
 * findSettledLine) is rendered once and its DOM kept; only the unsettled tail — usually the block being written — is
 * re-rendered per chunk. An open top-level code fence is the exception: its text is appended as plain text and
 * highlighted once, when it closes, so a long code block is not re-highlighted per chunk either.
 */
export class IncrementalMarkdownView {
    public readonly element: HTMLElement;
    private readonly _tailElement: HTMLElement;
    private _text = "";
    private _tail = "";
    private _openFence: OpenFence | null = null;
    private _renderTimer: ReturnType<typeof setTimeout> | undefined;
    private _finished = false;

    public constructor(private readonly _renderer: MarkdownRenderer) {
        this.element = document.createElement("div");
        this.element.className = "markdown";
        this._tailElement = document.createElement("div");
        this._tailElement.className = "markdown-tail";
        this.element.append(this._tailElement);
    }

    public get text(): string {
        return this._text;
    }

    public append(chunk: string): void {
        if (this._finished) throw new Error("append after finish");
        if (chunk === "") return;
        this._text += chunk;
        const searchFrom = this._tail.length;
        this._tail += chunk;
        if (this._openFence != null && this._stillInOpenFence(chunk, searchFrom)) return;
        if (this._tail.length > largeTailChars) {
            this._renderTimer ??= setTimeout(() => {
                this._renderTimer = undefined;
                if (!this._finished) this._renderTail();
            }, largeTailRenderIntervalMs);
            return;
        }
        this._renderTail();
    }

    /** Ends the stream with the text the extension saved; re-renders in full only if it differs from what streamed. */
    public finish(finalText: string): void {
        if (this._finished) return;
        clearTimeout(this._renderTimer);
        this._renderTimer = undefined;
        if (finalText !== this._text || referenceDefinition.test(finalText)) {
            // Reference links resolve across the whole text, which block-by-block rendering cannot see.
            this.setText(finalText);
            return;
        }
        this._finished = true;
        this._openFence = null;
        this._tailElement.replaceWith(this._renderer.render(this._tail));
        this._tail = "";
    }

    /** Renders a finished text in one pass (a turn from history, or a corrected final text). */
    public setText(text: string): void {
        clearTimeout(this._renderTimer);
        this._renderTimer = undefined;
        this._finished = true;
        this._openFence = null;
        this._text = text;
        this._tail = "";
        this.element.replaceChildren(this._renderer.render(text));
    }

    /** Appends `chunk` to the open fence's text; false once a finished line closes the fence. */
    private _stillInOpenFence(chunk: string, searchFrom: number): boolean {
        const fence = this._openFence!;
        let newline = this._tail.indexOf("\n", searchFrom);
        while (newline !== -1) {
            const line = this._tail.slice(fence.lineStart, newline);
            fence.lineStart = newline + 1;
            if (isClosingFence(line, fence.markup)) {
                this._openFence = null;
                return false;
            }
            newline = this._tail.indexOf("\n", newline + 1);
        }
        fence.text.appendData(chunk);
        return true;
    }

    private _renderTail(): void {
        let tokens = this._renderer.parse(this._tail);
        let lines = this._tail.split("\n");
        let blocks = this._renderer.topLevelBlocks(tokens);
        const settledLine = findSettledLine(blocks, lines);
        if (settledLine > 0) {
            let offset = 0;
            for (let line = 0; line < settledLine; line++) offset += lines[line]!.length + 1;
            this._tailElement.before(this._renderer.render(this._tail.slice(0, offset)));
            this._tail = this._tail.slice(offset);
            lines = lines.slice(settledLine);
            tokens = this._renderer.parse(this._tail);
            blocks = this._renderer.topLevelBlocks(tokens);
        }
        const [first] = blocks;
        const fenceOpening = /^(`{3,}|~{3,})/.exec(lines[0] ?? "");
        if (blocks.length === 1 && first!.type === "fence" && first!.startLine === 0 && lines.length > 1 && fenceOpening != null) {
            this._openFenceAt(lines, fenceOpening[1]!);
            return;
        }
        this._tailElement.replaceChildren(this._renderer.renderTokens(tokens));
    }

    /** Switches to appending plain text: the fence's opening line is finished and no finished line closed it. */
    private _openFenceAt(lines: string[], markup: string): void {
        const openingLine = lines[0]!;
        const shell = this._renderer.render(`${openingLine}\n`);
        const code = shell.querySelector("pre code");
        if (code == null) {
            this._tailElement.replaceChildren(this._renderer.render(this._tail));
            return;
        }
        const text = document.createTextNode(this._tail.slice(openingLine.length + 1));
        code.replaceChildren(text);
        this._tailElement.replaceChildren(shell);
        this._openFence = {markup, text, lineStart: this._tail.length - lines[lines.length - 1]!.length};
    }
}
