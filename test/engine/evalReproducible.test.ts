import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import {mkdtemp, readFile, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {repoRoot} from "../support/startEngineProcess";

describe("belle eval --sampling-seed: reproducible answers at a temperature above 0 (generated model)", function () {
    let folder: string;
    beforeEach(async () => { folder = await mkdtemp(path.join(os.tmpdir(), "belle-eval-seed-")); });
    afterEach(async () => { await rm(folder, {recursive: true, force: true}); });

    /** One run in a cache of its own, so its answers are generated, not read from an earlier run's cache. */
    async function answers(run: string, samplingSeed: string): Promise<string[]> {
        const evalSetPath = path.join(folder, "eval_set.json");
        await writeFile(evalSetPath, ["介绍一下北京。", "写一句关于秋天的话。", "什么是机器学习？"]
            .map((question) => JSON.stringify({question, std_answer: "", class: "open qa"})).join("\n") + "\n");
        const out = path.join(folder, `${run}.jsonl`);
        await promisify(execFile)(process.execPath, [path.join(repoRoot, "bin", "belle.cjs"), "eval", "--eval-set", evalSetPath, "--out", out,
            "--model", await ensureEmbeddedModel(), "--no-judge", "--temperature", "1", "--max-tokens", "12", "--ctx-size", "256",
            "--concurrency", "1", "--sampling-seed", samplingSeed], {env: {...process.env, BELLE_CACHE_DIR: path.join(folder, `cache-${run}`)}});
        return (await readFile(out, "utf8")).split("\n").filter(Boolean).slice(1)
            .map((line) => JSON.parse(line) as {index: number, answer: string})
            .sort((left, right) => left.index - right.index).map((record) => record.answer);
    }

    it("gives the same answers in two runs with the same seed, and others with another seed", async function () {
        this.timeout(300_000);
        const first = await answers("a", "5");
        assert.equal(first.length, 3);
        assert.deepEqual(await answers("b", "5"), first);
        assert.notDeepEqual(await answers("c", "6"), first);
    });
});
