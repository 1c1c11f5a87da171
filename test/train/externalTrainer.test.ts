import assert from "node:assert/strict";
import {execFile, spawn} from "node:child_process";
import {readFileSync} from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {slurmSubmitLineToViewEvents, type SlurmMappingContext} from "../../extension/train/slurmSubmitLineToViewEvents";
import type {JobOutputEvent} from "../../server/train/external/parseJobOutputLine";
import {isSlurmSubmitLine, type SlurmSubmitLine} from "../../server/train/external/SlurmSubmitLine";
import {repoRoot} from "../support/startEngineProcess";
import {startSlurmCluster} from "../support/startSlurmCluster";

const execFileAsync = promisify(execFile);

// Lines as Hugging Face's Trainer and LLaMA-Factory print them (the samples of parseTrainerLogLine.unit.test.ts)
const trainerLogSamples = [
    "[INFO|trainer.py:2048] 2026-11-24 16:40:00,001 >> ***** Running training *****",
    "  5%|▌         | 9/200 [00:27<09:33,  3.00s/it]\r  5%|▌         | 10/200 [00:30<09:30,  3.00s/it]{'loss': 2.0143, 'grad_norm': 1.25, 'learning_rate': 2e-05, 'epoch': 0.15}\r  5%|▌         | 10/200 [00:30<09:30,  3.00s/it]",
    "{'loss': 1.8613, 'grad_norm': 0.5234375, 'learning_rate': 1.9e-05, 'epoch': 0.3}",
    "[INFO|trainer.py:2312] 2026-11-24 16:40:01,123 >> /home/张三/训练 输出/run.log {'loss': 0.9876, 'learning_rate': 2.5e-4, 'epoch': 2.0}",
    "{'eval_loss': 1.2, 'eval_runtime': 12.3, 'eval_samples_per_second': 8.1, 'eval_steps_per_second': 1.02, 'epoch': 1.0}",
    "{'train_runtime': 123.4, 'train_samples_per_second': 5.2, 'train_steps_per_second': 0.3, 'total_flos': 1.2345e+16, 'train_loss': 1.5, 'epoch': 3.0}"
];
const sampleLosses = [2.0143, 1.8613, 0.9876];
const outOfMemoryLine = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB";

describe("train external: LLaMA-Factory and BELLE's sft_train.py runs, prepared and run by `belle train external`", function () {
    this.timeout(60_000);
    let folder = "";
    let dataFolder = "";
    let standInBin = "";

    before(async () => {
        folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-external-"));
        dataFolder = path.join(folder, "张三 的数据");
        await fs.mkdir(dataFolder);
        const single = ["中国的首都是哪里？|北京。", "1+1 等于几？|2。"].map((pair) => {
            const [instruction, output] = pair.split("|");
            return JSON.stringify({instruction, input: "", output});
        });
        await fs.writeFile(path.join(dataFolder, "belle's train.jsonl"), single.join("\n") + "\n");
        await fs.writeFile(path.join(dataFolder, "multi.jsonl"), JSON.stringify({id: "1", conversations: [
            {from: "human", value: "你好"}, {from: "assistant", value: "你好！有什么可以帮你？"}]}) + "\n");
        // A stand-in for `llamafactory-cli` first on PATH: it says how it was called, prints real Trainer log lines,
        // and fails when STAND_IN_EXIT asks it to, as an out-of-memory run does
        standInBin = path.join(folder, "bin");
        await fs.mkdir(standInBin);
        const samplesPath = path.join(folder, "trainer-log.txt");
        await fs.writeFile(samplesPath, trainerLogSamples.join("\n") + "\n");
        await fs.writeFile(path.join(standInBin, "llamafactory-cli"), [
            "#!/bin/bash",
            "set -euo pipefail",
            "echo \"llamafactory-cli $*\"",
            `while IFS= read -r line; do printf '%s\\n' "$line"; sleep 0.05; done < ${shellWord(samplesPath)}`,
            // STAND_IN_SLEEP: a long run, stopped by the test; its pid file says which process must be gone then
            `if [ -n "\${STAND_IN_SLEEP:-}" ]; then echo $$ > "$STAND_IN_PID_FILE"; echo sleeping; sleep "$STAND_IN_SLEEP"; fi`,
            `if [ "\${STAND_IN_EXIT:-0}" != 0 ]; then echo ${shellWord(outOfMemoryLine)} >&2; exit "$STAND_IN_EXIT"; fi`
        ].join("\n") + "\n", {mode: 0o755});
    });
    after(async () => {
        if (folder !== "") await fs.rm(folder, {recursive: true, force: true});
    });

    async function writeSpec(name: string, spec: Record<string, unknown>): Promise<string> {
        const specPath = path.join(folder, `${name}.json`);
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: "base.gguf", output: "out.gguf", ...spec}));
        return specPath;
    }

    it("writes LLaMA-Factory's YAML, a dataset_info.json naming the BELLE data, and a run.sh and a batch script that bash reads, with paths of spaces and Chinese quoted", async () => {
        const specPath = await writeSpec("lf job", {trainingFile: "张三 的数据/belle's train.jsonl", epochs: 2, contextTokens: 768, validationSplit: 0.1, lossOn: "all"});
        const out = path.join(folder, "输出 lf");
        const {code, stdout, stderr} = await belle(["train", "external", "llamafactory", specPath, "--out", out, "--base-model", "Qwen/Qwen2.5-0.5B-Instruct",
            "--slurm", "--partition", "gpu a100", "--time", "02:00:00"]);
        assert.equal(code, 0, stderr);

        const config = parseFlatYaml(await fs.readFile(path.join(out, "llamafactory.yaml"), "utf8"));
        assert.equal(config.model_name_or_path, "Qwen/Qwen2.5-0.5B-Instruct");
        assert.equal(config.finetuning_type, "lora");
        assert.equal(config.dataset, "belle_train_0");
        assert.equal(config.dataset_dir, out);
        assert.equal(config.output_dir, path.join(out, "output"));
        assert.equal(config.cutoff_len, 768);
        assert.equal(config.num_train_epochs, 2);
        assert.equal(config.learning_rate, 3e-4, "the spec gives none: BELLE's LoRA default");
        assert.equal(config.val_size, 0.1);
        assert.equal(config.train_on_prompt, true);
        const datasetInfo = JSON.parse(await fs.readFile(path.join(out, "dataset_info.json"), "utf8")) as Record<string, {file_name: string, formatting: string}>;
        assert.deepEqual(Object.keys(datasetInfo), ["belle_train_0"]);
        assert.equal(datasetInfo.belle_train_0!.file_name, path.join(dataFolder, "belle's train.jsonl"));
        assert.equal(datasetInfo.belle_train_0!.formatting, "alpaca");

        const runScript = await fs.readFile(path.join(out, "run.sh"), "utf8");
        await execFileAsync("bash", ["-n", path.join(out, "run.sh")]);
        assert.match(runScript, /^set -euo pipefail$/m);
        assert.ok(runScript.includes(`llamafactory-cli train '${out}/llamafactory.yaml' 2>&1 | tee '${out}/train.log'`), runScript);
        const gguf = `python convert_lora_to_gguf.py --base-model-id Qwen/Qwen2.5-0.5B-Instruct --outfile '${out}/lf job-lora.gguf' --outtype f16 '${out}/output'`;
        assert.ok(runScript.trimEnd().endsWith(`# ${gguf}`), runScript);
        const batchScript = await fs.readFile(path.join(out, "train.slurm.sh"), "utf8");
        await execFileAsync("bash", ["-n", path.join(out, "train.slurm.sh")]);
        assert.match(batchScript, /^#SBATCH --partition="gpu a100"$/m);
        assert.match(batchScript, /^#SBATCH --gres=gpu:1$/m);
        assert.ok(batchScript.includes(`#SBATCH --output="${out}/train-%j.log"`), batchScript);
        assert.ok(stdout.includes(`Start it: sbatch '${out}/train.slurm.sh'`), stdout);
        assert.ok(stdout.includes(gguf), stdout);
    });

    it("belle-sft --full on a local checkpoint folder with 2 GPUs: BELLE's sft_train.py under torchrun, multi-turn data, and convert_hf_to_gguf.py for the whole model", async () => {
        const specPath = await writeSpec("sft", {trainingFile: "张三 的数据/multi.jsonl", learningRate: 0.00001});
        const checkpoint = path.join(folder, "检查点 base");
        await fs.mkdir(checkpoint);
        const belleDir = path.join(folder, "BELLE 仓库", "train");
        const out = path.join(folder, "out sft");
        const {code, stderr} = await belle(["train", "external", "belle-sft", specPath, "--out", out, "--base-model", checkpoint, "--full", "--gpus", "2",
            "--belle-dir", belleDir]);
        assert.equal(code, 0, stderr);
        const runScriptPath = path.join(out, "run.sh");
        const runScript = await fs.readFile(runScriptPath, "utf8");
        await execFileAsync("bash", ["-n", runScriptPath]);
        assert.match(runScript, new RegExp(`^cd '${escapeRegExp(belleDir)}'$`, "m"));
        const command = runScript.split("\n").find((line) => line.startsWith("torchrun "));
        assert.ok(command !== undefined, runScript);
        // bash's own reading of the command line: every path one word, whatever it holds
        const words = (await execFileAsync("bash", ["-c", `printf '%s\\n' ${command.replace(/ 2>&1 \| tee .*$/, "")}`])).stdout.split("\n");
        assert.deepEqual(words.slice(0, 4), ["torchrun", "--nproc_per_node", "2", "src/entry_point/sft_train.py"]);
        const flag = (name: string) => words[words.indexOf(`--${name}`) + 1];
        assert.equal(flag("model_name_or_path"), checkpoint);
        assert.equal(flag("train_file"), path.join(dataFolder, "multi.jsonl"));
        assert.equal(flag("model_max_length"), "512");
        assert.equal(flag("learning_rate"), "0.00001");
        assert.equal(flag("output_dir"), path.join(out, "output"));
        assert.ok(!words.includes("--use_lora"));
        assert.ok(runScript.trimEnd().endsWith(`# python convert_hf_to_gguf.py '${out}/output' --outfile '${out}/sft.gguf' --outtype f16`), runScript);
    });

    it("refuses to start without --base-model, saying why the spec's GGUF will not do", async () => {
        const specPath = await writeSpec("no base", {trainingFile: "张三 的数据/multi.jsonl"});
        const {code, stderr} = await belle(["train", "external", "llamafactory", specPath, "--out", path.join(folder, "never")]);
        assert.equal(code, 2);
        assert.match(stderr, /^belle: external needs --base-model: the Hugging Face checkpoint .* The spec's baseModel is a GGUF/);
        await assert.rejects(fs.access(path.join(folder, "never")));
    });

    it("--run --keep-files --json-lines runs the run.sh edited by hand here and prints the trainer's loss as train submit's lines, which the training view reads (stand-in for LLaMA-Factory: no GPU/torch here)", async () => {
        const specPath = await writeSpec("run here", {trainingFile: "张三 的数据/belle's train.jsonl"});
        const out = path.join(folder, "输出 run");
        const args = ["train", "external", "llamafactory", specPath, "--out", out, "--base-model", "Qwen/Qwen2.5-0.5B"];
        assert.equal((await belle(args)).code, 0);
        // prepared, then edited by hand before the run, as the editor command allows: --keep-files runs it as it is
        const runScriptPath = path.join(out, "run.sh");
        await fs.writeFile(runScriptPath, (await fs.readFile(runScriptPath, "utf8")).replace("set -euo pipefail\n", "set -euo pipefail\necho 手改过\n"));
        const {code, stdout, stderr} = await belle([...args, "--run", "--keep-files", "--json-lines"], {PATH: `${standInBin}:${process.env.PATH}`});
        assert.equal(code, 0, stderr);
        assert.match(stderr, /^Kept llamafactory\.yaml, dataset_info\.json, run\.sh in .* as they were$/m);
        const lines = jsonLines(stdout);
        assert.deepEqual(lines[0], {type: "state", jobId: "local", state: "RUNNING"});
        assert.deepEqual(lines[1], {type: "output", event: {kind: "text", line: "手改过"}});
        assert.deepEqual(lines.at(-1), {type: "finished", jobId: "local", state: "COMPLETED", exitCode: 0, cancelled: false});
        const events = outputEvents(lines);
        assert.deepEqual(events[1], {kind: "text", line: `llamafactory-cli train ${out}/llamafactory.yaml`});
        assert.deepEqual(trainLosses(events), sampleLosses);
        assert.deepEqual(events.flatMap((event) => event.kind === "trainer" && event.record.kind === "summary" ? [event.record.trainLoss] : []), [1.5]);
        // the same lines the Slurm submit feeds the training view
        const viewEvents = mapToView(lines);
        assert.deepEqual(viewEvents.flatMap((event) => event.kind === "train" ? [event.point.loss] : []), sampleLosses);
        assert.deepEqual(viewEvents.flatMap((event) => event.kind === "validation" ? [event.point.loss] : []), [1.2]);
        assert.deepEqual(viewEvents.at(-1), {kind: "status", status: "saved", message: null, outputPath: null});
        assert.match(stderr, /Convert it to GGUF/);
        assert.ok((await fs.readFile(path.join(out, "train.log"), "utf8")).includes("{'loss': 1.8613"), "run.sh tees the log to train.log");
    });

    it("a trainer that fails makes `--run` fail, showing the last lines of its log (stand-in for LLaMA-Factory: no GPU/torch here)", async () => {
        const specPath = await writeSpec("fails", {trainingFile: "张三 的数据/belle's train.jsonl"});
        const out = path.join(folder, "输出 fails");
        const {code, stdout, stderr} = await belle(["train", "external", "llamafactory", specPath, "--out", out, "--base-model", "Qwen/Qwen2.5-0.5B", "--run"],
            {PATH: `${standInBin}:${process.env.PATH}`, STAND_IN_EXIT: "1"});
        assert.equal(code, 1, stderr);
        assert.match(stdout, /^step 10 epoch 0\.15: loss 2\.0143, learning rate 0\.00002$/m);
        assert.match(stderr, new RegExp(`^belle: the trainer failed \\(exit code 1\\); the end of ${escapeRegExp(out)}/train\\.log:$`, "m"));
        const shown = stderr.slice(stderr.indexOf("; the end of "));
        assert.ok(shown.includes(`  ${outOfMemoryLine}`), stderr);
        assert.ok(shown.includes("  {'train_runtime': 123.4"), stderr);
    });

    it("SIGTERM (Cancel in the editor) to `--run` stops the trainer under run.sh, not only bash, and fails as CANCELLED (stand-in for LLaMA-Factory: no GPU/torch here)", async () => {
        const specPath = await writeSpec("stopped", {trainingFile: "张三 的数据/belle's train.jsonl"});
        const pidFile = path.join(folder, "stand-in.pid");
        const child = spawn(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), "train", "external", "llamafactory", specPath,
            "--out", path.join(folder, "输出 stopped"), "--base-model", "Qwen/Qwen2.5-0.5B", "--run", "--json-lines"], {
            env: {...process.env, PATH: `${standInBin}:${process.env.PATH}`, STAND_IN_SLEEP: "60", STAND_IN_PID_FILE: pidFile}, stdio: ["ignore", "pipe", "pipe"]
        });
        let stdout = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
            stdout += chunk;
            // twice, as a double click on Cancel does
            if (stdout.includes("\"line\":\"sleeping\"") && !child.killed) for (let i = 0; i < 2; i++) child.kill("SIGTERM");
        });
        child.stderr.resume();
        const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
        assert.equal(code, 1, stdout);
        assert.deepEqual(jsonLines(stdout).at(-1), {type: "finished", jobId: "local", state: "CANCELLED", exitCode: null, cancelled: true});
        const standInPid = Number(await fs.readFile(pidFile, "utf8"));
        for (let tries = 0; tries < 20 && isAlive(standInPid); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(isAlive(standInPid), false, "the stand-in trainer outlived the cancel");
    });

    it("--slurm --run submits the batch script to a private one-node Slurm cluster and follows it to COMPLETED with its loss (stand-in for LLaMA-Factory: no GPU/torch here)", async function () {
        this.timeout(90_000);
        const cluster = await startSlurmCluster();
        try {
            const specPath = await writeSpec("on slurm", {trainingFile: "张三 的数据/belle's train.jsonl"});
            const out = path.join(folder, "输出 slurm");
            // no GPU gres on this cluster, and one CPU is enough for the stand-in
            const {code, stdout, stderr} = await belle(["train", "external", "llamafactory", specPath, "--out", out, "--base-model", "Qwen/Qwen2.5-0.5B",
                "--slurm", "--gres", "none", "--cpus", "1", "--time", "00:05:00", "--run", "--json-lines", "--poll-interval-ms", "300"],
            {...cluster.env, PATH: `${standInBin}:${cluster.env.PATH}`});
            const lines = jsonLines(stdout);
            assert.equal(code, 0, `${stderr}\n${stdout}\n${await cluster.logs()}`);
            const submitted = lines[0];
            assert.ok(submitted?.type === "submitted", stdout);
            assert.equal(submitted.scriptPath, path.join(out, "train.slurm.sh"));
            assert.equal(submitted.logPath, path.join(out, `train-${submitted.jobId}.log`));
            assert.deepEqual(trainLosses(outputEvents(lines)), sampleLosses);
            assert.deepEqual(lines.at(-1), {type: "finished", jobId: submitted.jobId, state: "COMPLETED", exitCode: 0, cancelled: false});
        } finally {
            await cluster.stop();
        }
    });
});

async function belle(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{code: number | null, stdout: string, stderr: string}> {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), ...args], {env: {...process.env, ...env}, stdio: ["ignore", "pipe", "pipe"]});
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    return {code, stdout, stderr};
}

/** The flat `key: value` YAML that the presets write: strings JSON-quoted, numbers and booleans bare. */
function parseFlatYaml(text: string): Record<string, string | number | boolean> {
    const mapping: Record<string, string | number | boolean> = {};
    for (const line of text.split("\n").filter((l) => l !== "")) {
        const match = /^([a-z0-9_]+): (.+)$/.exec(line);
        assert.ok(match != null, `not a flat YAML line: ${line}`);
        const value = match[2]!;
        mapping[match[1]!] = value === "true" ? true : value === "false" ? false : value.startsWith("\"") ? JSON.parse(value) as string : Number(value);
        assert.ok(typeof mapping[match[1]!] !== "number" || Number.isFinite(mapping[match[1]!]), line);
    }
    return mapping;
}

function jsonLines(stdout: string): SlurmSubmitLine[] {
    return stdout.split("\n").filter((line) => line !== "").map((line) => {
        const value: unknown = JSON.parse(line);
        assert.ok(isSlurmSubmitLine(value), line);
        return value;
    });
}

function outputEvents(lines: readonly SlurmSubmitLine[]): JobOutputEvent[] {
    return lines.flatMap((line) => line.type === "output" ? [line.event] : []);
}

function trainLosses(events: readonly JobOutputEvent[]): number[] {
    return events.flatMap((event) => event.kind === "trainer" && event.record.kind === "train" ? [event.record.loss] : []);
}

function mapToView(lines: readonly SlurmSubmitLine[]) {
    let context: SlurmMappingContext = {
        worker: {epochs: null, stepsPerEpoch: null, contextTokens: null, notes: {dataset: () => "", converted: () => ""}},
        trainerStep: 0, lastErrorLine: null, savedPath: null,
        notes: {submitted: () => "", state: () => "", ended: () => ""}
    };
    return lines.flatMap((line) => {
        const mapped = slurmSubmitLineToViewEvents(line, context);
        context = mapped.context;
        return mapped.events;
    });
}

/** A zombie (killed, not yet reaped by whoever inherited it) counts as gone. */
function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false; // ESRCH: gone
    }
    try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false; // reaped meanwhile
    }
}

function shellWord(text: string): string {
    return `'${text.replaceAll("'", "'\\''")}'`;
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
