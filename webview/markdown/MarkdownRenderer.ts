import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import cpp from "highlight.js/lib/languages/cpp";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import markdownIt, {type MarkdownIt, type Token} from "markdown-it";
import {sanitizeRenderedHtml} from "./sanitizeRenderedHtml";
import type {TopLevelBlock} from "./findSettledLine";

for (const [name, language] of Object.entries({bash, cpp, go, java, javascript, json, markdown, python, rust, sql, typescript}))
    hljs.registerLanguage(name, language);
hljs.registerAliases(["c", "h", "cc"], {languageName: "cpp"});
hljs.registerAliases(["shell", "sh", "zsh", "console"], {languageName: "bash"});

/** Markdown → sanitised DOM, with highlighted code; `decorate` adds the UI around code blocks afterwards. */
export class MarkdownRenderer {
    private readonly _md: MarkdownIt;

    public constructor(private readonly _decorate: (fragment: DocumentFragment) => void) {
        this._md = markdownIt({
            html: false,
            linkify: true,
            breaks: true,
            highlight: (code, language) => {
                const name = language.toLowerCase();
                if (name === "" || hljs.getLanguage(name) == null) return "";
                return hljs.highlight(code, {language: name, ignoreIllegals: true}).value;
            }
        });
        // Table alignment as a class: markdown-it writes a style attribute, which the CSP (rightly) refuses to apply.
        for (const rule of ["th_open", "td_open"] as const) {
            this._md.renderer.rules[rule] = (tokens, index, options, _env, self) => {
                const token = tokens[index]!;
                const alignment = /^text-align:(left|center|right)$/.exec(String(token.attrGet("style") ?? ""))?.[1];
                if (token.attrs != null) token.attrs = token.attrs.filter(([name]) => name !== "style");
                if (alignment != null) token.attrJoin("class", `align-${alignment}`);
                return self.renderToken(tokens, index, options);
            };
        }
        // An image in model output would be a request to wherever the model points: show it as a link instead.
        this._md.renderer.rules.image = (tokens, index, options, env, self) => {
            const token = tokens[index]!;
            const source = String(token.attrGet("src") ?? "");
            const alt = self.renderInlineAsText(token.children ?? [], options, env) || source;
            return `<a href="${this._md.utils.escapeHtml(source)}">${this._md.utils.escapeHtml(alt)}</a>`;
        };
    }

    public parse(source: string): Token[] {
        return this._md.parse(source, {});
    }

    public render(source: string): DocumentFragment {
        return this.renderTokens(this.parse(source));
    }

    public renderTokens(tokens: Token[]): DocumentFragment {
        const fragment = sanitizeRenderedHtml(this._md.renderer.render(tokens, this._md.options, {}));
        this._decorate(fragment);
        return fragment;
    }

    /** The top-level blocks of parsed tokens, in order, by source line. */
    public topLevelBlocks(tokens: Token[]): TopLevelBlock[] {
        const blocks: TopLevelBlock[] = [];
        for (const token of tokens) {
            if (token.level !== 0 || token.nesting === -1 || token.map == null) continue;
            blocks.push({type: token.type, startLine: token.map[0], endLine: token.map[1], markup: token.markup});
        }
        return blocks;
    }
}
