import assert from "node:assert/strict";
import * as vscode from "vscode";
import {answerFingerprint} from "../../../server/eval/annotation/EvalAnnotation";
import type {EvalRunHeader, EvalRunRecord} from "../../../server/eval/report/EvalRunRecord";
import {parseEvalSet} from "../../../server/eval/readEvalSet";
import {evalItemKey} from "../../../server/eval/runEvalJob";
import {commandIds} from "../../../extension/commandIds";
import {activateBelleExtension} from "./belleExtension";
import {WorkspaceFiles} from "./WorkspaceFiles";

const waitTimeoutMs = 30_000; // file watching in the web host can lag on a loaded 2-core machine

/** Polls `probe` until it returns a value that is not undefined, or fails with what it last saw. */
async function waitFor<T>(description: string, probe: () => Promise<T | undefined> | T | undefined, lastSeen?: () => string): Promise<T> {
    const deadline = Date.now() + waitTimeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`not ${description} within ${waitTimeoutMs} ms${lastSeen == null ? "" : `; last seen: ${lastSeen()}`}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

async function resolvedLensTitles(uri: vscode.Uri, resolveCount: number): Promise<Array<[number, string]>> {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri, resolveCount);
    return lenses.map((lens) => [lens.range.start.line, lens.command?.title ?? ""]);
}

/** Runs the Annotate command for one action and accepts its quick pick's first entry, as a user pressing Enter would. */
async function annotateWithFirstChoice(uri: vscode.Uri, itemIndex: number, action: string): Promise<void> {
    let settled = false;
    const annotating = Promise.resolve(vscode.commands.executeCommand(commandIds.annotateItem, uri, itemIndex, action)).finally(() => { settled = true; });
    while (!settled) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await vscode.commands.executeCommand("workbench.action.acceptSelectedQuickOpenItem");
    }
    await annotating;
}

function belleDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
    return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === "BELLE");
}

async function quickFixes(uri: vscode.Uri, diagnostic: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    return actions.filter((action) => action.diagnostics?.some((fixed) => fixed.code === diagnostic.code) ?? true);
}

describe("annotating an eval set in the editor", function () {
    const files = new WorkspaceFiles();
    let folder: vscode.Uri;
    const createFile = (relativePath: string, text: string) => files.create(relativePath, text);

    before(async () => {
        await activateBelleExtension();
        folder = files.folder;
    });

    after(async () => {
        await vscode.commands.executeCommand("workbench.action.closeAllEditors");
        await files.removeAll();
    });

    // CRLF line breaks and a pretty-printed item with its own key order: what an edit must leave alone
    const items = [
        JSON.stringify({question: "中国的首都是哪里？", std_answer: "北京", class: "open qa"}),
        "{\"class\" : \"poetry\",   \"question\" : \"写一首关于春天的诗。\", \"std_answer\" : \"\"}",
        JSON.stringify({question: "1+1 等于几？", std_answer: "", class: "math", annotation: {human_score: 1, verdict: "good"}}),
        JSON.stringify({question: "把“你好”翻译成英文 😀", std_answer: "Hello", class: "translation"})
    ];
    const originalText = items.join("\r\n") + "\r\n";
    let uri: vscode.Uri;

    it("puts class · score · Evaluate · Annotate above every item, scores from the newest run", async () => {
        uri = await createFile("curated_eval_set.jsonl", originalText);
        await vscode.window.showTextDocument(uri);
        const titles = await waitFor("showing CodeLens", async () => {
            const found = await resolvedLensTitles(uri, 100);
            return found.length === 12 ? found : undefined;
        });
        assert.deepEqual(titles.slice(0, 3), [[0, "open qa · not evaluated"], [0, "$(play) Evaluate"], [0, "$(edit) Annotate"]]);
        assert.deepEqual(titles.filter(([, title]) => title.includes("·")).map(([line]) => line), [0, 1, 2, 3]);

        // A run of this eval set, written where "Run Evaluation" writes runs
        const parsed = parseEvalSet(originalText, {filePath: uri.fsPath});
        const header: EvalRunHeader = {
            kind: "header", runId: "run-1", evalSetPath: uri.fsPath, model: "belle-test", modelHash: null, judge: "judge-test", settings: {},
            createdAt: "2026-11-24T00:00:00.000Z"
        };
        const records: EvalRunRecord[] = parsed.items.map((item) => ({
            itemKey: evalItemKey(item), index: item.index, question: item.question, stdAnswer: item.stdAnswer, className: item.className,
            evalClass: item.evalClass, answer: item.index === 2 ? "3" : `回答 <b>${item.index}</b> [链接](http://example.com)`,
            score: item.index === 2 ? 0 : 0.8, judgeReason: "理由：基本正确", judgeRaw: null, error: null, model: "belle-test", judge: "judge-test",
            finishedAt: "2026-11-24T00:00:01.000Z"
        }));
        await createFile(".belle/runs/curated_eval_set-1.jsonl", [header, ...records].map((line) => JSON.stringify(line)).join("\n") + "\n");
        files.track(vscode.Uri.joinPath(folder, ".belle"));

        const scored = await waitFor("showing the run's scores", async () => {
            const found = await resolvedLensTitles(uri, 100);
            return found[0]?.[1] === "open qa · score 0.8" ? found : undefined;
        });
        assert.equal(scored.find(([line, title]) => line === 2 && title.includes("·"))?.[1], "math · score 0");
    });

    it("hovers an item with the run's answer as plain text, the judge's score and reason, and the human annotation", async () => {
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(0, 5));
        const text = hovers.flatMap((hover) => hover.contents.map((content) => typeof content === "string" ? content : content.value)).join("\n");
        assert.match(text, /Judge score.*0\\\.8/s);
        assert.match(text, /理由：基本正确/);
        // Model output is untrusted: its HTML and link syntax arrive escaped
        assert.ok(text.includes("\\<b\\>0\\</b\\>") && text.includes("\\[链接\\]\\(http://example\\.com\\)"), text);

        const annotated = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(2, 5));
        const annotatedText = annotated.flatMap((hover) => hover.contents.map((content) => typeof content === "string" ? content : content.value)).join("\n");
        assert.match(annotatedText, /Human annotation.*score 1 · good/s);
    });

    it("lists the curator's problems: a missing standard answer and a judge–human disagreement", async () => {
        const diagnostics = await waitFor("reporting the disagreement", () => {
            const found = belleDiagnostics(uri);
            return found.some((diagnostic) => diagnostic.code === "judge_human_disagreement") ? found : undefined;
        });
        const summary = diagnostics.map((diagnostic) => [String(diagnostic.code), diagnostic.range.start.line]);
        assert.deepEqual(summary, [["unknown_class", 1], ["missing_std_answer", 2], ["judge_human_disagreement", 2]]);
        assert.match(diagnostics[2]!.message, /judge 0, human 1 \(good\)/);
    });

    it("fixes an unknown class with one field edit that Undo takes back byte for byte", async () => {
        const document = await vscode.workspace.openTextDocument(uri);
        const unknownClass = belleDiagnostics(uri).find((diagnostic) => diagnostic.code === "unknown_class")!;
        const actions = await quickFixes(uri, unknownClass);
        const titles = actions.map((action) => action.title);
        assert.ok(titles.includes("Pick a class…"), JSON.stringify(titles));
        const change = actions.find((action) => action.edit != null && action.isPreferred);
        assert.ok(change?.edit != null, `no preferred edit among ${JSON.stringify(titles)}`);
        const className = /"(.+)"/.exec(change.title)![1]!;

        assert.ok(await vscode.workspace.applyEdit(change.edit));
        // Exactly the class's value changed: spacing, key order and CRLF of that line and every other line stay
        assert.equal(document.getText(), originalText.replace("\"class\" : \"poetry\"", `"class" : "${className}"`));
        await waitFor("clearing the unknown class", () => belleDiagnostics(uri).some((diagnostic) => diagnostic.code === "unknown_class") ? undefined : true);

        await vscode.window.showTextDocument(document);
        await vscode.commands.executeCommand("undo");
        assert.equal(document.getText(), originalText);
    });

    it("fixes a missing standard answer by switching to an open-ended class, leaving the annotation as it was", async () => {
        const document = await vscode.workspace.openTextDocument(uri);
        // Once the diagnostics are those of the undone text again (the class fix may have added one on line 1)
        const missing = await waitFor("reporting the missing standard answer on line 2 only", () => {
            const found = belleDiagnostics(uri).filter((diagnostic) => diagnostic.code === "missing_std_answer");
            return found.length === 1 && found[0]!.range.start.line === 2 ? found[0] : undefined;
        });
        const actions = await quickFixes(uri, missing);
        const toGeneration = actions.find((action) => action.title.includes("\"generation\""));
        assert.ok(toGeneration?.edit != null, JSON.stringify(actions.map((action) => action.title)));
        assert.ok(await vscode.workspace.applyEdit(toGeneration.edit));
        assert.equal(document.lineAt(2).text, JSON.stringify({question: "1+1 等于几？", std_answer: "", class: "generation", annotation: {human_score: 1, verdict: "good"}}),
            `${JSON.stringify(document.getText())} after ${JSON.stringify(toGeneration.edit.entries().map(([, edits]) => edits))}`);
        assert.equal(document.lineAt(2).text, JSON.stringify({question: "1+1 等于几？", std_answer: "", class: "generation", annotation: {human_score: 1, verdict: "good"}}));
        await vscode.window.showTextDocument(document);
        await vscode.commands.executeCommand("undo");
        assert.equal(document.getText(), originalText);
    });

    it("annotates through the Annotate command: a quick pick, then one edit adding the annotation field, undone byte for byte", async () => {
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document);
        assert.equal(document.getText(), originalText);
        await annotateWithFirstChoice(uri, 3, "difficulty");
        const expectedLine = JSON.stringify({question: "把“你好”翻译成英文 😀", std_answer: "Hello", class: "translation", annotation: {difficulty: "easy"}});
        assert.equal(document.getText(), originalText.replace(items[3]!, expectedLine));
        await vscode.commands.executeCommand("undo");
        assert.equal(document.getText(), originalText);
    });

    it("writes annotations to a sidecar beside the eval set when belle.annotationStorage says so, leaving the eval set as it was", async () => {
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document);
        await vscode.workspace.getConfiguration("belle", folder).update("annotationStorage", "sidecar", vscode.ConfigurationTarget.Workspace);
        const sidecarUri = vscode.Uri.joinPath(folder, "curated_eval_set.annotations.jsonl");
        files.track(sidecarUri);
        try {
            // A new sidecar with the item's line, then that line updated with a verdict on the run's answer
            await annotateWithFirstChoice(uri, 3, "difficulty");
            await annotateWithFirstChoice(uri, 3, "verdict");
            const sidecar = await vscode.workspace.openTextDocument(sidecarUri);
            await sidecar.save();
            assert.equal(document.getText(), originalText, "the eval set is untouched");
            const lines = sidecar.getText().split("\n").filter((line) => line !== "");
            assert.equal(lines.length, 1, sidecar.getText());
            const entry = JSON.parse(lines[0]!) as {question: string, annotation: Record<string, unknown>};
            assert.equal(entry.question, "把“你好”翻译成英文 😀");
            assert.deepEqual(entry.annotation, {difficulty: "easy", verdict: "good", rated_answer: answerFingerprint("回答 <b>3</b> [链接](http://example.com)"), rated_run: "run-1"});

            // The editor reads it: the hover shows the sidecar's annotation
            const text = await waitFor("hovering the sidecar's annotation", async () => {
                const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(3, 5));
                const found = hovers.flatMap((hover) => hover.contents.map((content) => typeof content === "string" ? content : content.value)).join("\n");
                return /Human annotation/.test(found) ? found : undefined;
            });
            assert.match(text, /good · difficulty: easy/);
        } finally {
            await vscode.workspace.getConfiguration("belle", folder).update("annotationStorage", undefined, vscode.ConfigurationTarget.Workspace);
        }
    });

    it("gives a malformed item its diagnostic and no edit", async () => {
        const brokenLine = "{\"question\": \"缺少逗号\" \"std_answer\": \"\", \"class\": \"poetry\"}";
        const brokenUri = await createFile("broken_curated_eval_set.jsonl", `${items[0]}\n${brokenLine}\n`);
        const document = await vscode.workspace.openTextDocument(brokenUri);
        const invalid = await waitFor("reporting the syntax error",
            () => belleDiagnostics(brokenUri).find((diagnostic) => diagnostic.code === "invalid_json"));
        assert.equal(invalid.range.start.line, 1);
        const actions = await quickFixes(brokenUri, invalid);
        assert.deepEqual(actions.filter((action) => action.edit != null).map((action) => action.title), []);
        assert.equal(document.getText(), `${items[0]}\n${brokenLine}\n`);
        assert.equal(document.isDirty, false);
    });

    it("keeps a 10,000-item eval set workable: lenses follow the scroll, problems follow edits", async function () {
        this.timeout(120_000);
        const lines = Array.from({length: 10_000}, (_, index) => JSON.stringify({
            question: `第${index + 1}题：请解释第${index % 97}个概念在机器学习中的作用，并举例说明（${index}）。`,
            std_answer: index % 3 === 0 ? "" : `参考答案 ${index}`,
            class: ["generation", "open qa", "brainstorming", "code"][index % 4]
        }));
        lines[5_000] = JSON.stringify({question: "一个类别未知的题目", std_answer: "", class: "poetry"});
        const bigUri = await createFile("big_eval_set.jsonl", lines.join("\n") + "\n");
        const editor = await vscode.window.showTextDocument(bigUri);
        // Lenses for the items on screen and a margin around them, following the scroll to the end of the file
        const lensLines = async () => (await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", bigUri))
            .map((lens) => lens.range.start.line);
        let seen: number[] = [];
        await waitFor("showing the first items' lenses", async () => {
            seen = await lensLines();
            return seen.includes(0) ? true : undefined;
        }, () => `lenses on ${seen.length} lines`);
        assert.ok(seen.length < 3_000 && !seen.includes(9_999), `${seen.length} lenses, up to line ${Math.max(...seen)}`);
        editor.revealRange(new vscode.Range(9_999, 0, 9_999, 0), vscode.TextEditorRevealType.InCenter);
        await waitFor("showing the last item's lenses after scrolling there", async () => {
            seen = await lensLines();
            return seen.filter((line) => line === 9_999).length === 3 ? true : undefined;
        }, () => `lenses on lines ${Math.min(...seen)}–${Math.max(...seen)}`);
        assert.ok(!seen.includes(0), "the lenses at the top are dropped once far out of view");
        const before = await waitFor("reporting the unknown class", () => {
            const found = belleDiagnostics(bigUri).filter((diagnostic) => diagnostic.code === "unknown_class");
            return found.length === 1 ? found : undefined;
        });
        assert.equal(before[0]!.range.start.line, 5_000);

        // Typing: twenty one-character edits, then the problem moves with the text
        for (let count = 0; count < 20; count++)
            assert.ok(await editor.edit((builder) => builder.insert(new vscode.Position(0, 0), "\n")));
        await waitFor("moving the problem with the edits", () =>
            belleDiagnostics(bigUri).find((diagnostic) => diagnostic.code === "unknown_class" && diagnostic.range.start.line === 5_020) ? true : undefined);

        // Typing within a line (re-read line by line): the unknown class becomes "open qa" one keystroke at a time
        const line = editor.document.lineAt(5_020);
        const start = line.text.indexOf("poetry");
        assert.ok(await editor.edit((builder) => builder.delete(new vscode.Range(5_020, start, 5_020, start + "poetry".length))));
        for (const [offset, character] of [..."open qa"].entries())
            assert.ok(await editor.edit((builder) => builder.insert(new vscode.Position(5_020, start + offset), character)));
        await waitFor("clearing the unknown class", () =>
            belleDiagnostics(bigUri).some((diagnostic) => diagnostic.code === "unknown_class") ? undefined : true);
        await vscode.commands.executeCommand("workbench.action.files.revert");
    });
});
