import assert from "node:assert/strict";
import {mkdtemp, readFile, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {runBelleCli} from "../support/runBelleCli";
import type {TrainingFileSummary} from "../../server/train/data/validateTrainingFile";

const belle = runBelleCli;

describe("belle train (the CLI, built bundle)", () => {
    let folder: string;
    beforeEach(async () => { folder = await mkdtemp(path.join(os.tmpdir(), "belle-train-cli-")); });
    afterEach(async () => { await rm(folder, {recursive: true, force: true}); });

    async function writeFiles(): Promise<{trainPath: string, evalSetPath: string}> {
        const trainPath = path.join(folder, "train.jsonl");
        await writeFile(trainPath, [
            JSON.stringify({instruction: "中国的首都是哪里？", input: "", output: "北京。"}),
            JSON.stringify({instruction: "讲个笑话", input: "", output: "好的……"}),
            "{\"instruction\": \"坏的\", \"output\": 42}"
        ].join("\n") + "\n");
        const evalSetPath = path.join(folder, "eval_set.json");
        await writeFile(evalSetPath, JSON.stringify({question: "中国的首都是哪里？", std_answer: "北京", class: "open qa"}) + "\n");
        return {trainPath, evalSetPath};
    }

    it("validate prints a table, the contamination and each bad line as path:line:column: message", async () => {
        const {trainPath, evalSetPath} = await writeFiles();
        const {stdout, code} = await belle("train", "validate", trainPath, "--eval-set", evalSetPath, "--context-length", "2048");
        assert.equal(code, 0);
        assert.match(stdout, /Format {10}single-turn, JSONL/);
        assert.match(stdout, /Examples {8}2 \(0 with several exchanges\), 4 turns, 3 lines, 1 bad/);
        assert.match(stdout, /Found 1 eval question in 1 training example \(1 exact\)/);
        assert.match(stdout, /^ +1 +instruction +1 +1\.000 +exact$/m);
        assert.ok(stdout.includes(`${trainPath}:3:33: "output" must be a string, not a number (42). This record is skipped.`), stdout);
    });

    it("validate --json prints the summary for machines", async () => {
        const {trainPath, evalSetPath} = await writeFiles();
        const {stdout, code} = await belle("train", "validate", trainPath, "--eval-set", evalSetPath, "--json");
        assert.equal(code, 0);
        const summary = JSON.parse(stdout) as TrainingFileSummary;
        assert.equal(summary.format, "single-turn");
        assert.deepEqual(summary.counts, {lines: 3, examples: 2, turns: 4, multiExchangeExamples: 0, badLines: 1});
        assert.equal(summary.contamination?.matches[0]?.exact, true);
        assert.deepEqual(summary.diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.code]), [[3, 33, "wrong_type"]]);
    });

    it("convert and split write their files; a mistake in the command line exits with 2", async () => {
        const {trainPath} = await writeFiles();
        const multiPath = path.join(folder, "multi.jsonl");
        const converted = await belle("train", "convert", trainPath, multiPath, "--to", "multi");
        assert.equal(converted.code, 0);
        assert.match(converted.stderr, /2 multi-turn records from single-turn records, 1 skipped \(line 3\)/);
        assert.equal((await readFile(multiPath, "utf8")).split("\n").filter(Boolean).length, 2);

        const split = await belle("train", "split", multiPath, "--validation", "0.5", "--seed", "3");
        assert.equal(split.code, 0);
        const train = (await readFile(path.join(folder, "multi.train.jsonl"), "utf8")).split("\n").filter(Boolean);
        const validation = (await readFile(path.join(folder, "multi.validation.jsonl"), "utf8")).split("\n").filter(Boolean);
        assert.equal(train.length + validation.length, 2);

        const usage = await belle("train", "convert", trainPath, multiPath, "--to", "sharegpt");
        assert.equal(usage.code, 2);
        assert.match(usage.stderr, /--to is single or multi/);
    });
});
