import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import {commandIds} from "../../../extension/commandIds";
import type {BelleExtensionApi} from "../../../extension/BelleExtensionApi";
import {ensureGeneratedModel} from "../../../models/generate/ensureGeneratedModel";
import {activateBelleExtension} from "./belleExtension";

describe("training jobs from VS Code (the generated tiny F32 model)", function () {
    let folder: vscode.Uri;
    let trainFolder: vscode.Uri;
    let api: BelleExtensionApi;

    before(async () => {
        api = await activateBelleExtension();
        const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(workspaceFolder != null, "the host was opened without a workspace folder");
        folder = workspaceFolder.uri;
        trainFolder = vscode.Uri.joinPath(folder, "training-test");
    });

    after(async () => {
        await vscode.workspace.fs.delete(trainFolder, {recursive: true});
    });

    it("runs a saved job spec with BELLE: Run Training Job, in a process of its own, shows it in a training view, and saves the trained GGUF", async function () {
        this.timeout(120_000);
        const baseModel = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const record = (instruction: string, output: string) => JSON.stringify({instruction, input: "", output});
        const lines = Array.from({length: 8}, () => [record("中国的首都是哪里？", "北京。"), record("1+1 等于几？", "2。")]).flat();
        await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(trainFolder, "train.jsonl"), new TextEncoder().encode(lines.join("\n") + "\n"));
        const specUri = vscode.Uri.joinPath(trainFolder, ".belle", "train", "host-job.json");
        await vscode.workspace.fs.writeFile(specUri, new TextEncoder().encode(JSON.stringify({
            version: 1, baseModel, trainingFile: "../../train.jsonl", output: "../../tuned.gguf", epochs: 1, learningRate: 0.001, contextTokens: 256
        })));

        const saved = await vscode.commands.executeCommand<string | null>(commandIds.runTrainingJob, specUri);
        const expected = path.join(trainFolder.fsPath, "tuned.gguf");
        assert.equal(saved, expected);
        assert.equal(fs.readFileSync(expected).subarray(0, 4).toString("latin1"), "GGUF");
        const view = api.trainingViews.states.find((state) => state.name === "host-job");
        assert.ok(view != null, "the job's training view is open");
        assert.equal(view.status, "saved");
        assert.equal(view.outputPath, expected);
        assert.ok(view.train.length >= 1 && view.train.every((point) => Number.isFinite(point.loss)), "a loss curve");
        assert.equal(view.epochs, 1);
        assert.equal(view.step, view.stepsPerEpoch, "the curve ends at the last step of the one epoch");
    });

    it("reports a job whose base model is missing, and writes nothing", async function () {
        this.timeout(60_000);
        const specUri = vscode.Uri.joinPath(trainFolder, ".belle", "train", "broken-job.json");
        await vscode.workspace.fs.writeFile(specUri, new TextEncoder().encode(JSON.stringify({
            version: 1, baseModel: "missing.gguf", trainingFile: "../../train.jsonl", output: "../../never.gguf", epochs: 1, contextTokens: 256
        })));
        assert.equal(await vscode.commands.executeCommand<string | null>(commandIds.runTrainingJob, specUri), null);
        assert.equal(fs.existsSync(path.join(trainFolder.fsPath, "never.gguf")), false);
        const view = api.trainingViews.states.find((state) => state.name === "broken-job");
        assert.equal(view?.status, "failed");
        assert.ok((view?.statusMessage ?? "") !== "", "the view says why");
    });
});
