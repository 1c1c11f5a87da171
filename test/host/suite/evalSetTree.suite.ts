import assert from "node:assert/strict";
import * as vscode from "vscode";
import type {BelleExtensionApi} from "../../../extension/BelleExtensionApi";
import type {EvalSetTreeNode} from "../../../extension/annotation/EvalSetTreeProvider";
import type {EvalRunHeader} from "../../../server/eval/report/EvalRunRecord";
import {parseEvalSet} from "../../../server/eval/readEvalSet";
import {evalItemKey} from "../../../server/eval/runEvalJob";
import {evalRunRecord} from "../../support/evalRunRecordFixture";
import {activateBelleExtension} from "./belleExtension";
import {WorkspaceFiles} from "./WorkspaceFiles";

const viewTimeoutMs = 10_000;

/** Five items on lines 1–5: three classes (poetry is not BELLE's), two difficulties, two items without annotation. */
const evalSetLines = [
    {question: "中国的首都是哪里？", std_answer: "北京", class: "open qa", annotation: {difficulty: "easy", human_score: 0.9}},
    {question: "世界上最高的山是哪座？", std_answer: "珠穆朗玛峰", class: "open qa"},
    {question: "1+1 等于几？", std_answer: "2", class: "math", annotation: {difficulty: "hard"}},
    {question: "写一首关于春天的诗。", std_answer: "", class: "poetry"},
    {question: `请解释${"很长的问题".repeat(20)}`, std_answer: "", class: "open qa", annotation: {note: "问题太长"}}
].map((item) => JSON.stringify(item));

type EvalSetView = BelleExtensionApi["evalSetView"];

describe("the Eval Set view in the Explorer", function () {
    let view: EvalSetView;
    let folder: vscode.Uri;
    let evalSetUri: vscode.Uri;
    const files = new WorkspaceFiles();
    const createFile = (relativePath: string, text: string) => files.create(relativePath, text);

    /** Resolves once `condition` holds for the view's data, checked now and each time the view redraws. */
    async function waitForView(description: string, condition: () => boolean): Promise<void> {
        if (condition()) return;
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
                listener.dispose();
                reject(new Error(`the Eval Set view did not show ${description} within ${viewTimeoutMs} ms; it shows ${JSON.stringify(describeRoot(view))}`));
            }, viewTimeoutMs);
            const listener = view.onDidChangeTreeData(() => {
                if (!condition()) return;
                clearTimeout(timer);
                listener.dispose();
                resolve();
            });
        });
    }

    before(async () => {
        view = (await activateBelleExtension()).evalSetView;
        folder = files.folder;
        const text = evalSetLines.join("\n") + "\n";
        evalSetUri = await createFile("tree_eval_set.jsonl", text);
        // A run of the eval set, written before it opens: open qa scored 0.8 and 0.5 (the third item not run),
        // math failed, poetry scored 1
        const items = parseEvalSet(text, {filePath: evalSetUri.fsPath}).items;
        const header: EvalRunHeader = {
            kind: "header", runId: "tree-view-test", evalSetPath: evalSetUri.fsPath, model: "belle-7b", modelHash: null, judge: "gpt-4",
            settings: {}, createdAt: "2024-05-01T00:00:00.000Z"
        };
        const records = [[0, 0.8], [1, 0.5], [2, null], [3, 1]].map(([index, score]) => {
            const item = items[index!]!;
            return evalRunRecord(item.index, item.className, score ?? null, {itemKey: evalItemKey(item), question: item.question});
        });
        await createFile(".belle/runs/tree-view-test.jsonl", [header, ...records].map((line) => JSON.stringify(line)).join("\n") + "\n");
    });

    after(async () => {
        await vscode.commands.executeCommand("workbench.action.closeAllEditors");
        await files.removeAll();
    });

    it("shows the active eval set's classes with their item counts and the run's mean scores", async () => {
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(evalSetUri));
        await waitForView("the eval set's classes with their means", () => view.document?.uri.toString() === evalSetUri.toString()
            && describeRoot(view).some(([, description]) => description.includes("mean")));

        assert.deepEqual(describeRoot(view), [
            // open qa: (0.8 + 0.5) / 2, the third item not run;  math: its one item failed, so no mean
            ["open qa", "3 items · mean 0.65"],
            ["math", "1 item"],
            ["poetry", "1 item · mean 1.00 · unknown class"],
            ["Difficulty", "easy 1 · medium 0 · hard 1 · not marked 3"],
            ["Unannotated (2)", ""]
        ]);
        const poetry = view.getTreeItem(rootNode(view, "poetry"));
        assert.ok(poetry.iconPath instanceof vscode.ThemeIcon && poetry.iconPath.id === "warning", "an unknown class is marked with a warning icon");
    });

    it("lists a class's items with their score, human score and difficulty, the question cut short", () => {
        const items = view.getChildren(rootNode(view, "open qa")).map((node) => view.getTreeItem(node));
        assert.deepEqual(items.map((item) => [item.label, item.description]), [
            ["中国的首都是哪里？", "score 0.8 · human 0.9 · easy"],
            ["世界上最高的山是哪座？", "score 0.5"],
            [`请解释${"很长的问题".repeat(20)}`.slice(0, 40) + "…", "not evaluated"]
        ]);
        assert.equal(items[2]!.tooltip, `请解释${"很长的问题".repeat(20)}`, "the tooltip holds the whole question");
        assert.deepEqual(items.map((item) => item.command?.command), ["belle.revealEvalItem", "belle.revealEvalItem", "belle.revealEvalItem"]);
        assert.deepEqual(items.map((item) => (item.command?.arguments?.[0] as vscode.Uri).toString()), Array(3).fill(evalSetUri.toString()));
        assert.deepEqual(items.map((item) => item.command?.arguments?.[1]), [0, 1, 4]);
    });

    it("spreads the items over the difficulties and lists the unannotated ones", () => {
        const levels = view.getChildren(rootNode(view, "Difficulty"));
        assert.deepEqual(levels.map((node) => [view.getTreeItem(node).label, view.getTreeItem(node).description]),
            [["easy", "1 item"], ["medium", "0 items"], ["hard", "1 item"], ["not marked", "3 items"]]);
        assert.deepEqual(view.getChildren(levels[2]!).map((node) => view.getTreeItem(node).label), ["1+1 等于几？"]);
        assert.equal(view.getTreeItem(levels[1]!).collapsibleState, vscode.TreeItemCollapsibleState.None, "an empty level does not expand");
        assert.deepEqual(view.getChildren(rootNode(view, "Unannotated (2)")).map((node) => view.getTreeItem(node).label),
            ["世界上最高的山是哪座？", "写一首关于春天的诗。"]);
    });

    it("is empty while the active editor is not an eval set, and a click on an item moves the cursor to its line", async () => {
        const poetryItem = view.getTreeItem(view.getChildren(rootNode(view, "poetry"))[0]!);
        const notesUri = await createFile("tree_notes.txt", "不是评测集\n");
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(notesUri));
        await waitForView("nothing", () => view.document == null && view.getChildren().length === 0);

        const command = poetryItem.command!;
        await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
        const editor = vscode.window.activeTextEditor;
        assert.equal(editor?.document.uri.toString(), evalSetUri.toString());
        assert.equal(editor.selection.active.line, 3, "the poetry item is on line 4");
        assert.ok(editor.selection.isEmpty);
        await waitForView("the eval set again", () => view.document?.uri.toString() === evalSetUri.toString() && view.getChildren().length > 0);
    });

    it("shows 10,000 items at once, listing 500 of a class and then how many more there are", async () => {
        const questions = distinctQuestions(10_000);
        const lines = questions.map((question, index) => JSON.stringify({question, std_answer: "", class: index % 4 === 0 ? "math" : "open qa"}));
        const bigUri = await createFile("tree_big_eval_set.jsonl", lines.join("\n") + "\n");
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(bigUri));
        await waitForView("the large eval set", () => view.document?.uri.toString() === bigUri.toString());

        const started = performance.now();
        const openQa = rootNode(view, "open qa");
        const children = view.getChildren(openQa);
        const treeItems = children.map((node) => view.getTreeItem(node));
        const elapsedMs = performance.now() - started;
        assert.deepEqual(describeRoot(view).slice(0, 2), [["math", "2500 items"], ["open qa", "7500 items"]]);
        assert.equal(children.length, 501);
        assert.equal(treeItems[0]!.label, questions[1]);
        assert.equal(treeItems[500]!.label, "… 7000 more items, not listed here");
        assert.equal(treeItems[500]!.command, undefined);
        assert.ok(elapsedMs < 2_000, `the view took ${elapsedMs.toFixed(0)} ms to group 10,000 items and list 500`);
    });
});

/**
 * `count` questions of 12 pseudo-random CJK characters: unlike "问题 1", "问题 2", … no two are near-duplicates, which
 * the eval-set diagnostics would compare pair by pair.
 */
function distinctQuestions(count: number): string[] {
    let state = 0x2545f491;
    const nextCharacter = () => {
        // xorshift32
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return String.fromCodePoint(0x4e00 + (state >>> 0) % 0x5000);
    };
    return Array.from({length: count}, () => Array.from({length: 12}, nextCharacter).join(""));
}

function rootNode(view: EvalSetView, label: string): EvalSetTreeNode {
    const node = view.getChildren().find((candidate) => view.getTreeItem(candidate).label === label);
    assert.ok(node != null, `the Eval Set view has no "${label}" node; it shows ${JSON.stringify(describeRoot(view))}`);
    return node;
}

/** [label, description] of each top node. */
function describeRoot(view: EvalSetView): Array<[string, string]> {
    return view.getChildren().map((node) => {
        const item = view.getTreeItem(node);
        return [String(item.label), String(item.description ?? "")];
    });
}
