import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import type {BelleExtensionApi} from "../../../extension/BelleExtensionApi";
import {commandIds} from "../../../extension/commandIds";
import {ensureGeneratedModel} from "../../../models/generate/ensureGeneratedModel";
import {startSlurmCluster, type SlurmCluster} from "../../support/startSlurmCluster";
import {activateBelleExtension} from "./belleExtension";
import {WorkspaceFiles} from "./WorkspaceFiles";

describe("BELLE: Submit Training Job to Slurm (a private one-node slurm-wlm cluster, the generated tiny F32 model)", function () {
    const files = new WorkspaceFiles();
    let api: BelleExtensionApi;
    let cluster: SlurmCluster | undefined;
    const slurmConf = process.env.SLURM_CONF;

    before(async function () {
        this.timeout(60_000);
        api = await activateBelleExtension();
        // No skip when Slurm is missing: startSlurmCluster fails, telling to run .ci/run's apt step
        cluster = await startSlurmCluster();
        // The extension host's environment is what the command's `belle train submit` (and its sbatch) inherit
        process.env.SLURM_CONF = cluster.env.SLURM_CONF;
    });

    after(async () => {
        if (slurmConf === undefined) delete process.env.SLURM_CONF;
        else process.env.SLURM_CONF = slurmConf;
        await cluster?.stop();
        await files.removeAll();
    });

    it("submits the job spec, follows the Slurm job in the training view to its saved model", async function () {
        this.timeout(120_000);
        const baseModel = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const record = (instruction: string, output: string) => JSON.stringify({instruction, input: "", output});
        const lines = Array.from({length: 8}, () => [record("中国的首都是哪里？", "北京。"), record("1+1 等于几？", "2。")]).flat();
        files.track(vscode.Uri.joinPath(files.folder, "slurm-test"));
        await files.create("slurm-test/train.jsonl", lines.join("\n") + "\n");
        const specUri = await files.create("slurm-test/.belle/train/slurm-job.json", JSON.stringify({
            version: 1, baseModel, trainingFile: "../../train.jsonl", output: "../../tuned.gguf", epochs: 2, learningRate: 0.001, contextTokens: 256
        }));

        const saved = await vscode.commands.executeCommand<string | null>(commandIds.submitTrainingJobToSlurm, specUri);
        const expected = path.join(files.folder.fsPath, "slurm-test", "tuned.gguf");
        const trainFolder = path.join(files.folder.fsPath, "slurm-test", ".belle", "train");
        const jobLogs = fs.readdirSync(trainFolder).filter((name) => name.endsWith(".log"))
            .map((name) => `== ${name}\n${fs.readFileSync(path.join(trainFolder, name), "utf8").slice(-3_000)}`).join("\n");
        assert.equal(saved, expected, `${jobLogs}\n${await cluster!.logs()}`);
        assert.equal(fs.readFileSync(expected).subarray(0, 4).toString("latin1"), "GGUF");
        const view = api.trainingViews.states.find((state) => state.name === "slurm-job");
        assert.ok(view != null, "the job's training view is open");
        assert.equal(view.status, "saved");
        assert.equal(view.epochs, 2);
        assert.ok(view.train.length >= 2 && view.train.every((point) => Number.isFinite(point.loss)), "a loss curve from the tailed log");
        assert.ok(view.notes.some((note) => /Slurm job \d+/.test(note)), `the notes name the Slurm job: ${JSON.stringify(view.notes)}`);
    });
});
