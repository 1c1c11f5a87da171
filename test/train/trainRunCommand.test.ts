import assert from "node:assert/strict";
import {execFile, execFileSync, spawn} from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import {isValidationExample} from "../../server/train/data/splitTrainingFile";
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
        assert.doesNotMatch(stdout, /validation/, "no validation loss without held-out examples");
        assert.match(stdout, new RegExp(`saved ${path.join(folder, "out", "tuned.gguf").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
        const magic = (await fs.readFile(path.join(folder, "out", "tuned.gguf"))).subarray(0, 4).toString("latin1");
        assert.equal(magic, "GGUF");
    });

    it("stops on SIGTERM (VS Code's Cancel): its worker is ended with it, and no model is saved", async () => {
        const modelPath = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const records = Array.from({length: 40}, (_, index) => JSON.stringify({instruction: `第 ${index} 个问题是什么？`, input: "", output: `这是第 ${index} 个回答。`}));
        await fs.writeFile(path.join(folder, "long.jsonl"), records.join("\n") + "\n");
        const specPath = path.join(folder, "long.json");
        const output = path.join(folder, "long-out.gguf");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: modelPath, trainingFile: "long.jsonl", output: "long-out.gguf",
            epochs: 500, learningRate: 0.001, contextTokens: 256}));
        const child = spawn(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), "train", "run", specPath, "--json-lines"], {stdio: ["ignore", "pipe", "pipe"]});
        let workers: number[] = [];
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
        const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
            // The worker has read the job and tokenized the data: training is under way
            if (workers.length > 0 || !chunk.includes("\"dataset\"")) return;
            workers = execFileSync("ps", ["-o", "pid=", "--ppid", String(child.pid)], {encoding: "utf8"}).split("\n").filter((line) => line.trim() !== "").map(Number);
            child.kill("SIGTERM");
        });
        const code = await closed;
        const isAlive = (pid: number) => {
            try {
                process.kill(pid, 0);
                return true;
            } catch {
                return false;
            }
        };
        for (const deadline = Date.now() + 2_000; workers.some(isAlive) && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 100));
        const survivors = workers.filter(isAlive);
        for (const pid of survivors) process.kill(pid, "SIGKILL"); // an orphan would train on, and save, with no one watching
        assert.ok(workers.length > 0, `no worker was seen: ${stderr}`);
        assert.deepEqual(survivors, [], "a worker still trained after its CLI was stopped");
        assert.notEqual(code, 0);
        assert.match(stderr, /Interrupted/);
        await assert.rejects(fs.access(output), "no model was saved");
    });

    it("holds out validationSplit of the examples by content and prints each epoch's validation loss", async () => {
        const modelPath = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const pairs = Array.from({length: 24}, (_, index) => [`${index + 1} 加 ${index + 2} 等于几？`, `${index + 1} 加 ${index + 2} 等于 ${2 * index + 3}。`]);
        await fs.writeFile(path.join(folder, "split.jsonl"), pairs.map(([instruction, output]) => JSON.stringify({instruction, input: "", output})).join("\n") + "\n");
        const specPath = path.join(folder, "split-job.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: modelPath, trainingFile: "split.jsonl", output: "split.gguf",
            epochs: 2, learningRate: 0.003, contextTokens: 256, validationSplit: 0.25}));

        const {stdout} = await run(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), "train", "run", specPath]);
        // The same examples as `belle train split --validation 0.25` would hold out
        const heldOut = pairs.filter(([question, answer]) => isValidationExample([{role: "user", text: question!}, {role: "assistant", text: answer!}], 0.25)).length;
        assert.ok(heldOut > 0 && heldOut < pairs.length / 2, `${heldOut} held out`);
        assert.match(stdout, new RegExp(`^${pairs.length - heldOut} examples → \\d+ windows .*; ${heldOut} validation examples → 1 windows$`, "m"));
        const validationLosses = [...stdout.matchAll(/^epoch \d\/2: loss [\d.]+, accuracy [\d.]+, validation loss ([\d.]+), accuracy [\d.]+, \d+ tok\/s$/gm)]
            .map((match) => Number(match[1]));
        assert.equal(validationLosses.length, 2, stdout);
        assert.ok(validationLosses.every((loss) => loss > 0 && Number.isFinite(loss)), stdout);
    });

    it("takes the validation examples from validationFile, listing its bad records, and prints the validation loss", async () => {
        const modelPath = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const record = (index: number) => JSON.stringify({instruction: `${index} 的平方是多少？`, input: "", output: `${index} 的平方是 ${index * index}。`});
        await fs.writeFile(path.join(folder, "squares.jsonl"), Array.from({length: 16}, (_, index) => record(index + 1)).join("\n") + "\n");
        await fs.writeFile(path.join(folder, "squares.validation.jsonl"), [record(20), "not json", record(21)].join("\n") + "\n");
        const specPath = path.join(folder, "file-job.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: modelPath, trainingFile: "squares.jsonl", output: "squares.gguf",
            epochs: 1, learningRate: 0.003, contextTokens: 256, validationFile: "squares.validation.jsonl"}));

        const {stdout, stderr} = await run(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), "train", "run", specPath]);
        assert.match(stderr, /squares\.validation\.jsonl:2:\d+: /);
        // Two short examples, repeated to fill the one validation window
        assert.match(stdout, /^16 examples → \d+ windows .*; 2 validation examples → 1 windows$/m);
        assert.match(stdout, /^epoch 1\/1: loss [\d.]+, accuracy [\d.]+, validation loss \d+\.\d{4}, accuracy [\d.]+, \d+ tok\/s$/m);
    });

    it("refuses a spec with a clear message naming the file and the field", async () => {
        const specPath = path.join(folder, "bad.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: "m.gguf", trainingFile: "t.jsonl", output: "o.gguf", contextTokens: 300}));
        await assert.rejects(readTrainJobSpec(specPath), /bad\.json: "contextTokens" must be a multiple of 256 .* such as 512/);
        await fs.writeFile(specPath, JSON.stringify({version: 1, trainingFile: "t.jsonl", output: "o.gguf"}));
        await assert.rejects(readTrainJobSpec(specPath), /bad\.json: "baseModel" must be a path/);
        const required = {version: 1, baseModel: "m.gguf", trainingFile: "t.jsonl", output: "o.gguf"};
        for (const validationSplit of [0.6, -0.1, "0.1"]) {
            await fs.writeFile(specPath, JSON.stringify({...required, validationSplit}));
            await assert.rejects(readTrainJobSpec(specPath), /bad\.json: "validationSplit" must be a share of the examples from 0 to 0\.5/);
        }
        await fs.writeFile(specPath, JSON.stringify({...required, validationSplit: 0.1, validationFile: "v.jsonl"}));
        await assert.rejects(readTrainJobSpec(specPath), /bad\.json: "validationSplit" cannot be used with "validationFile"/);
        await fs.writeFile(specPath, JSON.stringify({...required, validationFile: 7}));
        await assert.rejects(readTrainJobSpec(specPath), /bad\.json: "validationFile" must be a path/);
        await fs.writeFile(specPath, JSON.stringify({...required, validationSplit: 0, validationFile: "data/v.jsonl"}));
        assert.equal((await readTrainJobSpec(specPath)).validationFile, path.join(folder, "data", "v.jsonl"));
        // The defaults fill what a spec leaves out; paths become absolute, from the spec's folder
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: "m.gguf", trainingFile: "t.jsonl", output: "o.gguf"}));
        const spec = await readTrainJobSpec(specPath);
        assert.deepEqual({...spec, baseModel: path.basename(spec.baseModel)}, {
            version: 1, baseModel: "m.gguf", trainingFile: path.join(folder, "t.jsonl"), output: path.join(folder, "o.gguf"), epochs: 2,
            learningRate: 1e-4, contextTokens: 512, lossOn: "assistant", validationSplit: 0, validationFile: null
        });
    });
});
