import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {mkdtemp, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {runBelleCli} from "../support/runBelleCli";
import {evalRunRecord} from "../support/evalRunRecordFixture";

const belle = runBelleCli;

describe("belle's command line (built bundle)", () => {
    const helpCases: [string[], RegExp][] = [
        [["serve"], /belle serve --model/],
        [["inspect"], /belle inspect <file\.gguf/],
        [["eval"], /belle eval --eval-set/],
        [["eval", "report"], /belle eval report <run\.jsonl>/],
        [["eval", "merge"], /belle eval merge --out/],
        [["train"], /belle train validate/],
        [["train", "convert"], /belle train convert <in>/],
        [["train", "run"], /belle train run <spec\.json>/],
        [["train", "external"], /belle train external/]
    ];
    for (const [command, usage] of helpCases) {
        it(`\`belle ${command.join(" ")} --help\` prints its usage on stdout and exits 0`, async () => {
            for (const flag of ["--help", "-h"]) {
                const {stdout, stderr, code} = await belle(...command, flag);
                assert.equal(code, 0, stderr);
                assert.match(stdout, usage);
                assert.doesNotMatch(stderr, /Unknown option/);
            }
        });
    }

    it("the eval usage names every option belle eval takes", async () => {
        const {stdout} = await belle("eval", "--help");
        for (const option of ["--judge-max-tokens", "--ctx-size", "--threads", "--judge-prompts", "--seed", "--sample"])
            assert.ok(stdout.includes(option), `${option} is missing from the usage`);
    });

    it("`belle eval report … | head` ends quietly with 0 when the reader closes the pipe early", async () => {
        const folder = await mkdtemp(path.join(os.tmpdir(), "belle-epipe-"));
        try {
            const runPath = path.join(folder, "run.jsonl");
            const header = {
                kind: "header", runId: "r1", evalSetPath: "eval_set.json", model: "belle-7b", modelHash: null, judge: "gpt-4", settings: {},
                createdAt: "2024-05-01T00:00:00.000Z"
            };
            const records = Array.from({length: 400}, (_, index) => evalRunRecord(index, index % 2 === 0 ? "open qa" : "math", (index % 10) / 10));
            await writeFile(runPath, [header, ...records].map((line) => JSON.stringify(line)).join("\n") + "\n");
            const child = spawn(process.execPath, [path.resolve("bin/belle.cjs"), "eval", "report", runPath, "--format", "csv"], {stdio: ["ignore", "pipe", "pipe"]});
            let stderr = "";
            child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
            // As `head` does: the reader is gone before the report is written
            child.stdout.destroy();
            const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
            assert.equal(code, 0, stderr);
            assert.doesNotMatch(stderr, /EPIPE|Error/);
        } finally {
            await rm(folder, {recursive: true, force: true});
        }
    });
});
