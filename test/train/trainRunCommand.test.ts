import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import {readTrainJobSpec} from "../../server/train/TrainJobSpec";
import {repoRoot} from "../support/startEngineProcess";

const run = promisify(execFile);

describe("train: `belle train run <spec.json>` (the built CLI and worker bundle, generated tiny F32 model)", function () {
    this.timeout(120_000);
    let folder = "";
    before(async () => { folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-train-run-")); });
    after(async () => { await fs.rm(folder, {recursive: true, force: true}); });

    it("trains from a job spec with paths relative to it, printing each epoch's loss, and saves the model", async () => {
        const modelPath = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const records = ["中国的首都是哪里？|北京。", "1+1 等于几？|2。", "把“你好”翻译成英文|Hello."].map((pair) => {
            const [instruction, output] = pair.split("|");
            return JSON.stringify({instruction, input: "", output});
        });
        await fs.mkdir(path.join(folder, "data"));
        await fs.writeFile(path.join(folder, "data", "train.jsonl"), [...records, "{\"instruction\": 1}", ...records, ...records, ...records].join("\n") + "\n");
        const specPath = path.join(folder, "job.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: modelPath, trainingFile: "data/train.jsonl", output: "out/tuned.gguf",
            epochs: 2, learningRate: 0.003, contextTokens: 256}));
        await fs.mkdir(path.join(folder, "out"));

        const {stdout, stderr} = await run(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), "train", "run", specPath]);
        assert.match(stderr, /train\.jsonl:4:\d+: .*This record is skipped/);
        const losses = [...stdout.matchAll(/^epoch (\d)\/2: loss ([\d.]+)/gm)].map((match) => Number(match[2]));
        assert.equal(losses.length, 2, stdout);
        assert.ok(losses.every((loss) => loss > 0 && Number.isFinite(loss)), stdout);
        assert.match(stdout, new RegExp(`saved ${path.join(folder, "out", "tuned.gguf").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
        const magic = (await fs.readFile(path.join(folder, "out", "tuned.gguf"))).subarray(0, 4).toString("latin1");
        assert.equal(magic, "GGUF");
    });

    it("refuses a spec with a clear message naming the file and the field", async () => {
        const specPath = path.join(folder, "bad.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: "m.gguf", trainingFile: "t.jsonl", output: "o.gguf", contextTokens: 300}));
        await assert.rejects(readTrainJobSpec(specPath), /bad\.json: "contextTokens" must be a multiple of 256 .* such as 512/);
        await fs.writeFile(specPath, JSON.stringify({version: 1, trainingFile: "t.jsonl", output: "o.gguf"}));
        await assert.rejects(readTrainJobSpec(specPath), /bad\.json: "baseModel" must be a path/);
        // The defaults fill what a spec leaves out; paths become absolute, from the spec's folder
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: "m.gguf", trainingFile: "t.jsonl", output: "o.gguf"}));
        const spec = await readTrainJobSpec(specPath);
        assert.deepEqual({...spec, baseModel: path.basename(spec.baseModel)}, {
            version: 1, baseModel: "m.gguf", trainingFile: path.join(folder, "t.jsonl"), output: path.join(folder, "o.gguf"), epochs: 2,
            learningRate: 1e-4, contextTokens: 512, lossOn: "assistant"
        });
    });
});
