import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {
    belleTrainCommand, llamaFactoryCommand, llamaFactoryConfig, llamaFactoryDatasetInfo, llamaFactoryYaml,
    parseSacctState, parseSbatchOutput, parseScontrolJobState, parseSqueueState, shellQuote,
    slurmBatchScript,
    type ExternalTrainerOptions
} from "../../server/train/external/externalTrainerPresets";

const weirdPath = "/data/张三 的数据/belle's train.json";
const base: ExternalTrainerOptions = {
    baseModel: "BelleGroup/BELLE-Llama2-13B-chat-0.4M",
    trainFiles: [{path: "/data/belle/train_0.5M_CN.json", format: "single-turn"}],
    outputDir: "/out/run1",
    datasetDir: "/out/run1/data",
    finetuning: "lora"
};

function echoWords(command: string): string[] {
    const output = execFileSync("bash", ["-c", `printf '%s\\n' ${command}`], {encoding: "utf8"});
    return output.split("\n").slice(0, -1);
}

describe("externalTrainerPresets", () => {
    it("registers single-turn BELLE data as an alpaca dataset", () => {
        assert.deepEqual(llamaFactoryDatasetInfo(base), {
            belle_train_0: {file_name: "/data/belle/train_0.5M_CN.json", formatting: "alpaca",
                columns: {prompt: "instruction", query: "input", response: "output"}}
        });
    });

    it("registers multi-turn BELLE data as sharegpt with BELLE's role tags", () => {
        const info = llamaFactoryDatasetInfo({...base, trainFiles: [{path: "/d/multiturn_chat_0.8M.json", format: "multi-turn"}]});
        assert.deepEqual(info.belle_train_0, {file_name: "/d/multiturn_chat_0.8M.json", formatting: "sharegpt",
            columns: {messages: "conversations"},
            tags: {role_tag: "from", content_tag: "value", user_tag: "human", assistant_tag: "assistant"}});
    });

    it("writes a LoRA YAML with the keys llamafactory-cli needs and PyYAML-safe floats", () => {
        const yaml = llamaFactoryYaml(base);
        for (const line of ['stage: "sft"', "do_train: true", 'finetuning_type: "lora"', 'lora_target: "all"',
            'dataset: "belle_train_0"', 'dataset_dir: "/out/run1/data"', 'template: "default"', "cutoff_len: 1024",
            'output_dir: "/out/run1"', "num_train_epochs: 3", "learning_rate: 0.0003", "bf16: true", "logging_steps: 10",
            "save_steps: 500", "plot_loss: true"])
            assert.ok(yaml.split("\n").includes(line), `missing ${line} in\n${yaml}`);
        assert.match(llamaFactoryYaml({...base, learningRate: 1e-7}), /^learning_rate: 1\.0e-7$/m);
    });

    it("writes a full fine-tuning YAML without LoRA keys and with BELLE's full-FT learning rate", () => {
        const config = llamaFactoryConfig({...base, finetuning: "full", deepspeedConfig: "/cfg/ds_z3.json"});
        assert.equal(config.finetuning_type, "full");
        assert.equal(config.lora_target, undefined);
        assert.equal(config.learning_rate, 8e-6);
        assert.equal(config.deepspeed, "/cfg/ds_z3.json");
    });

    it("quotes a path with spaces, Chinese characters and a quote so bash reads it back as one word", () => {
        assert.deepEqual(echoWords(shellQuote(weirdPath)), [weirdPath]);
        const command = llamaFactoryCommand(base, weirdPath);
        execFileSync("bash", ["-n", "-c", command]);
        assert.deepEqual(echoWords(command.replace(/^llamafactory-cli /, "")), ["train", weirdPath]);
        assert.match(llamaFactoryYaml({...base, outputDir: weirdPath}), /^output_dir: "\/data\/张三 的数据\/belle's train.json"$/m);
    });

    it("asks LLaMA-Factory for torchrun when several GPUs are used", () => {
        assert.equal(llamaFactoryCommand({...base, gpusPerNode: 4}, "/c/t.yaml"),
            "FORCE_TORCHRUN=1 NNODES=1 NPROC_PER_NODE=4 llamafactory-cli train /c/t.yaml");
    });

    it("builds BELLE's own command line with model_max_length and deepspeed", () => {
        const command = belleTrainCommand({...base, trainFiles: [{path: weirdPath, format: "single-turn"}], gpusPerNode: 8,
            deepspeedConfig: "configs/deepspeed_config_stage3.json"});
        execFileSync("bash", ["-n", "-c", command]);
        const words = echoWords(command);
        assert.deepEqual(words.slice(0, 4), ["deepspeed", "--num_gpus", "8", "src/entry_point/sft_train.py"]);
        assert.equal(words[words.indexOf("--train_file") + 1], weirdPath);
        assert.equal(words[words.indexOf("--model_max_length") + 1], "1024");
        assert.ok(words.includes("--use_lora") && words.includes("--lora_config"));
        assert.ok(belleTrainCommand({...base, gpusPerNode: 2}).startsWith("torchrun --nproc_per_node 2 "));
    });

    it("writes a multi-node sbatch script that passes bash -n", () => {
        const options = {...base, nodes: 2, gpusPerNode: 8};
        const script = slurmBatchScript(options, {jobName: "belle lora", logPath: "/logs/belle-%j.log", workDir: weirdPath},
            llamaFactoryCommand(options, "/c/t.yaml"));
        for (const line of ["#SBATCH --job-name=belle_lora", "#SBATCH --nodes=2", "#SBATCH --gres=gpu:8",
            "#SBATCH --cpus-per-task=64", "#SBATCH --time=24:00:00", "#SBATCH --output=/logs/belle-%j.log"])
            assert.ok(script.includes(line + "\n"), `missing ${line}`);
        assert.match(script, /scontrol show hostnames "\$SLURM_JOB_NODELIST" \| head -n1/);
        assert.match(script, /^srun bash -c /m);
        execFileSync("bash", ["-n"], {input: script});
    });

    it("parses sbatch, squeue and sacct output", () => {
        assert.equal(parseSbatchOutput("Submitted batch job 12345\n"), "12345");
        assert.equal(parseSbatchOutput("12346;cluster1\n"), "12346");
        assert.equal(parseSbatchOutput("sbatch: error: Batch job submission failed: Invalid account\n"), null);
        assert.deepEqual(parseSqueueState("RUNNING\n"), {state: "RUNNING", finished: false});
        assert.deepEqual(parseSqueueState("PENDING\n"), {state: "PENDING", finished: false});
        assert.equal(parseSqueueState(""), null);
        assert.deepEqual(parseSacctState("COMPLETED|0:0\nCOMPLETED|0:0\nCOMPLETED|0:0\n"),
            {state: "COMPLETED", finished: true, exitCode: 0, signal: 0});
        assert.deepEqual(parseSacctState("FAILED|1:0\nFAILED|1:0\nCOMPLETED|0:0\n"), {state: "FAILED", finished: true, exitCode: 1, signal: 0});
        assert.deepEqual(parseSacctState("CANCELLED by 1000|0:15\n"), {state: "CANCELLED", finished: true, exitCode: 0, signal: 15});
        assert.equal(parseSacctState("OUT_OF_MEMORY|0:125\n")?.state, "OUT_OF_MEMORY");
        assert.equal(parseSacctState(""), null);
    });

    it("reads a finished job's state and exit code from scontrol when there is no accounting database", () => {
        const line = "JobId=1 JobName=t1 UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 " +
            "BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:02 DerivedExitCode=0:0 Command=/tmp/ExitCode=9:9/j.sh\n";
        assert.deepEqual(parseScontrolJobState(line), {state: "FAILED", finished: true, exitCode: 3, signal: 0});
        assert.deepEqual(parseScontrolJobState("JobId=2 JobState=RUNNING Reason=None ExitCode=0:0"),
            {state: "RUNNING", finished: false, exitCode: 0, signal: 0});
        assert.equal(parseScontrolJobState("slurm_load_jobs error: Invalid job id specified"), null);
    });
});
