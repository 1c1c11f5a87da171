import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import {commandIds} from "../../../extension/commandIds";
import {ensureGeneratedModel} from "../../../models/generate/ensureGeneratedModel";
import {readEvalRunFile} from "../../../server/eval/EvalRunFile";
import {readEvalSetFile} from "../../../server/eval/readEvalSet";
import type {EvalRunHeader, EvalRunRecord} from "../../../server/eval/report/EvalRunRecord";
import {evalItemKey} from "../../../server/eval/runEvalJob";
import {activateBelleExtension} from "./belleExtension";
import {WorkspaceFiles} from "./WorkspaceFiles";

describe("Evaluate It: a model against the workspace's last evaluation (the generated tiny model)", function () {
    const files = new WorkspaceFiles();
    let runsFolder: string;

    before(async () => {
        await activateBelleExtension();
        runsFolder = path.join(files.folder.fsPath, ".belle", "runs");
    });

    after(async () => {
        await files.removeAll();
        fs.rmSync(runsFolder, {recursive: true, force: true});
        // The command points belle.model at the evaluated model; the later suites expect the embedded one
        await vscode.workspace.getConfiguration("belle").update("model", "embedded", vscode.ConfigurationTarget.Workspace);
        await vscode.commands.executeCommand(commandIds.stopEngine);
    });

    it("says there is nothing to compare with when the workspace has no evaluation", async function () {
        this.timeout(30_000);
        fs.rmSync(runsFolder, {recursive: true, force: true});
        const model = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const pending = vscode.commands.executeCommand<string | null>(commandIds.evaluateModelAgainstLastRun, vscode.Uri.file(model));
        // The message waits for its button; closing the notifications answers it with nothing
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await vscode.commands.executeCommand("notifications.clearAll");
        assert.equal(await pending, null);
    });

    it("repeats the newest run's eval set, classes and sampling with the model, and opens the comparison with it as the baseline", async function () {
        this.timeout(180_000);
        const evalSet = await files.create("evaluate-it/eval_set.jsonl", [
            {question: "中国的首都是哪里？", std_answer: "北京。", class: "open qa"},
            {question: "1+1 等于几？", std_answer: "2。", class: "math"},
            {question: "写一句关于春天的诗。", std_answer: "", class: "generation"}
        ].map((item) => JSON.stringify(item)).join("\n") + "\n");
        const items = (await readEvalSetFile(evalSet.fsPath)).items.filter((item) => item.className !== "generation");
        const sampling = {temperature: 0, topP: 1, maxTokens: 8};
        const header: EvalRunHeader = {
            kind: "header", runId: "baseline", evalSetPath: evalSet.fsPath, model: "base-model", modelHash: null, judge: "none",
            settings: {...sampling, judgeMode: "belle", classes: ["open qa", "math"], sampleSize: null, sampleSeed: null, shard: null},
            createdAt: new Date(Date.now() - 60_000).toISOString()
        };
        const records: EvalRunRecord[] = items.map((item) => ({
            itemKey: evalItemKey(item), index: item.index, question: item.question, stdAnswer: item.stdAnswer, className: item.className,
            evalClass: item.evalClass, answer: "旧的回答", score: null, judgeReason: null, judgeRaw: null, error: null, model: "base-model",
            judge: "none", finishedAt: header.createdAt
        }));
        fs.mkdirSync(runsFolder, {recursive: true});
        const baseline = path.join(runsFolder, "eval_set-baseline.jsonl");
        fs.writeFileSync(baseline, [header, ...records].map((line) => `${JSON.stringify(line)}\n`).join(""));
        // An older run of another eval set is not "the last evaluation"
        fs.writeFileSync(path.join(runsFolder, "older.jsonl"), `${JSON.stringify({...header, runId: "older", createdAt: "2020-01-01T00:00:00.000Z"})}\n${JSON.stringify(records[0])}\n`);

        const model = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const runFilePath = await vscode.commands.executeCommand<string | null>(commandIds.evaluateModelAgainstLastRun, vscode.Uri.file(model));
        assert.ok(runFilePath != null, "the command gave no run file");
        assert.equal(path.dirname(runFilePath), runsFolder);

        const run = await readEvalRunFile(runFilePath);
        assert.equal(run.header.evalSetPath, evalSet.fsPath);
        assert.notEqual(run.header.model, "base-model");
        assert.deepEqual(
            {temperature: run.header.settings.temperature, topP: run.header.settings.topP, maxTokens: run.header.settings.maxTokens, classes: run.header.settings.classes},
            {...sampling, classes: ["open qa", "math"]});
        assert.deepEqual(run.records.map((record) => record.itemKey).sort(), records.map((record) => record.itemKey).sort(),
            "the same items as the baseline: the generation item was not in its classes");
        for (const record of run.records) {
            assert.equal(record.error, null);
            assert.ok(typeof record.answer === "string" && record.answer !== "旧的回答", "each answer comes from the model");
        }
        assert.equal(vscode.workspace.getConfiguration("belle").get("model"), model, "the engine was switched to the evaluated model");

        const tabs = () => vscode.window.tabGroups.all.flatMap((group) => group.tabs);
        const isReport = (tab: vscode.Tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith("belle.evalReport");
        for (let waited = 0; !tabs().some(isReport) && waited < 5_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(tabs().some(isReport), `the comparison report is open (tabs: ${JSON.stringify(tabs().map((tab) => [tab.label, (tab.input as {viewType?: string})?.viewType]))})`);
    });
});
