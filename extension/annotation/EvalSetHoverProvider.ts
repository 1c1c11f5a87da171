import * as vscode from "vscode";
import {annotationRatesAnswer} from "../../server/eval/annotation/EvalAnnotation";
import {evalItemKey} from "../../server/eval/runEvalJob";
import type {EvalRunIndex} from "./EvalRunIndex";
import type {EvalSetDocuments} from "./EvalSetDocuments";

const answerPreviewChars = 600;

/**
 * Hovering an item of an eval set shows what is known about it: the selected run's answer, the judge's score and
 * reason, and the human annotation. Model output is untrusted, so it is shown as plain text, every Markdown and HTML
 * character escaped (no links, no images, no fences to break out of).
 */
export class EvalSetHoverProvider implements vscode.HoverProvider {
    public constructor(private readonly _documents: EvalSetDocuments, private readonly _runs: EvalRunIndex) {}

    public async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
        const parsed = this._documents.get(document);
        const item = parsed?.itemAtLine(position.line);
        if (item == null) return undefined;
        const scores = document.uri.scheme === "file" ? await this._runs.scoresOf(document.uri.fsPath) : null;
        const record = scores?.recordOf(evalItemKey(item), item.question);
        const annotation = parsed!.annotationOf(item);
        if (record == null && annotation == null) return undefined;

        const markdown = new vscode.MarkdownString();
        if (record != null && scores != null) {
            markdown.appendMarkdown(`**${escape(vscode.l10n.t("Run of {0}", scores.run.header.model))}** · ${escape(scores.run.header.createdAt)}\n\n`);
            markdown.appendMarkdown(`${escape(vscode.l10n.t("Model answer"))}:\n`);
            markdown.appendMarkdown(quote(truncate(record.answer ?? vscode.l10n.t("(no answer)"))));
            const score = typeof record.score === "number" ? String(record.score) : vscode.l10n.t("none");
            markdown.appendMarkdown(`\n${escape(vscode.l10n.t("Judge score"))}: **${escape(score)}**`);
            if (record.error != null) markdown.appendMarkdown(` · ${escape(record.error)}`);
            markdown.appendMarkdown("\n\n");
            if (record.judgeReason != null && record.judgeReason.trim() !== "") {
                markdown.appendMarkdown(`${escape(vscode.l10n.t("Judge's reason"))}:\n`);
                markdown.appendMarkdown(quote(truncate(record.judgeReason)));
            }
        }
        if (annotation != null) {
            const parts: string[] = [];
            if (annotation.humanScore != null) parts.push(vscode.l10n.t("score {0}", annotation.humanScore));
            if (annotation.verdict != null) parts.push(annotation.verdict === "good" ? vscode.l10n.t("good") : vscode.l10n.t("bad"));
            if (annotation.difficulty != null) parts.push(vscode.l10n.t("difficulty: {0}", {easy: vscode.l10n.t("easy"), medium: vscode.l10n.t("medium"), hard: vscode.l10n.t("hard")}[annotation.difficulty]));
            if ((annotation.humanScore != null || annotation.verdict != null) && record != null && !annotationRatesAnswer(annotation, record.answer))
                parts.push(vscode.l10n.t("rated another answer than this run's"));
            markdown.appendMarkdown(`\n**${escape(vscode.l10n.t("Human annotation"))}**: ${escape(parts.join(" · "))}\n`);
            if (annotation.note != null) markdown.appendMarkdown(quote(truncate(annotation.note)));
        }
        const line = item.range.line - 1;
        return new vscode.Hover(markdown, new vscode.Range(line, item.range.column - 1, line, document.lineAt(line).range.end.character));
    }
}

function truncate(text: string): string {
    const characters = [...text];
    return characters.length > answerPreviewChars ? `${characters.slice(0, answerPreviewChars).join("")}…` : text;
}

/** Untrusted text as a Markdown block quote of plain text, its line breaks kept. */
function quote(text: string): string {
    return `${text.split(/\r\n|\r|\n/).map((line) => `> ${escape(line)}`).join("  \n")}\n\n`;
}

/** Text shown as itself in Markdown: every character Markdown or HTML could read as syntax is escaped. */
function escape(text: string): string {
    return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~]/g, (character) => `\\${character}`);
}
