import assert from "node:assert/strict";
import type {JobOutputEvent} from "../../server/train/external/parseJobOutputLine";
import {runLocalJob} from "../../server/train/external/runLocalJob";

describe("runLocalJob (a training command run here, its output parsed as a Slurm job's log is)", () => {
    it("parses stdout and stderr line by line, joining pieces written apart, and reports the exit code", async () => {
        const events: [JobOutputEvent, string][] = [];
        const result = await runLocalJob(["bash", "-c", "printf \"{'loss': 1.5, \"; sleep 0.1; printf \"'epoch': 0.5}\\n\"; " +
            "echo '{\"type\":\"saved\",\"outputPath\":\"/o.gguf\"}'; echo 'Traceback: 训练失败' >&2; exit 3"],
        {onEvent: (event, stream) => events.push([event, stream])});
        assert.deepEqual(result, {exitCode: 3, signal: null, cancelled: false});
        assert.deepEqual(events.filter(([, stream]) => stream === "stdout").map(([event]) => event), [
            {kind: "trainer", record: {kind: "train", epoch: 0.5, loss: 1.5}},
            {kind: "belle", message: {type: "saved", outputPath: "/o.gguf"}}
        ]);
        assert.deepEqual(events.filter(([, stream]) => stream === "stderr").map(([event]) => event), [{kind: "text", line: "Traceback: 训练失败"}]);
    });

    it("stops the command with SIGTERM when its signal aborts", async () => {
        const controller = new AbortController();
        const result = await runLocalJob(["bash", "-c", "echo started; exec sleep 30"], {
            signal: controller.signal,
            onEvent: (event) => {
                if (event.kind === "text" && event.line === "started") controller.abort();
            }
        });
        assert.deepEqual(result, {exitCode: null, signal: "SIGTERM", cancelled: true});
    });
});
