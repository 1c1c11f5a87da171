import assert from "node:assert/strict";
import path from "node:path";
import * as vscode from "vscode";
import type {BelleExtensionApi} from "../../../extension/BelleExtensionApi";
import {commandIds} from "../../../extension/commandIds";
import {ensureEmbeddedModel} from "../../../models/generate/ensureGeneratedModel";
import {generateLoraAdapter} from "../../../models/generate/generateLoraAdapter";
import {activateBelleExtension} from "./belleExtension";
import {waitForEngine} from "./waitForEngine";
import {WorkspaceFiles} from "./WorkspaceFiles";

const startTimeoutMs = 120_000;

describe("BELLE: Use as LoRA Adapter (the embedded model and a generated adapter)", function () {
    const files = new WorkspaceFiles();
    let api: BelleExtensionApi;

    before(async () => {
        api = await activateBelleExtension();
    });

    after(async () => {
        await vscode.workspace.getConfiguration("belle").update("loraAdapters", undefined, vscode.ConfigurationTarget.Workspace);
        await api.engine.stop();
        await files.removeAll();
    });

    it("adds the adapter to belle.loraAdapters, and the engine starts with it on the selected model", async function () {
        this.timeout(startTimeoutMs + 30_000);
        const adapter = files.track(vscode.Uri.joinPath(files.folder, "adapters", "tiny-lora.gguf"));
        await generateLoraAdapter(adapter.fsPath, {shape: "tiny", init: "random", seed: 3});

        await api.engine.start();
        await waitForEngine(api.engine, "ready", (engine) => engine.status.state === "ready", startTimeoutMs);
        const before = api.engine.pid;
        const adapters = await vscode.commands.executeCommand(commandIds.useLoraAdapter, adapter, 0.5);
        assert.deepEqual(adapters, [{path: adapter.fsPath, scale: 0.5}]);
        assert.deepEqual(vscode.workspace.getConfiguration("belle").get("loraAdapters"), [{path: adapter.fsPath, scale: 0.5}]);

        // The settings change restarts the running engine; a restart asked for meanwhile joins it
        await api.engine.restart();
        assert.notEqual(api.engine.pid, before, "the engine was restarted");
        await waitForEngine(api.engine, "ready with the adapter", (engine) => engine.status.state === "ready", startTimeoutMs);
        assert.equal(api.engine.status.error, null);
    });

    it("takes the adapter out again at scale 0", async function () {
        this.timeout(30_000);
        const adapter = vscode.Uri.joinPath(files.folder, "adapters", "tiny-lora.gguf");
        assert.deepEqual(await vscode.commands.executeCommand(commandIds.useLoraAdapter, adapter, 0), []);
        assert.equal(vscode.workspace.getConfiguration("belle").inspect("loraAdapters")?.workspaceValue, undefined);
        await api.engine.restart();
        assert.equal(api.engine.status.state, "ready");
    });

    it("a full model set as an adapter stops the engine with the engine's named error, not a crash loop", async function () {
        this.timeout(startTimeoutMs + 30_000);
        const model = await ensureEmbeddedModel();
        await vscode.commands.executeCommand(commandIds.useLoraAdapter, vscode.Uri.file(model), 1);
        await api.engine.restart().then(() => assert.fail("the engine started with a full model as its adapter"), () => undefined);
        // The settings change may have asked for one more restart (see EngineSupervisor.restart): it fails the same way
        await waitForEngine(api.engine, "error", (engine) => engine.status.state === "error", startTimeoutMs);
        assert.equal(api.engine.status.state, "error");
        assert.match(api.engine.status.error ?? "", new RegExp(`${path.basename(model).replace(/\./g, "\\.")}.*not a LoRA adapter`));
    });
});
