import * as vscode from "vscode";
import {parseEvalSet} from "../../server/eval/readEvalSet";
import type {EvalItem} from "../../server/eval/EvalItem";
import {parseJudgeScore} from "../../server/eval/parseJudgeScore";
import {renderJudgePrompt} from "../../server/eval/renderJudgePrompt";
import {requestChatCompletion} from "../../server/eval/requestChatCompletion";
import type {ChatEndpoints} from "../chat/ChatEndpoints";
import {streamChatCompletion} from "../chat/streamChatCompletion";
import type {BelleSettings} from "../config/readBelleSettings";

export const evaluationScheme = "belle-evaluation";

const judgeSchema = {
    type: "object",
    properties: {score: {enum: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]}, reason: {type: "string", maxLength: 200}},
    required: ["score", "reason"],
    additionalProperties: false
};

/**
 * "BELLE: Evaluate Selection": the selected text, or the eval item under the cursor in an eval-set file, goes to
 * the model; the answer streams into a read-only document beside the editor; when the item has a standard answer
 * the judge scores it and the score appears at the item (a decoration, with the judge's reason on hover).
 */
export class SelectionEvaluator implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly _onDidChange = new vscode.EventEmitter<vscode.Uri>();
    public readonly onDidChange = this._onDidChange.event;
    private readonly _contents = new Map<string, string>();
    private readonly _decorationType = vscode.window.createTextEditorDecorationType({
        after: {margin: "0 0 0 2em", color: new vscode.ThemeColor("editorCodeLens.foreground")}
    });
    private readonly _decorations = new Map<string, vscode.DecorationOptions[]>();
    private readonly _disposables: vscode.Disposable[];
    private _count = 0;

    public constructor(private readonly _endpoints: ChatEndpoints, private readonly _settings: () => BelleSettings) {
        this._disposables = [
            vscode.workspace.registerTextDocumentContentProvider(evaluationScheme, this),
            vscode.window.onDidChangeVisibleTextEditors((editors) => {
                for (const editor of editors) this._applyDecorations(editor);
            })
        ];
    }

    public provideTextDocumentContent(uri: vscode.Uri): string {
        return this._contents.get(uri.toString()) ?? "";
    }

    public async evaluate(editor: vscode.TextEditor): Promise<void> {
        const item = findItemAtCursor(editor);
        const question = item?.question ?? editor.document.getText(editor.selection).trim();
        if (question === "") {
            void vscode.window.showInformationMessage(vscode.l10n.t("Select a question, or put the cursor in an item of an eval set."));
            return;
        }
        const uri = vscode.Uri.from({scheme: evaluationScheme, path: `/${vscode.l10n.t("BELLE evaluation")} ${++this._count}.md`});
        const lines = [`## ${vscode.l10n.t("Question")}`, "", question, ""];
        if (item != null && item.stdAnswer !== "") lines.push(`## ${vscode.l10n.t("Standard answer")}`, "", item.stdAnswer, "");
        lines.push(`## ${vscode.l10n.t("Model answer")}`, "", "");
        let text = lines.join("\n");
        const show = () => {
            this._contents.set(uri.toString(), text);
            this._onDidChange.fire(uri);
        };
        show();
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document, {viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: true});

        let answer = "";
        try {
            const endpoint = await this._endpoints.resolve();
            const settings = this._settings().conversationDefaults;
            const result = await streamChatCompletion({
                baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey, model: endpoint.model,
                messages: [{role: "user", content: question}],
                temperature: 0, topP: 1, maxTokens: settings.maxTokens, signal: new AbortController().signal,
                onDelta: (delta) => {
                    answer += delta;
                    text += delta;
                    show();
                }
            });
            answer = result.text;
        } catch (error) {
            text += `\n\n> ${vscode.l10n.t("The answer failed: {0}", (error as Error).message)}\n`;
            show();
            return;
        }
        if (item == null) return;

        text += `\n\n## ${vscode.l10n.t("Judge")}\n\n`;
        show();
        let label: string;
        let hover: string;
        try {
            const endpoint = await this._endpoints.resolve();
            const prompt = renderJudgePrompt(item, answer);
            const reply = await requestChatCompletion({baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey, model: endpoint.model}, {
                messages: [{role: "user", content: prompt.message}], temperature: 0, max_tokens: 384,
                ...(this._endpoints.usesRemote ? {} : {response_format: {type: "json_schema", json_schema: {name: "belle_judge", schema: judgeSchema}}})
            });
            const parsed = parseJudgeScore(reply.content);
            if (parsed.ok) {
                label = vscode.l10n.t("Score {0}", parsed.score.toFixed(2));
                hover = parsed.reason;
            } else {
                label = vscode.l10n.t("no score");
                hover = `${parsed.error}\n\n${reply.content}`;
            }
        } catch (error) {
            label = vscode.l10n.t("judge failed");
            hover = (error as Error).message;
        }
        text += `**${label}**\n\n${hover}\n`;
        show();
        const line = item.range.line - 1;
        const decoration: vscode.DecorationOptions = {
            range: new vscode.Range(line, Number.MAX_SAFE_INTEGER, line, Number.MAX_SAFE_INTEGER),
            renderOptions: {after: {contentText: `BELLE · ${label}`}},
            hoverMessage: new vscode.MarkdownString().appendText(`${label}\n\n${hover}`)
        };
        const key = editor.document.uri.toString();
        this._decorations.set(key, [...(this._decorations.get(key) ?? []).filter((existing) => existing.range.start.line !== line), decoration]);
        for (const visible of vscode.window.visibleTextEditors) this._applyDecorations(visible);
    }

    public dispose(): void {
        for (const disposable of this._disposables) disposable.dispose();
        this._decorationType.dispose();
        this._onDidChange.dispose();
    }

    private _applyDecorations(editor: vscode.TextEditor): void {
        const decorations = this._decorations.get(editor.document.uri.toString());
        if (decorations != null) editor.setDecorations(this._decorationType, decorations);
    }
}

/** The eval item whose lines hold the cursor, when the document parses as an eval set. */
function findItemAtCursor(editor: vscode.TextEditor): EvalItem | null {
    const document = editor.document;
    if (!/\.jsonl?$/i.test(document.fileName)) return null;
    const parsed = parseEvalSet(document.getText(), {filePath: document.fileName});
    const line = editor.selection.active.line + 1;
    return parsed.items.find((item) => item.range.line <= line && line <= item.range.endLine) ?? null;
}
