import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {readFileSync} from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {InvalidTrainerOptionsError, slurmBatchScript, type ExternalTrainerOptions} from "../../server/train/external/externalTrainerPresets";
import {externalTrainingFiles, type ExternalTrainingFilesOptions} from "../../server/train/external/externalTrainingFiles";
import {ggufConversionCommand} from "../../server/train/external/ggufConversionCommand";
import {runLocalJob} from "../../server/train/external/runLocalJob";

const folder = "/work/张三 的训练/run 1";
const options: ExternalTrainingFilesOptions = {
    preset: "llamafactory", folder, name: "my job", baseModelIsDirectory: false,
    trainer: {baseModel: "Qwen/Qwen2.5-0.5B", trainFiles: [{path: "/data/belle's train.jsonl", format: "multi-turn"}], finetuning: "lora"}
};

function words(command: string): string[] {
    return execFileSync("bash", ["-c", `printf '%s\\n' ${command}`], {encoding: "utf8"}).split("\n").slice(0, -1);
}

function fileContent(files: ReturnType<typeof externalTrainingFiles>, base: string): string {
    const file = files.files.find((f) => f.path === path.join(folder, base));
    assert.ok(file !== undefined, `no ${base}`);
    return file.content;
}

describe("externalTrainingFiles and ggufConversionCommand (an external trainer's files for one run)", () => {
    it("converts a full model with convert_hf_to_gguf.py and a LoRA adapter with convert_lora_to_gguf.py, --base for a folder and --base-model-id for a hub id", () => {
        assert.deepEqual(words(ggufConversionCommand({finetuning: "full", trainedDir: "/o/输出 dir", baseModel: {id: "a/b"}, outFile: "/o/m.gguf"})),
            ["python", "convert_hf_to_gguf.py", "/o/输出 dir", "--outfile", "/o/m.gguf", "--outtype", "f16"]);
        assert.deepEqual(words(ggufConversionCommand({finetuning: "lora", trainedDir: "/o/out", baseModel: {directory: "/m/base 模型"}, outFile: "/o/m-lora.gguf"})),
            ["python", "convert_lora_to_gguf.py", "--base", "/m/base 模型", "--outfile", "/o/m-lora.gguf", "--outtype", "f16", "/o/out"]);
        assert.deepEqual(words(ggufConversionCommand({finetuning: "lora", trainedDir: "/o/out", baseModel: {id: "Qwen/Qwen2.5-0.5B"}, outFile: "/o/m.gguf"})),
            ["python", "convert_lora_to_gguf.py", "--base-model-id", "Qwen/Qwen2.5-0.5B", "--outfile", "/o/m.gguf", "--outtype", "f16", "/o/out"]);
    });

    it("writes LLaMA-Factory's YAML and dataset_info.json, and a run.sh that tees to train.log and ends with the GGUF conversion as a comment", () => {
        const files = externalTrainingFiles(options);
        assert.deepEqual(files.files.map((file) => path.basename(file.path)), ["llamafactory.yaml", "dataset_info.json", "run.sh"]);
        assert.equal(files.batchScriptPath, null);
        assert.equal(files.startCommand, `bash '${folder}/run.sh'`);
        assert.equal(files.ggufPath, `${folder}/my job-lora.gguf`);
        assert.match(fileContent(files, "llamafactory.yaml"), /^dataset_dir: "\/work\/张三 的训练\/run 1"$/m);
        assert.equal(JSON.parse(fileContent(files, "dataset_info.json")).belle_train_0.formatting, "sharegpt");
        const runScript = fileContent(files, "run.sh").split("\n");
        assert.deepEqual(runScript.slice(2, 5), ["set -euo pipefail", `cd '${folder}'`,
            `llamafactory-cli train '${folder}/llamafactory.yaml' 2>&1 | tee '${folder}/train.log'`]);
        assert.equal(runScript.at(-2), `# ${files.ggufCommand}`);
    });

    it("runs BELLE's sft_train.py from $BELLE_TRAIN_DIR when no BELLE folder is given, and refuses a validation share it cannot take", () => {
        const files = externalTrainingFiles({...options, preset: "belle-sft", slurm: {gres: null}});
        const runScript = fileContent(files, "run.sh");
        assert.match(runScript, /^cd "\$\{BELLE_TRAIN_DIR:\?set BELLE_TRAIN_DIR to the train\/ folder of a BELLE checkout\}"$/m);
        const batchScript = fileContent(files, "train.slurm.sh");
        assert.match(batchScript, /^cd "\$\{BELLE_TRAIN_DIR:\?/m);
        assert.doesNotMatch(batchScript, /--gres/);
        assert.equal(files.startCommand, `sbatch '${folder}/train.slurm.sh'`);
        assert.throws(() => externalTrainingFiles({...options, preset: "belle-sft", validationShare: 0.05}), InvalidTrainerOptionsError);
    });

    it("gives a batch script the gres asked for, gpu:<n> by default", () => {
        const trainer: ExternalTrainerOptions = {...options.trainer, outputDir: "/o", datasetDir: "/o", gpusPerNode: 4};
        assert.match(slurmBatchScript(trainer, {jobName: "j", logPath: "/o/%j.log"}, "true"), /^#SBATCH --gres=gpu:4$/m);
        assert.match(slurmBatchScript(trainer, {jobName: "j", logPath: "/o/%j.log", gres: "gpu:a100:4"}, "true"), /^#SBATCH --gres=gpu:a100:4$/m);
        assert.doesNotMatch(slurmBatchScript(trainer, {jobName: "j", logPath: "/o/%j.log", gres: null}, "true"), /--gres/);
    });
});

describe("runLocalJob with processGroup (bash run.sh, its trainer piped through tee)", () => {
    it("stops the script's children too when its signal aborts", async () => {
        const folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-process-group-"));
        try {
            const pidFile = path.join(folder, "pid");
            const controller = new AbortController();
            const result = await runLocalJob(["bash", "-c", `sleep 30 >/dev/null 2>&1 & echo $! > '${pidFile}'; echo started; wait`], {
                signal: controller.signal, processGroup: true,
                onEvent: (event) => {
                    if (event.kind === "text" && event.line === "started") controller.abort();
                }
            });
            assert.equal(result.cancelled, true);
            const sleepPid = Number(await fs.readFile(pidFile, "utf8"));
            for (let tries = 0; tries < 40 && isAlive(sleepPid); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
            assert.equal(isAlive(sleepPid), false, "the script's child lives on");
        } finally {
            await fs.rm(folder, {recursive: true, force: true});
        }
    });
});

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
