import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {belleTrainRunBatchScript} from "../../server/train/external/belleTrainRunBatchScript";
import {InvalidTrainerOptionsError} from "../../server/train/external/externalTrainerPresets";

describe("belleTrainRunBatchScript", () => {
    const options = {
        jobName: "belle-我的 job", specPath: "/data/张三's jobs/my job.json", belleCommand: ["/usr/bin/node", "/opt/belle/bin/belle.cjs"] as const,
        logPath: "/data/张三's jobs/my job.slurm-%j.log", workDir: "/data/张三's jobs"
    };

    it("runs `belle train run <spec> --json-lines` on one node, quoted for bash and for sbatch's own parser", () => {
        const script = belleTrainRunBatchScript({...options, partition: "cpu", time: "01:30:00", cpusPerTask: 8});
        assert.equal(script, [
            "#!/bin/bash",
            "#SBATCH --job-name=belle-_job",
            "#SBATCH --nodes=1",
            "#SBATCH --ntasks=1",
            "#SBATCH --cpus-per-task=8",
            "#SBATCH --time=01:30:00",
            `#SBATCH --output="/data/张三's jobs/my job.slurm-%j.log"`,
            "#SBATCH --partition=cpu",
            "",
            "set -euo pipefail",
            `cd '/data/张三'\\''s jobs'`,
            `exec /usr/bin/node /opt/belle/bin/belle.cjs train run '/data/张三'\\''s jobs/my job.json' --json-lines`,
            ""
        ].join("\n"));
        execFileSync("bash", ["-n"], {input: script});
        assert.doesNotMatch(belleTrainRunBatchScript(options), /--gres|--partition|--cpus-per-task/);
    });

    it("refuses a malformed time and a non-positive CPU count", () => {
        assert.throws(() => belleTrainRunBatchScript({...options, time: "90 minutes"}), InvalidTrainerOptionsError);
        assert.throws(() => belleTrainRunBatchScript({...options, cpusPerTask: 0}), InvalidTrainerOptionsError);
        assert.throws(() => belleTrainRunBatchScript({...options, cpusPerTask: Number.NaN}), InvalidTrainerOptionsError);
    });
});
