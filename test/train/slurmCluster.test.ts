import assert from "node:assert/strict";
import {spawn, type ChildProcess} from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import type {JobOutputEvent} from "../../server/train/external/parseJobOutputLine";
import type {TrainerLogLine} from "../../server/train/external/parseTrainerLogLine";
import {followSlurmJob, submitSlurmJob} from "../../server/train/external/SlurmJob";
import type {SlurmSubmitLine} from "../../server/train/external/SlurmSubmitLine";
import {repoRoot} from "../support/startEngineProcess";
import {startSlurmCluster, type SlurmCluster} from "../support/startSlurmCluster";

// Lines as Hugging Face's Trainer and LLaMA-Factory print them (the samples of parseTrainerLogLine.unit.test.ts)
const trainerLogSamples = [
    "[INFO|trainer.py:2048] 2026-11-24 16:40:00,001 >> ***** Running training *****",
    "  5%|▌         | 9/200 [00:27<09:33,  3.00s/it]\r  5%|▌         | 10/200 [00:30<09:30,  3.00s/it]{'loss': 2.0143, 'grad_norm': 1.25, 'learning_rate': 2e-05, 'epoch': 0.15}\r  5%|▌         | 10/200 [00:30<09:30,  3.00s/it]",
    "{'loss': 1.8613, 'grad_norm': 0.5234375, 'learning_rate': 1.9e-05, 'epoch': 0.3}",
    "[INFO|trainer.py:2312] 2026-11-24 16:40:01,123 >> /home/张三/训练 输出/run.log {'loss': 0.9876, 'learning_rate': 2.5e-4, 'epoch': 2.0}",
    '{"current_steps": 10, "total_steps": 200, "loss": 1.7, "lr": 2.9e-05, "epoch": 0.05, "percentage": 5.0, "elapsed_time": "0:00:30", "remaining_time": "0:09:30"}',
    "{'eval_loss': 1.2, 'eval_runtime': 12.3, 'eval_samples_per_second': 8.1, 'eval_steps_per_second': 1.02, 'epoch': 1.0}",
    "{'train_runtime': 123.4, 'train_samples_per_second': 5.2, 'train_steps_per_second': 0.3, 'total_flos': 1.2345e+16, 'train_loss': 1.5, 'epoch': 3.0}"
];

describe("train: Slurm jobs on a private one-node cluster (Debian's slurm-wlm + munge, started by the test)", function () {
    this.timeout(90_000);
    let cluster: SlurmCluster | undefined;
    let folder = "";

    before(async function () {
        this.timeout(60_000);
        // No skip when Slurm is missing: startSlurmCluster fails, telling to run .ci/run's apt step
        cluster = await startSlurmCluster();
        folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-slurm-jobs-"));
        const records = ["中国的首都是哪里？|北京。", "1+1 等于几？|2。", "把“你好”翻译成英文|Hello."].map((pair) => {
            const [instruction, output] = pair.split("|");
            return JSON.stringify({instruction, input: "", output});
        });
        await fs.writeFile(path.join(folder, "train.jsonl"), [...records, ...records, ...records].join("\n") + "\n");
    });
    after(async () => {
        await cluster?.stop();
        if (folder !== "") await fs.rm(folder, {recursive: true, force: true});
    });

    it("`belle train submit --slurm` runs `belle train run` on the node to COMPLETED, tailing each epoch's loss, and saves the GGUF", async () => {
        const modelPath = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const specPath = path.join(folder, "tiny job.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: modelPath, trainingFile: "train.jsonl", output: "out/tuned.gguf",
            epochs: 2, learningRate: 0.003, contextTokens: 256}));
        await fs.mkdir(path.join(folder, "out"));

        const {code, lines, stderr} = await runSubmit([specPath]);
        assert.equal(code, 0, await failureContext(stderr, lines));
        const submitted = lines.find((line) => line.type === "submitted");
        assert.ok(submitted?.type === "submitted");
        assert.equal(submitted.scriptPath, path.join(folder, "tiny job.slurm.sh"));
        assert.equal(submitted.logPath, path.join(folder, `tiny job.slurm-${submitted.jobId}.log`));
        assert.ok(states(lines).includes("RUNNING"), JSON.stringify(states(lines)));
        const epochLosses = outputEvents(lines).flatMap((event) =>
            event.kind === "belle" && event.message.type === "epoch" ? [event.message.loss] : []);
        assert.equal(epochLosses.length, 2, JSON.stringify(lines));
        assert.ok(epochLosses.every((loss) => Number.isFinite(loss) && loss > 0));
        const savedPath = path.join(folder, "out", "tuned.gguf");
        assert.ok(outputEvents(lines).some((event) => event.kind === "belle" && event.message.type === "saved" && event.message.outputPath === savedPath));
        assert.deepEqual(lines.at(-1), {type: "finished", jobId: submitted.jobId, state: "COMPLETED", exitCode: 0, cancelled: false});
        assert.equal((await fs.readFile(savedPath)).subarray(0, 4).toString("latin1"), "GGUF");
    });

    it("a job whose training file holds no valid example ends FAILED, with the CLI's error message in its tailed log", async () => {
        await fs.writeFile(path.join(folder, "bad.jsonl"), "{\"instruction\": 1}\nnot json\n");
        const specPath = path.join(folder, "bad.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: "missing.gguf", trainingFile: "bad.jsonl", output: "bad.gguf"}));

        const {code, lines, stderr} = await runSubmit([specPath]);
        assert.equal(code, 1, await failureContext(stderr, lines));
        const finished = lines.at(-1);
        assert.ok(finished?.type === "finished" && finished.state === "FAILED" && finished.exitCode === 2, JSON.stringify(finished));
        const text = outputEvents(lines).flatMap((event) => event.kind === "text" ? [event.line] : []);
        assert.ok(text.some((line) => /^belle: .*bad\.jsonl: no valid training example/.test(line)), text.join("\n"));
        assert.match(stderr, /belle: Slurm job \d+ ended FAILED \(exit code 2\); its log: .*bad\.slurm-\d+\.log/);
    });

    it("SIGTERM (Ctrl+C) to `belle train submit` cancels its job with scancel: the job ends CANCELLED and the command fails", async () => {
        const modelPath = await ensureGeneratedModel({shape: "tiny", type: "F32"});
        const specPath = path.join(folder, "long job.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: modelPath, trainingFile: "train.jsonl", output: "out/long.gguf",
            epochs: 1000, contextTokens: 256}));
        const {code, lines, stderr} = await runSubmit([specPath], (line, child) => {
            if (line.type === "state" && line.state === "RUNNING") child.kill("SIGTERM");
        });
        assert.equal(code, 1, await failureContext(stderr, lines));
        const finished = lines.at(-1);
        assert.ok(finished?.type === "finished" && finished.state === "CANCELLED" && finished.cancelled, JSON.stringify(finished));
        assert.match(stderr, /belle: Slurm job \d+ ended CANCELLED.*, cancelled; its log/);
    });

    it("--print-script prints the batch script, which runs this `belle` by absolute paths, and submits nothing", async () => {
        const specPath = path.join(folder, "print me.json");
        await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: "m.gguf", trainingFile: "train.jsonl", output: "o.gguf"}));
        const child = spawn(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), "train", "submit", specPath, "--slurm", "--partition",
            cluster!.partition, "--cpus", "2", "--print-script"], {env: cluster!.env, stdio: ["ignore", "pipe", "inherit"]});
        let stdout = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => { stdout += chunk; });
        assert.equal(await new Promise((resolve) => child.once("close", resolve)), 0);
        assert.match(stdout, new RegExp(`^#SBATCH --partition=${cluster!.partition}$`, "m"));
        assert.match(stdout, /^#SBATCH --cpus-per-task=2$/m);
        assert.ok(stdout.trimEnd().endsWith(`exec ${process.execPath} ${path.join(repoRoot, "bin", "belle.cjs")} train run '${specPath}' --json-lines`), stdout);
        await assert.rejects(fs.access(path.join(folder, "print me.slurm.sh")));
    });

    it("cancelling a long job (`sleep 600`) runs scancel, and the job ends CANCELLED", async () => {
        const scriptPath = path.join(folder, "long.sh");
        await fs.writeFile(scriptPath, `#!/bin/bash\n#SBATCH --output=${folder}/long-%j.log\necho "sleeping"\nsleep 600\n`);
        const jobId = await submitSlurmJob(scriptPath, {env: cluster!.env, workDir: folder});
        const controller = new AbortController();
        const result = await followSlurmJob(jobId, {
            env: cluster!.env, logPath: path.join(folder, `long-${jobId}.log`), signal: controller.signal, pollIntervalMs: 200,
            onEvent: (event) => {
                if (event.kind === "text" && event.line === "sleeping") controller.abort();
            }
        });
        assert.equal(result.status.state, "CANCELLED", await cluster!.logs());
        assert.equal(result.cancelled, true);
    });

    it("a stand-in for LLaMA-Factory (no GPU here) prints Hugging Face Trainer log lines, tailed across partial writes and parsed into loss points", async () => {
        const samplesPath = path.join(folder, "trainer-log.txt");
        await fs.writeFile(samplesPath, trainerLogSamples.join("\n") + "\n");
        // The line with Chinese text is written in two pieces cut inside a character (训 is e8 ae ad), with a pause
        // longer than the poll interval between them, as a slow file system shows a line being written.
        const chinese = Buffer.from(trainerLogSamples[3]!);
        const cut = chinese.indexOf(Buffer.from("训")) + 1;
        const script = [
            "#!/bin/bash",
            `#SBATCH --output=${folder}/stand-in-%j.log`,
            "set -euo pipefail",
            `mapfile -t lines < ${samplesPath}`,
            "for i in 0 1 2; do printf '%s\\n' \"${lines[$i]}\"; sleep 0.2; done",
            `head -c ${cut} <<< "\${lines[3]}"`,
            "sleep 0.8",
            `tail -c +${cut + 1} <<< "\${lines[3]}"`,
            "for i in 4 5 6; do printf '%s\\n' \"${lines[$i]}\"; sleep 0.2; done"
        ].join("\n") + "\n";
        const scriptPath = path.join(folder, "stand-in.sh");
        await fs.writeFile(scriptPath, script);
        const jobId = await submitSlurmJob(scriptPath, {env: cluster!.env, workDir: folder});
        const events: JobOutputEvent[] = [];
        const result = await followSlurmJob(jobId, {
            env: cluster!.env, logPath: path.join(folder, `stand-in-${jobId}.log`), pollIntervalMs: 200, onEvent: (event) => events.push(event)
        });
        assert.equal(result.status.state, "COMPLETED", await cluster!.logs());
        const records: TrainerLogLine[] = events.flatMap((event) => event.kind === "trainer" ? [event.record] : []);
        assert.deepEqual(records.flatMap((record) => record.kind === "train" ? [[record.epoch, record.loss, record.step ?? null]] : []),
            [[0.15, 2.0143, 10], [0.3, 1.8613, null], [2, 0.9876, null], [0.05, 1.7, 10]]);
        assert.deepEqual(records.flatMap((record) => record.kind === "eval" ? [record.evalLoss] : []), [1.2]);
        assert.deepEqual(records.flatMap((record) => record.kind === "summary" ? [record.trainLoss] : []), [1.5]);
        assert.deepEqual(events.filter((event) => event.kind === "text"), [{kind: "text", line: trainerLogSamples[0]}]);
    });

    async function runSubmit(args: string[], onLine?: (line: SlurmSubmitLine, child: ChildProcess) => void
    ): Promise<{code: number | null, lines: SlurmSubmitLine[], stderr: string}> {
        const child = spawn(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), "train", "submit", ...args, "--slurm",
            "--time", "00:10:00", "--json-lines", "--poll-interval-ms", "300"], {env: cluster!.env, stdio: ["ignore", "pipe", "pipe"]});
        const lines: SlurmSubmitLine[] = [];
        let stderr = "";
        readline.createInterface({input: child.stdout}).on("line", (text) => {
            const line = JSON.parse(text) as SlurmSubmitLine;
            lines.push(line);
            onLine?.(line, child);
        });
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
        const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
        return {code, lines, stderr};
    }

    async function failureContext(stderr: string, lines: readonly SlurmSubmitLine[]): Promise<string> {
        return `${stderr}\n${lines.map((line) => JSON.stringify(line)).join("\n")}\n${await cluster!.logs()}`;
    }
});

function states(lines: readonly SlurmSubmitLine[]): string[] {
    return lines.flatMap((line) => line.type === "state" ? [line.state] : []);
}

function outputEvents(lines: readonly SlurmSubmitLine[]): JobOutputEvent[] {
    return lines.flatMap((line) => line.type === "output" ? [line.event] : []);
}
