import {createHash} from "node:crypto";
import path from "node:path";
import * as vscode from "vscode";
import {parseEvalSet} from "../../server/eval/readEvalSet";
import type {EvalItem} from "../../server/eval/EvalItem";
import {EvalRunFile} from "../../server/eval/EvalRunFile";
import type {EvalRunHeader, EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {parseJudgeScore} from "../../server/eval/parseJudgeScore";
import {renderJudgePrompt} from "../../server/eval/renderJudgePrompt";
import {requestChatCompletion, type ChatEndpoint} from "../../server/eval/requestChatCompletion";
import {evalItemKey, referenceJudgeLabel} from "../../server/eval/runEvalJob";
import {scoreAgainstReference} from "../../server/eval/scoreAgainstReference";
import type {EvalRunIndex} from "../annotation/EvalRunIndex";
import type {ChatEndpoints} from "../chat/ChatEndpoints";
import {streamChatCompletion} from "../chat/streamChatCompletion";
import type {BelleSettings} from "../config/readBelleSettings";
import {configuredRemoteEndpoints, runsFolderOf} from "./evalRunSetup";

export const evaluationScheme = "belle-evaluation";

/** Who scores an Evaluate Selection answer. Never the model under test: it would grade its own answer. */
type SelectionJudge =
    | {kind: "endpoint", describe: string}
    | {kind: "reference"}
    | {kind: "none", why: string};

export interface SelectionEvaluatorDependencies {
    endpoints: ChatEndpoints,
    settings: () => BelleSettings,
    secrets: vscode.SecretStorage,
    runs: EvalRunIndex,
    log: vscode.LogOutputChannel
}

/**
 * "BELLE: Evaluate Selection": the selected text, or the eval item under the cursor in an eval-set file, goes to
 * the model; the answer streams into a read-only document beside the editor, under a progress notification with
 * Cancel (closing that document cancels too). An eval item's answer is then scored — by the judge endpoint
 * (`belle.eval.judge.*`) when one is set, else offline by the reference judge (overlap with the standard answer);
 * never by the model under test — and recorded in the eval set's "selection" run file, so the item's CodeLens,
 * hover and Annotate → Rate see it. The score also shows at the top of the document and at the item's line.
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
    /** The evaluation under way per result document, aborted when that document's tab closes. */
    private readonly _running = new Map<string, AbortController>();
    private _count = 0;

    public constructor(private readonly _deps: SelectionEvaluatorDependencies) {
        this._disposables = [
            vscode.workspace.registerTextDocumentContentProvider(evaluationScheme, this),
            vscode.window.onDidChangeVisibleTextEditors((editors) => {
                for (const editor of editors) this._applyDecorations(editor);
            }),
            vscode.window.tabGroups.onDidChangeTabs((event) => {
                for (const tab of event.closed)
                    if (tab.input instanceof vscode.TabInputText) this._running.get(tab.input.uri.toString())?.abort();
            }),
            vscode.workspace.onDidCloseTextDocument((document) => this._running.get(document.uri.toString())?.abort())
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
        const key = uri.toString();
        const judge = item == null ? null : this._judgeFor(item);
        const head = [`## ${vscode.l10n.t("Question")}`, "", question, ""];
        if (item != null && item.stdAnswer !== "") head.push(`## ${vscode.l10n.t("Standard answer")}`, "", item.stdAnswer, "");
        head.push(`## ${vscode.l10n.t("Model answer")}`, "", "");
        let verdictLine = judge == null ? "" : `> ${vscode.l10n.t("Judge")}: ${await describeJudge(judge)}\n\n`;
        let body = head.join("\n");
        const show = () => {
            this._contents.set(key, verdictLine + body);
            this._onDidChange.fire(uri);
        };
        show();
        const controller = new AbortController();
        this._running.set(key, controller);
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document, {viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: true});

        try {
            await vscode.window.withProgress({
                location: vscode.ProgressLocation.Notification,
                title: vscode.l10n.t("BELLE: evaluating"),
                cancellable: true
            }, async (progress, token) => {
                const subscription = token.onCancellationRequested(() => controller.abort());
                try {
                    progress.report({message: vscode.l10n.t("the model is answering…")});
                    const endpoint = await this._deps.endpoints.resolve();
                    const settings = this._deps.settings().conversationDefaults;
                    let answer = "";
                    try {
                        const result = await streamChatCompletion({
                            baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey, model: endpoint.model,
                            messages: [{role: "user", content: question}],
                            temperature: 0, topP: 1, maxTokens: settings.maxTokens, signal: controller.signal,
                            onDelta: (delta) => {
                                body += delta;
                                show();
                            }
                        });
                        answer = result.text;
                        if (result.finishReason === "length")
                            body += `\n\n> ${vscode.l10n.t("Stopped at the limit of {0} tokens (belle.maxTokens).", result.completionTokens)}\n`;
                    } catch (error) {
                        body += controller.signal.aborted
                            ? `\n\n> ${vscode.l10n.t("Cancelled.")}\n`
                            : `\n\n> ${vscode.l10n.t("The answer failed: {0}", (error as Error).message)}\n`;
                        show();
                        return;
                    }
                    if (item == null || judge == null) return;
                    progress.report({message: vscode.l10n.t("scoring…")});
                    const verdict = await this._score(item, answer, judge, controller.signal);
                    if (controller.signal.aborted) return;
                    verdictLine = `> **${verdict.label}** · ${vscode.l10n.t("Judge")}: ${await describeJudge(judge)}\n\n`;
                    body += `\n\n## ${vscode.l10n.t("Judge")}\n\n**${verdict.label}**\n\n${verdict.reason}\n`;
                    show();
                    this._decorate(editor.document, item, verdict);
                    await this._record(editor.document, item, endpoint, judge, answer, verdict).catch((error: unknown) =>
                        this._deps.log.warn(`[eval] could not record the evaluation of item ${item.index + 1}: ${(error as Error).message}`));
                } finally {
                    subscription.dispose();
                }
            });
        } finally {
            this._running.delete(key);
        }
    }

    public dispose(): void {
        for (const controller of this._running.values()) controller.abort();
        for (const disposable of this._disposables) disposable.dispose();
        this._decorationType.dispose();
        this._onDidChange.dispose();
    }

    private _judgeFor(item: EvalItem): SelectionJudge {
        const configured = configuredRemoteEndpoints(this._deps.settings(), this._deps.secrets).judge;
        if (configured != null) return {kind: "endpoint", describe: configured.describe};
        if (item.stdAnswer.trim() !== "") return {kind: "reference"};
        return {kind: "none", why: vscode.l10n.t("not scored: no standard answer, and no judge endpoint (belle.eval.judge.url) is set. The model under test is not asked to grade its own answer.")};
    }

    private async _score(item: EvalItem, answer: string, judge: SelectionJudge, signal: AbortSignal): Promise<{score: number | null, label: string, reason: string, raw: string | null, error: string | null}> {
        if (judge.kind === "none") return {score: null, label: vscode.l10n.t("Not scored"), reason: judge.why, raw: null, error: null};
        if (judge.kind === "reference") {
            const scored = scoreAgainstReference(answer, item.stdAnswer);
            return scored.ok
                ? {score: scored.score, label: vscode.l10n.t("Reference F1 {0}", scored.score.toFixed(2)), reason: scored.reason, raw: null, error: null}
                : {score: null, label: vscode.l10n.t("Not scored"), reason: scored.error, raw: null, error: scored.error};
        }
        try {
            const endpoint = await configuredRemoteEndpoints(this._deps.settings(), this._deps.secrets).judge!.endpoint();
            const reply = await requestChatCompletion(endpoint, {
                messages: [{role: "user", content: renderJudgePrompt(item, answer).message}], temperature: 0,
                max_tokens: this._deps.settings().evalSampling.judgeMaxTokens
            }, signal);
            const parsed = parseJudgeScore(reply.content);
            return parsed.ok
                ? {score: parsed.score, label: vscode.l10n.t("Score {0}", parsed.score.toFixed(2)), reason: parsed.reason, raw: reply.content, error: null}
                : {score: null, label: vscode.l10n.t("no score"), reason: `${parsed.error}\n\n${reply.content}`, raw: reply.content, error: parsed.error};
        } catch (error) {
            return {score: null, label: vscode.l10n.t("judge failed"), reason: (error as Error).message, raw: null, error: (error as Error).message};
        }
    }

    private _decorate(document: vscode.TextDocument, item: EvalItem, verdict: {label: string, reason: string}): void {
        const line = item.range.line - 1;
        const decoration: vscode.DecorationOptions = {
            range: new vscode.Range(line, Number.MAX_SAFE_INTEGER, line, Number.MAX_SAFE_INTEGER),
            renderOptions: {after: {contentText: `BELLE · ${verdict.label}`}},
            hoverMessage: new vscode.MarkdownString().appendText(`${verdict.label}\n\n${verdict.reason}`)
        };
        const key = document.uri.toString();
        this._decorations.set(key, [...(this._decorations.get(key) ?? []).filter((existing) => existing.range.start.line !== line), decoration]);
        for (const visible of vscode.window.visibleTextEditors) this._applyDecorations(visible);
    }

    /**
     * Appends the item's answer and score to the eval set's selection run (one run file per model and judge) and
     * selects that run, so the CodeLens, hover, diagnostics and Annotate → Rate show what was just evaluated.
     */
    private async _record(document: vscode.TextDocument, item: EvalItem, endpoint: ChatEndpoint, judge: SelectionJudge,
        answer: string, verdict: {score: number | null, reason: string, raw: string | null, error: string | null}): Promise<void> {
        if (document.uri.scheme !== "file") return;
        const evalSetPath = document.uri.fsPath;
        const model = `${endpoint.model}@${this._deps.endpoints.usesRemote ? endpoint.baseUrl : "local engine"}`;
        const judgeName = judge.kind === "endpoint" ? judge.describe : judge.kind === "reference" ? referenceJudgeLabel : "none";
        const settings = {kind: "evaluate selection", temperature: 0, topP: 1, maxTokens: this._deps.settings().conversationDefaults.maxTokens};
        const id = createHash("sha256").update(JSON.stringify([evalSetPath, model, judgeName, settings])).digest("hex").slice(0, 10);
        const runFilePath = path.join(runsFolderOf(document.uri), `${path.basename(evalSetPath).replace(/\.[^.]+$/, "")}-selection-${id}.jsonl`);
        const header: EvalRunHeader = {kind: "header", runId: `selection-${id}`, evalSetPath, model, modelHash: null, judge: judgeName,
            settings, createdAt: new Date().toISOString()};
        const {file} = await EvalRunFile.openForAppend(runFilePath, header);
        const record: EvalRunRecord = {
            itemKey: evalItemKey(item), index: item.index, question: item.question, stdAnswer: item.stdAnswer, className: item.className,
            evalClass: item.evalClass, answer, score: verdict.score, judgeReason: verdict.score == null ? null : verdict.reason,
            judgeRaw: verdict.raw, error: verdict.error, model, judge: judgeName, finishedAt: new Date().toISOString()
        };
        try {
            await file.append(record);
        } finally {
            await file.close();
        }
        await this._deps.runs.selectRun(evalSetPath, runFilePath);
    }

    private _applyDecorations(editor: vscode.TextEditor): void {
        const decorations = this._decorations.get(editor.document.uri.toString());
        if (decorations != null) editor.setDecorations(this._decorationType, decorations);
    }
}

async function describeJudge(judge: SelectionJudge): Promise<string> {
    if (judge.kind === "endpoint") return judge.describe;
    if (judge.kind === "reference") return vscode.l10n.t("reference: overlap with the standard answer (the model is not grading itself)");
    return vscode.l10n.t("none");
}

/** The eval item whose lines hold the cursor, when the document parses as an eval set. */
function findItemAtCursor(editor: vscode.TextEditor): EvalItem | null {
    const document = editor.document;
    if (!/\.jsonl?$/i.test(document.fileName)) return null;
    const parsed = parseEvalSet(document.getText(), {filePath: document.fileName});
    const line = editor.selection.active.line + 1;
    return parsed.items.find((item) => item.range.line <= line && line <= item.range.endLine) ?? null;
}
