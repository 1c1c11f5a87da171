import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import {commandIds} from "../../../extension/commandIds";
import {sampleEvalSetPath} from "../../../extension/commands/openSampleEvalSet";
import {sampleTrainingFilePath, sampleTrainingJobPath} from "../../../extension/commands/startSampleTraining";
import {parseEvalSet} from "../../../server/eval/readEvalSet";
import {readTrainJobSpec} from "../../../server/train/TrainJobSpec";
import {activateBelleExtension, getBelleExtension} from "./belleExtension";
import {WorkspaceFiles} from "./WorkspaceFiles";

type WalkthroughStep = {id: string, title: string, description: string, media: {markdown?: string, image?: Record<string, string>}, completionEvents: string[]};
type Manifest = {contributes: {walkthroughs?: Array<{id: string, steps: WalkthroughStep[]}>}};

const viewTimeoutMs = 10_000;

describe("the first-run walkthrough", function () {
    const files = new WorkspaceFiles();
    let extensionPath: string;
    let steps: WalkthroughStep[];

    before(async () => {
        await activateBelleExtension();
        const extension = getBelleExtension();
        extensionPath = extension.extensionPath;
        const walkthroughs = (extension.packageJSON as Manifest).contributes.walkthroughs ?? [];
        assert.equal(walkthroughs.length, 1, "package.json contributes one walkthrough");
        steps = walkthroughs[0]!.steps;
    });

    after(async () => {
        await vscode.commands.executeCommand("workbench.action.closeAllEditors");
        await files.removeAll();
    });

    it("walks through picking a model, downloading it, the chat, evaluation and training; the model steps tick only once a model is set or on disk", () => {
        assert.deepEqual(steps.map((step) => step.id), ["pickModel", "downloadModel", "openChat", "evaluate", "train", "endpoint"]);
        assert.deepEqual(steps.map((step) => step.completionEvents), [
            ["onContext:belle.modelSet"], ["onContext:belle.modelDownloaded"], [`onCommand:${commandIds.openChat}`],
            [`onCommand:${commandIds.evaluateSelection}`], [`onCommand:${commandIds.startSampleTraining}`], [`onCommand:${commandIds.copyEndpointInfo}`]
        ]);
    });

    it("names only registered commands, in its completion events and in the buttons of its descriptions in English and Chinese", async () => {
        const registered = new Set(await vscode.commands.getCommands(true));
        const named = new Set(steps.flatMap((step) => step.completionEvents).filter((event) => event.startsWith("onCommand:"))
            .map((event) => event.replace(/^onCommand:/, "")));
        for (const nlsFile of ["package.nls.json", "package.nls.zh-cn.json"]) {
            const texts = JSON.parse(fs.readFileSync(path.join(extensionPath, nlsFile), "utf8")) as Record<string, string>;
            for (const step of steps) {
                const description = texts[`walkthrough.${step.id}.description`];
                assert.ok(description != null, `${nlsFile} lacks the description of ${step.id}`);
                const buttons = [...description.matchAll(/\]\(command:([\w.]+)\)/g)].map((match) => match[1]!);
                assert.ok(buttons.length > 0, `${nlsFile}: step ${step.id} has no command button`);
                for (const command of buttons) named.add(command);
            }
        }
        const missing = [...named].filter((command) => !registered.has(command));
        assert.deepEqual(missing, [], "named by the walkthrough but not registered");
    });

    it("ships every step's media", () => {
        const mediaFiles = steps.flatMap((step) => [step.media.markdown, ...Object.values(step.media.image ?? {})]).filter((file) => file != null);
        assert.equal(mediaFiles.length, 9);
        for (const file of mediaFiles) assert.ok(fs.existsSync(path.join(extensionPath, file!)), `${file} is missing`);
    });

    it("opens a valid bilingual sample eval set with BELLE: Open Sample Eval Set, shown in the Eval Set view without problems", async function () {
        const view = (await activateBelleExtension()).evalSetView;
        files.track(vscode.Uri.joinPath(files.folder, sampleEvalSetPath.split("/")[0]!));
        const uri = await vscode.commands.executeCommand<vscode.Uri>(commandIds.openSampleEvalSet);
        assert.equal(uri.fsPath, path.join(files.folder.fsPath, ...sampleEvalSetPath.split("/")));
        assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString());

        const text = vscode.window.activeTextEditor.document.getText();
        const parsed = parseEvalSet(text, {filePath: uri.fsPath});
        assert.deepEqual(parsed.diagnostics, []);
        assert.equal(parsed.items.length, 8);
        assert.ok(parsed.items.some((item) => /[\u4e00-\u9fff]/.test(item.question)) && parsed.items.some((item) => /^[\x20-\x7e]+$/.test(item.question)),
            "Chinese and English questions");

        // The view follows the eval set once the extension has parsed it: by then its diagnostics are out too
        const deadline = Date.now() + viewTimeoutMs;
        while (view.document?.uri.toString() !== uri.toString() || view.getChildren().length === 0) {
            assert.ok(Date.now() < deadline, `the Eval Set view did not show ${uri.path} within ${viewTimeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const problems = vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === "BELLE");
        assert.deepEqual(problems.map((diagnostic) => `${String(diagnostic.code)}: ${diagnostic.message}`), []);
    });

    it("trains the demo model on the sample data with BELLE: Start a Sample Training Job, from a spec the trainer accepts", async function () {
        this.timeout(180_000);
        files.track(vscode.Uri.joinPath(files.folder, sampleTrainingFilePath.split("/")[0]!));
        const specUri = files.track(vscode.Uri.joinPath(files.folder, ...sampleTrainingJobPath.split("/")));
        const outputUri = files.track(vscode.Uri.joinPath(files.folder, ".belle", "models", "belle-sample-tuned.gguf"));

        const saved = await vscode.commands.executeCommand<string | null>(commandIds.startSampleTraining);

        const spec = await readTrainJobSpec(specUri.fsPath);
        assert.equal(spec.trainingFile, path.join(files.folder.fsPath, ...sampleTrainingFilePath.split("/")));
        assert.ok(fs.existsSync(spec.baseModel), `the demo model ${spec.baseModel} was generated`);
        assert.equal(spec.contextTokens, 256);
        assert.equal(saved, outputUri.fsPath);
        assert.equal(fs.readFileSync(outputUri.fsPath).subarray(0, 4).toString("latin1"), "GGUF");
    });
});
