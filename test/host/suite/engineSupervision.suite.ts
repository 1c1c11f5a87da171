import assert from "node:assert/strict";
import * as vscode from "vscode";
import type {BelleExtensionApi} from "../../../extension/BelleExtensionApi";
import {commandIds} from "../../../extension/commandIds";
import {ensureGeneratedModel} from "../../../models/generate/ensureGeneratedModel";
import {activateBelleExtension} from "./belleExtension";
import {findEngineProcesses, isProcessAlive} from "./findEngineProcesses";
import {waitForEngine} from "./waitForEngine";

/** The first start may generate the embedded model into the cache (about 20 s on 2 cores) before loading it. */
const firstStartTimeoutMs = 180_000;
const restartTimeoutMs = 90_000;

describe("the engine the extension supervises, on the embedded model", function () {
    let api: BelleExtensionApi;

    before(async () => {
        api = await activateBelleExtension();
    });

    after(async () => {
        await api?.engine.stop();
    });

    it("reads belle.model = embedded from the workspace settings", () => {
        assert.equal(vscode.workspace.getConfiguration("belle").get("model"), "embedded");
    });

    it("becomes ready on BELLE: Start Engine, and refuses requests without the bearer token", async function () {
        this.timeout(firstStartTimeoutMs + 10_000);
        await vscode.commands.executeCommand("belle.startEngine");
        await waitForEngine(api.engine, "ready", (engine) => engine.status.state === "ready", firstStartTimeoutMs);

        assert.ok(api.engine.pid != null, "a ready engine has a pid");
        assert.deepEqual(findEngineProcesses(), [api.engine.pid]);
        const baseUrl = api.engine.baseUrl;
        assert.match(baseUrl ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);

        const health = await fetch(`${baseUrl}/health`);
        assert.equal(health.status, 401);
        const completion = await fetch(`${baseUrl}/v1/chat/completions`, {
            method: "POST",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({model: "embedded", messages: [{role: "user", content: "hello"}]})
        });
        assert.equal(completion.status, 401);
    });

    it("restarts the engine with a new pid when its process is killed", async function () {
        this.timeout(restartTimeoutMs + 10_000);
        const killedPid = api.engine.pid;
        assert.ok(killedPid != null, "the previous test left the engine running");
        process.kill(killedPid);

        await waitForEngine(api.engine, "ready with a new pid",
            (engine) => engine.status.state === "ready" && engine.pid != null && engine.pid !== killedPid, restartTimeoutMs);
        assert.equal(isProcessAlive(killedPid), false);
        assert.deepEqual(findEngineProcesses(), [api.engine.pid]);
        const health = await fetch(`${api.engine.baseUrl}/health`);
        assert.equal(health.status, 401);
    });

    it("switches the running engine to another model once with BELLE: Chat with This Model (it restarted twice), then back", async function () {
        this.timeout(restartTimeoutMs * 2 + 30_000);
        assert.equal(api.engine.status.state, "ready", "the previous test left the engine ready");
        const otherModel = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const starts: number[] = [];
        const subscription = api.engine.onDidChangeStatus((status) => { if (status.state === "starting") starts.push(Date.now()); });
        try {
            await vscode.commands.executeCommand(commandIds.chatWithModel, vscode.Uri.file(otherModel));
            await waitForEngine(api.engine, "ready on the other model", (engine) => engine.status.state === "ready", restartTimeoutMs);
            // a second restart asked for by the settings listener would come within moments
            await new Promise((resolve) => setTimeout(resolve, 2_000));
            assert.equal(api.engine.status.state, "ready");
            assert.equal(starts.length, 1, `the engine started ${starts.length} times`);
            assert.equal(vscode.workspace.getConfiguration("belle").get("model"), otherModel);
            assert.deepEqual(findEngineProcesses(), [api.engine.pid]);
        } finally {
            subscription.dispose();
            await vscode.workspace.getConfiguration("belle").update("model", "embedded", vscode.ConfigurationTarget.Workspace);
            await vscode.commands.executeCommand("workbench.action.closeAllEditors");
        }
        await waitForEngine(api.engine, "ready on the embedded model again",
            (engine) => engine.status.state === "ready" && engine.status.model === "Demo model", restartTimeoutMs);
    });

    it("stops on BELLE: Stop Engine, and its process is gone", async function () {
        this.timeout(30_000);
        const pid = api.engine.pid;
        assert.ok(pid != null, "the previous test left the engine running");
        await vscode.commands.executeCommand("belle.stopEngine");
        await waitForEngine(api.engine, "stopped", (engine) => engine.status.state === "stopped", 10_000);

        assert.equal(api.engine.pid, undefined);
        assert.equal(api.engine.baseUrl, undefined);
        assert.equal(isProcessAlive(pid), false, `engine process ${pid} still runs`);
        assert.deepEqual(findEngineProcesses(), []);
    });
});
