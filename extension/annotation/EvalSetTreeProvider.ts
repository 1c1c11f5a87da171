import path from "node:path";
import * as vscode from "vscode";
import type {Difficulty, EvalAnnotation} from "../../server/eval/annotation/EvalAnnotation";
import {summarizeEvalSet, type EvalSetClassGroup, type EvalSetDifficultyGroup, type EvalSetSummary} from "../../server/eval/annotation/summarizeEvalSet";
import type {EvalItem} from "../../server/eval/EvalItem";
import {recordScore} from "../../server/eval/report/EvalRunRecord";
import {evalItemKey} from "../../server/eval/runEvalJob";
import {commandIds} from "../commandIds";
import type {EvalRunIndex, EvalRunScores} from "./EvalRunIndex";
import type {EvalSetDocuments, ParsedEvalSet} from "./EvalSetDocuments";

/** A group never lists more items than this: the rest are one "… n more" node, so a 10,000-item class opens at once. */
export const maxItemsPerGroup = 500;
const questionPreviewChars = 40;

/** What the view showed when a node was made: its nodes keep pointing at it after the view moves on. */
type EvalSetSnapshot = {uri: vscode.Uri, scores: EvalRunScores | null, summary: EvalSetSummary, annotationOf: (item: EvalItem) => EvalAnnotation | null};

/** A node of the Eval Set view; `id` is unique in the tree and stable across refreshes, so expanded nodes stay open. */
export type EvalSetTreeNode = {id: string, snapshot: EvalSetSnapshot} & (
    | {kind: "class", group: EvalSetClassGroup}
    | {kind: "difficulty"}
    | {kind: "difficultyLevel", group: EvalSetDifficultyGroup}
    | {kind: "unannotated"}
    | {kind: "item", item: EvalItem}
    | {kind: "more", hiddenCount: number}
);

/**
 * The Explorer's "Eval Set" view of the active editor's eval set: its classes with their item counts and the selected
 * run's mean scores, the spread of difficulties and the items no one has annotated; each item reveals itself in the
 * editor. The grouping is computed only when the view asks for it and item nodes only when a group is expanded, a
 * group listing at most `maxItemsPerGroup` of them. The view is shown while the context key `belle.evalSetOpen`
 * holds, which this keeps in step with the active editor.
 */
export class EvalSetTreeProvider implements vscode.TreeDataProvider<EvalSetTreeNode>, vscode.Disposable {
    public static readonly viewId = "belle.evalSetView";
    public static readonly contextKey = "belle.evalSetOpen";

    private readonly _onDidChangeTreeData = new vscode.EventEmitter<EvalSetTreeNode | undefined>();
    public readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
    private readonly _disposables: vscode.Disposable[];
    private _parsed: ParsedEvalSet | undefined;
    private _snapshot: EvalSetSnapshot | undefined;
    private _refreshTimer: NodeJS.Timeout | undefined;
    private _contextKeyValue = false;

    /** `debounceMs`: how long it waits after a change (editor switch, parse, run file) before it redraws. */
    public constructor(private readonly _documents: EvalSetDocuments, private readonly _runs: EvalRunIndex, private readonly _debounceMs = 100) {
        const isShown = (uri: vscode.Uri) => this._parsed?.document.uri.toString() === uri.toString();
        this._disposables = [
            this._onDidChangeTreeData,
            vscode.window.onDidChangeActiveTextEditor(() => this._scheduleRefresh()),
            _documents.onDidParse((parsed) => {
                if (parsed.document === vscode.window.activeTextEditor?.document) this._scheduleRefresh();
            }),
            _documents.onDidForget((uri) => {
                if (isShown(uri)) this._scheduleRefresh();
            }),
            _runs.onDidChange(() => {
                if (this._parsed != null) this._scheduleRefresh();
            })
        ];
        // Once activation is over, when the documents open at startup have been looked at
        this._scheduleRefresh();
    }

    public dispose(): void {
        clearTimeout(this._refreshTimer);
        for (const disposable of this._disposables) disposable.dispose();
    }

    /** The eval set the view shows: the active editor's document, when that is one. */
    public get document(): vscode.TextDocument | undefined {
        return this._parsed?.document;
    }

    /** For the view's title: the file's name and the run whose scores are shown. */
    public get description(): string | undefined {
        const uri = this._parsed?.document.uri;
        if (uri == null) return undefined;
        const scores = this._scoresOf(uri);
        const name = path.posix.basename(uri.path);
        return scores == null ? name : `${name} · ${vscode.l10n.t("Run of {0}", scores.run.header.model)}`;
    }

    public getChildren(node?: EvalSetTreeNode): EvalSetTreeNode[] {
        if (node == null) return this._rootNodes();
        const {snapshot} = node;
        switch (node.kind) {
            case "class":
            case "difficultyLevel":
                return itemNodes(node.id, node.group.items, snapshot);
            case "unannotated":
                return itemNodes(node.id, snapshot.summary.unannotated, snapshot);
            case "difficulty":
                return snapshot.summary.difficulties.map((group) => ({
                    kind: "difficultyLevel", id: `${node.id}:${group.difficulty ?? "none"}`, group, snapshot
                }));
            default:
                return [];
        }
    }

    public getTreeItem(node: EvalSetTreeNode): vscode.TreeItem {
        const collapsedIf = (hasChildren: boolean) => hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
        switch (node.kind) {
            case "class": {
                const {group} = node;
                const treeItem = new vscode.TreeItem(group.className.trim() === "" ? vscode.l10n.t("(empty class)") : group.className, collapsedIf(true));
                const parts = [itemCount(group.items.length)];
                const tooltip: string[] = [];
                if (group.meanScore != null && node.snapshot.scores != null) {
                    parts.push(vscode.l10n.t("mean {0}", group.meanScore.toFixed(2)));
                    tooltip.push(vscode.l10n.t("Mean judge score of the {0} scored items in the run of {1}", group.scoredCount, node.snapshot.scores.run.header.model));
                }
                if (!group.known) {
                    parts.push(vscode.l10n.t("unknown class"));
                    tooltip.push(vscode.l10n.t("\"{0}\" is not one of BELLE's classes: its items are judged with the general prompt.", group.className));
                }
                treeItem.description = parts.join(" · ");
                if (tooltip.length > 0) treeItem.tooltip = tooltip.join("\n");
                treeItem.iconPath = new vscode.ThemeIcon(group.known ? "symbol-folder" : "warning");
                treeItem.contextValue = "evalClass";
                return withId(treeItem, node.id);
            }
            case "difficulty": {
                const treeItem = new vscode.TreeItem(vscode.l10n.t("Difficulty"), collapsedIf(true));
                treeItem.description = node.snapshot.summary.difficulties
                    .map((group) => `${difficultyLabel(group.difficulty)} ${group.items.length}`).join(" · ");
                treeItem.iconPath = new vscode.ThemeIcon("dashboard");
                return withId(treeItem, node.id);
            }
            case "difficultyLevel": {
                const treeItem = new vscode.TreeItem(difficultyLabel(node.group.difficulty), collapsedIf(node.group.items.length > 0));
                treeItem.description = itemCount(node.group.items.length);
                return withId(treeItem, node.id);
            }
            case "unannotated": {
                const count = node.snapshot.summary.unannotated.length;
                const treeItem = new vscode.TreeItem(vscode.l10n.t("Unannotated ({0})", count), collapsedIf(count > 0));
                treeItem.iconPath = new vscode.ThemeIcon("circle-large-outline");
                return withId(treeItem, node.id);
            }
            case "item":
                return withId(itemTreeItem(node.item, node.snapshot), node.id);
            case "more": {
                const treeItem = new vscode.TreeItem(vscode.l10n.t("… {0} more items, not listed here", node.hiddenCount), vscode.TreeItemCollapsibleState.None);
                treeItem.tooltip = vscode.l10n.t("The view lists the first {0} items of a group; the rest are in the file.", maxItemsPerGroup);
                return withId(treeItem, node.id);
            }
        }
    }

    private _rootNodes(): EvalSetTreeNode[] {
        const snapshot = this._snapshotNow();
        if (snapshot == null) return [];
        return [
            ...snapshot.summary.classes.map((group): EvalSetTreeNode => ({kind: "class", id: `class:${encodeURIComponent(group.className)}`, group, snapshot})),
            {kind: "difficulty", id: "difficulty", snapshot},
            {kind: "unannotated", id: "unannotated", snapshot}
        ];
    }

    /** The grouping of the shown eval set, computed on the view's first request after a change. */
    private _snapshotNow(): EvalSetSnapshot | undefined {
        const parsed = this._parsed;
        if (parsed == null) return undefined;
        if (this._snapshot == null) {
            const uri = parsed.document.uri;
            const scores = this._scoresOf(uri);
            const recordOf = scores == null ? null : (item: EvalItem) => scores.recordOf(evalItemKey(item), item.question);
            const annotationOf = (item: EvalItem) => parsed.annotationOf(item);
            this._snapshot = {uri, scores, summary: summarizeEvalSet(parsed.items, recordOf, annotationOf), annotationOf};
        }
        return this._snapshot;
    }

    /** The selected run's scores; null while they load too (`onDidChange` of the runs redraws the view then). */
    private _scoresOf(uri: vscode.Uri): EvalRunScores | null {
        return uri.scheme === "file" ? this._runs.peekScores(uri.fsPath) ?? null : null;
    }

    private _scheduleRefresh(): void {
        clearTimeout(this._refreshTimer);
        this._refreshTimer = setTimeout(() => this._refresh(), this._debounceMs);
    }

    private _refresh(): void {
        const document = vscode.window.activeTextEditor?.document;
        // The last parse, even a few hundred ms behind the text: the next one redraws the view again
        this._parsed = document == null ? undefined
            : this._documents.all().find((parsed) => parsed.document === document) ?? this._documents.get(document);
        this._snapshot = undefined;
        const isOpen = this._parsed != null;
        if (isOpen !== this._contextKeyValue) {
            this._contextKeyValue = isOpen;
            void vscode.commands.executeCommand("setContext", EvalSetTreeProvider.contextKey, isOpen);
        }
        this._onDidChangeTreeData.fire(undefined);
    }
}

function itemNodes(parentId: string, items: readonly EvalItem[], snapshot: EvalSetSnapshot): EvalSetTreeNode[] {
    const nodes = items.slice(0, maxItemsPerGroup).map((item): EvalSetTreeNode => ({kind: "item", id: `${parentId}/${item.index}`, item, snapshot}));
    if (items.length > maxItemsPerGroup) nodes.push({kind: "more", id: `${parentId}/more`, hiddenCount: items.length - maxItemsPerGroup, snapshot});
    return nodes;
}

function itemTreeItem(item: EvalItem, {uri, scores, annotationOf}: EvalSetSnapshot): vscode.TreeItem {
    const treeItem = new vscode.TreeItem(previewQuestion(item.question), vscode.TreeItemCollapsibleState.None);
    const parts: string[] = [];
    if (scores != null) {
        const record = scores.recordOf(evalItemKey(item), item.question);
        const score = record == null ? null : recordScore(record);
        parts.push(record == null ? vscode.l10n.t("not evaluated") : score == null ? vscode.l10n.t("failed") : vscode.l10n.t("score {0}", formatScore(score)));
    }
    const annotation = annotationOf(item);
    if (annotation?.humanScore != null) parts.push(vscode.l10n.t("human {0}", formatScore(annotation.humanScore)));
    if (annotation?.difficulty != null) parts.push(difficultyLabel(annotation.difficulty));
    treeItem.description = parts.join(" · ");
    treeItem.tooltip = item.question;
    treeItem.command = {title: vscode.l10n.t("Reveal Eval Item"), command: commandIds.revealEvalItem, arguments: [uri, item.index]};
    treeItem.contextValue = "evalItem";
    return treeItem;
}

function withId(treeItem: vscode.TreeItem, id: string): vscode.TreeItem {
    treeItem.id = id;
    return treeItem;
}

/** The question on one line, cut to `questionPreviewChars` characters (code points, so no emoji is split). */
function previewQuestion(question: string): string {
    const characters = [...question.replace(/\s+/g, " ").trim()];
    return characters.length > questionPreviewChars ? `${characters.slice(0, questionPreviewChars).join("")}…` : characters.join("");
}

/** A 0–1 score with at most two decimals: 0.8, 0.75, 1. */
function formatScore(score: number): string {
    return String(Math.round(score * 100) / 100);
}

function itemCount(count: number): string {
    return count === 1 ? vscode.l10n.t("1 item") : vscode.l10n.t("{0} items", count);
}

function difficultyLabel(difficulty: Difficulty | null): string {
    switch (difficulty) {
        case "easy": return vscode.l10n.t("easy");
        case "medium": return vscode.l10n.t("medium");
        case "hard": return vscode.l10n.t("hard");
        case null: return vscode.l10n.t("not marked");
    }
}
