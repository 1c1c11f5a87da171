import assert from "node:assert/strict";
import * as vscode from "vscode";
import {parseEvalSet} from "../../../server/eval/readEvalSet";
import {activateBelleExtension} from "./belleExtension";
import {WorkspaceFiles} from "./WorkspaceFiles";

const diagnosticsTimeoutMs = 10_000;

const item = (fields: Record<string, unknown>) => JSON.stringify({question: "中国的首都是哪里？", std_answer: "北京", class: "open qa", ...fields});

/** A malformed eval set: a wrong type (line 2), an unknown class (3), a duplicate (4) and a missing comma (5). */
const brokenEvalSetLines = [
    item({}),
    item({question: "1+1 等于几？", std_answer: 2, class: "math"}),
    item({question: "写一首关于春天的诗。", std_answer: "", class: "poetry"}),
    item({}),
    "{\"question\": \"缺少逗号\" \"std_answer\": \"\", \"class\": \"open qa\"}"
];

/** BELLE's diagnostics of `uri` (VS Code's own JSON support may report on the same file). */
function belleDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
    return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === "BELLE");
}

/** Resolves with BELLE's diagnostics of `uri` once `condition` holds for them, checked now and on each change. */
async function waitForDiagnostics(uri: vscode.Uri, description: string, condition: (diagnostics: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
    if (condition(belleDiagnostics(uri))) return belleDiagnostics(uri);
    return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            listener.dispose();
            reject(new Error(`${uri.path}: not ${description} within ${diagnosticsTimeoutMs} ms; it has ${JSON.stringify(summarize(belleDiagnostics(uri)))}`));
        }, diagnosticsTimeoutMs);
        const listener = vscode.languages.onDidChangeDiagnostics((event) => {
            if (!event.uris.some((changed) => changed.toString() === uri.toString())) return;
            const diagnostics = belleDiagnostics(uri);
            if (!condition(diagnostics)) return;
            clearTimeout(timer);
            listener.dispose();
            resolve(diagnostics);
        });
    });
}

/** [code, 0-based line] of each diagnostic, in order. */
function summarize(diagnostics: readonly vscode.Diagnostic[]): Array<[string, number]> {
    return diagnostics.map((diagnostic) => [String(diagnostic.code), diagnostic.range.start.line]);
}

describe("eval-set problems in the Problems view", function () {
    const files = new WorkspaceFiles();
    let folder: vscode.Uri;
    const createFile = (relativePath: string, text: string) => files.create(relativePath, text);

    before(async () => {
        await activateBelleExtension();
        folder = files.folder;
    });

    after(async () => {
        await vscode.workspace.getConfiguration("belle", folder).update("evalSetGlobs", undefined, vscode.ConfigurationTarget.Workspace);
        await files.removeAll();
    });

    describe("a malformed eval set named by belle.evalSetGlobs", function () {
        let uri: vscode.Uri;
        let document: vscode.TextDocument;

        it("shows each problem at its line, with its code, severity and the parser's message", async () => {
            const text = brokenEvalSetLines.join("\n") + "\n";
            uri = await createFile("broken_eval_set.jsonl", text);
            document = await vscode.workspace.openTextDocument(uri);
            const diagnostics = await waitForDiagnostics(uri, "reported", (found) => found.length > 0);

            assert.deepEqual(summarize(diagnostics), [["wrong_type", 1], ["unknown_class", 2], ["duplicate_question", 3], ["invalid_json", 4]]);
            assert.deepEqual(diagnostics.map((diagnostic) => diagnostic.severity), [
                vscode.DiagnosticSeverity.Error, vscode.DiagnosticSeverity.Warning, vscode.DiagnosticSeverity.Warning, vscode.DiagnosticSeverity.Error
            ]);
            // The host's display language is English, where the message is exactly the one the CLI prints
            assert.deepEqual(diagnostics.map((diagnostic) => diagnostic.message),
                parseEvalSet(text, {filePath: uri.fsPath}).diagnostics.map((diagnostic) => diagnostic.message));
            // The wrong type is marked on the value, 2, the line's only digit
            const wrongType = diagnostics[0]!;
            assert.equal(document.getText(wrongType.range), "2");
            assert.equal(diagnostics[2]!.relatedInformation?.[0]?.location.range.start.line, 0, "the duplicate points to the first item");
        });

        it("follows edits of the document, not the file on disk, until its problems are fixed", async () => {
            assert.ok(document != null, "the previous test did not open the document");
            const edit = new vscode.WorkspaceEdit();
            const wrongType = belleDiagnostics(uri).find((diagnostic) => diagnostic.code === "wrong_type")!;
            edit.replace(uri, wrongType.range, "\"2\"");
            edit.replace(uri, document.lineAt(4).range, item({question: "不再缺少逗号"}));
            assert.ok(await vscode.workspace.applyEdit(edit));
            await waitForDiagnostics(uri, "down to the unknown class and the duplicate",
                (found) => JSON.stringify(summarize(found)) === JSON.stringify([["unknown_class", 2], ["duplicate_question", 3]]));

            const fix = new vscode.WorkspaceEdit();
            fix.replace(uri, document.lineAt(2).range, item({question: "写一首关于春天的诗。", std_answer: "", class: "generation"}));
            fix.delete(uri, document.lineAt(3).rangeIncludingLineBreak);
            assert.ok(await vscode.workspace.applyEdit(fix));
            await waitForDiagnostics(uri, "free of problems", (found) => found.length === 0);
        });
    });

    it("checks a .json file that no pattern names when its first item looks like an eval item, and no other JSON", async () => {
        const otherUri = await createFile("settings-like.json", "{\"name\": \"belle\", \"class\": \"demo\"}\n");
        const questionsUri = await createFile("questions.json", "{\"question\": \"你好\", \"std_answer\": \"\"}\n");
        await vscode.workspace.openTextDocument(otherUri);
        await vscode.workspace.openTextDocument(questionsUri);
        const diagnostics = await waitForDiagnostics(questionsUri, "reported", (found) => found.length > 0);
        assert.deepEqual(summarize(diagnostics), [["missing_field", 0]]);
        // Documents are checked in the order they open: the other one has been looked at by now
        assert.deepEqual(belleDiagnostics(otherUri), []);
    });

    it("follows belle.evalSetGlobs, a pattern being relative to the workspace folder", async () => {
        const uri = await createFile("data/items.txt", item({class: "poetry"}) + "\n");
        files.track(vscode.Uri.joinPath(folder, "data"));
        await vscode.workspace.openTextDocument(uri);
        assert.deepEqual(belleDiagnostics(uri), [], "a .txt file is no eval set by default");

        await vscode.workspace.getConfiguration("belle", folder).update("evalSetGlobs", ["data/*.txt"], vscode.ConfigurationTarget.Workspace);
        const diagnostics = await waitForDiagnostics(uri, "reported", (found) => found.length > 0);
        assert.deepEqual(summarize(diagnostics), [["unknown_class", 0]]);

        await vscode.workspace.getConfiguration("belle", folder).update("evalSetGlobs", undefined, vscode.ConfigurationTarget.Workspace);
        await waitForDiagnostics(uri, "cleared", (found) => found.length === 0);
    });
});
