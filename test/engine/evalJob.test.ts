import assert from "node:assert/strict";
import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {evalJobCommand, type EvalJobRequest, type ServedModel} from "../../extension/evaluate/evalJobCommand";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import {generateLoraAdapter} from "../../models/generate/generateLoraAdapter";
import type {EvalJobLine} from "../../server/eval/EvalJobLine";
import {EvalRunFileError, mergeEvalRunFiles, readEvalRunFile} from "../../server/eval/EvalRunFile";
import type {EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {runEvalJob, type RunEvalJobOptions} from "../../server/eval/runEvalJob";
import {scoreAgainstReference} from "../../server/eval/scoreAgainstReference";
import {repoRoot, startEngineProcess, type EngineProcess} from "../support/startEngineProcess";

const cjk = /[\u4e00-\u9fff]/u;
const evalItems = [
    {question: "中国的首都是哪里？", std_answer: "北京", class: "open qa"},
    {question: "把“今天天气很好”翻译成英文。", std_answer: "The weather is nice today.", class: "translation"},
    {question: "写一首关于秋天的短诗。", std_answer: "", class: "generation"},
    {question: "1+1 等于几？", std_answer: "2", class: "math"},
    {question: "列出三种水果。", std_answer: "", class: "brainstorming"},
    {question: "总结：小明今天去了公园，玩得很开心。", std_answer: "小明在公园玩得开心。", class: "summarization"},
    {question: "判断情感：这部电影太好看了！", std_answer: "正面", class: "classification"},
    {question: "用 Python 打印 hello 🌏", std_answer: "print('hello 🌏')", class: "code"}
];

function byIndex(records: EvalRunRecord[]) {
    return [...records].sort((a, b) => a.index - b.index).map((record) => ({key: record.itemKey, answer: record.answer}));
}

describe("eval jobs on a real engine (generated model; the same engine is candidate and judge)", function () {
    let engine: EngineProcess;
    let dir: string;
    let evalSetPath: string;
    let base: Omit<RunEvalJobOptions, "runFilePath">;
    let uninterrupted: EvalRunRecord[];

    before(async function () {
        this.timeout(120_000);
        engine = await startEngineProcess(["--model", "embedded", "--parallel", "4"]);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "belle-eval-"));
        evalSetPath = path.join(dir, "eval_set.json");
        fs.writeFileSync(evalSetPath, `\uFEFF${evalItems.map((item) => JSON.stringify(item)).join("\r\n")}\r\n`);
        const endpoint = {baseUrl: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, model: engine.ready.model};
        base = {evalSetPath, candidate: endpoint, judge: endpoint, sampling: {temperature: 0, topP: 1, maxTokens: 12}, judgeMaxTokens: 8, concurrency: 4};
    });
    after(async () => {
        await engine?.stop();
        fs.rmSync(dir, {recursive: true, force: true});
    });

    it("answers every item, records each as it finishes, and never turns an unparsable judge reply into a score", async () => {
        const progress: number[] = [];
        const result = await runEvalJob({...base, runFilePath: path.join(dir, "full.jsonl"), onProgress: (p) => progress.push(p.done)});
        uninterrupted = result.records;
        assert.equal(result.total, evalItems.length);
        assert.equal(result.generatedAnswers, evalItems.length);
        assert.deepEqual(progress, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        const {records} = await readEvalRunFile(path.join(dir, "full.jsonl"));
        assert.equal(records.length, evalItems.length);
        for (const record of records) {
            assert.match(record.answer ?? "", cjk, "the generated model answers in Chinese characters");
            // Random weights cannot write BELLE's "得分:": the item is a judge failure, not a 0.
            if (record.score == null) assert.match(record.error ?? "", /^judge: /);
            assert.ok(record.judgeRaw != null);
        }
        assert.equal(new Set(records.map((record) => record.itemKey)).size, evalItems.length);
    });

    it("resumes a cancelled run without losing or repeating an item, with the answers of an uninterrupted run", async () => {
        const runFilePath = path.join(dir, "resumed.jsonl");
        const controller = new AbortController();
        const first = await runEvalJob({
            ...base, runFilePath, signal: controller.signal,
            onProgress: (p) => { if (p.done >= 3) controller.abort(); }
        });
        assert.ok(first.records.length >= 3 && first.records.length < evalItems.length, `cancelled after ${first.records.length}`);
        const second = await runEvalJob({...base, runFilePath});
        assert.equal(second.resumed, first.records.length);
        assert.equal(second.generatedAnswers, evalItems.length - first.records.length);
        const {records} = await readEvalRunFile(runFilePath);
        assert.equal(records.length, evalItems.length);
        assert.deepEqual(byIndex(records), byIndex(uninterrupted));
    });

    it("runs an item again when a crash left its line half-written", async () => {
        const runFilePath = path.join(dir, "torn.jsonl");
        fs.copyFileSync(path.join(dir, "full.jsonl"), runFilePath);
        const text = fs.readFileSync(runFilePath, "utf8");
        fs.writeFileSync(runFilePath, text.slice(0, text.length - 40)); // the last record loses its end and newline
        const result = await runEvalJob({...base, runFilePath});
        assert.equal(result.resumed, evalItems.length - 1);
        assert.equal(result.generatedAnswers, 1);
        const {records} = await readEvalRunFile(runFilePath);
        assert.deepEqual(byIndex(records), byIndex(uninterrupted));
    });

    it("reuses cached answers for the same model, prompt and settings, and regenerates when the settings change", async () => {
        const cacheDir = path.join(dir, "cache");
        const first = await runEvalJob({...base, cacheDir, judge: null, runFilePath: path.join(dir, "cache-1.jsonl")});
        assert.equal(first.generatedAnswers, evalItems.length);
        const second = await runEvalJob({...base, cacheDir, runFilePath: path.join(dir, "cache-2.jsonl")});
        assert.equal(second.cachedAnswers, evalItems.length);
        assert.equal(second.generatedAnswers, 0);
        assert.deepEqual(byIndex(second.records), byIndex(uninterrupted));
        const third = await runEvalJob({...base, cacheDir, judge: null, sampling: {...base.sampling, maxTokens: 6}, runFilePath: path.join(dir, "cache-3.jsonl")});
        assert.equal(third.cachedAnswers, 0);
    });

    it("splits a run into shards that merge back into the whole run", async () => {
        const shardPaths = [0, 1, 2].map((index) => path.join(dir, `shard-${index}.jsonl`));
        for (const [index, runFilePath] of shardPaths.entries())
            await runEvalJob({...base, runFilePath, shard: {index, count: shardPaths.length}});
        const shardSizes = await Promise.all(shardPaths.map(async (shardPath) => (await readEvalRunFile(shardPath)).records.length));
        assert.deepEqual(shardSizes, [3, 3, 2]);
        const merged = path.join(dir, "merged.jsonl");
        assert.deepEqual(await mergeEvalRunFiles(merged, shardPaths), {records: evalItems.length, duplicates: 0});
        assert.deepEqual(byIndex((await readEvalRunFile(merged)).records), byIndex(uninterrupted));
    });

    it("scores each answer against its standard answer with the reference judge, calling no judge model", async () => {
        const runFilePath = path.join(dir, "reference.jsonl");
        // The judge endpoint is not used: one that does not exist shows it
        const unreachable = {baseUrl: "http://127.0.0.1:9/v1", model: "no-such-judge"};
        const result = await runEvalJob({...base, judge: unreachable, judgeMode: "reference", runFilePath});
        assert.equal(result.records.length, evalItems.length);
        const {header, records} = await readEvalRunFile(runFilePath);
        assert.equal(header?.judge, "reference");
        assert.equal(header?.settings.judgeMode, "reference");
        assert.deepEqual(byIndex(records), byIndex(uninterrupted), "the same answers as a run with a judge model");
        for (const record of records) {
            assert.equal(record.judge, "reference");
            assert.equal(record.judgeRaw, null);
            if (record.stdAnswer.trim() === "") {
                assert.equal(record.score, null);
                assert.equal(record.error, "judge: no standard answer to compare with: write one, or use a judge model");
            } else {
                const expected = scoreAgainstReference(record.answer!, record.stdAnswer);
                assert.ok(expected.ok);
                assert.equal(record.score, expected.score);
                assert.equal(record.judgeReason, expected.reason);
                assert.match(record.judgeReason ?? "", /^reference F1 \d\.\d\d \(precision \d\.\d\d, recall \d\.\d\d\)$/);
                assert.equal(record.error, null);
            }
        }
    });

    it("refuses to append to the run file of another run", async () => {
        await assert.rejects(
            runEvalJob({...base, sampling: {...base.sampling, temperature: 0.5}, runFilePath: path.join(dir, "full.jsonl")}),
            (error: unknown) => error instanceof EvalRunFileError && /belongs to another run/.test(error.message)
        );
    });
});

describe("belle eval (the CLI, headless, as a Slurm array task would run it)", function () {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "belle-eval-cli-"));
        fs.writeFileSync(path.join(dir, "eval_set.json"), `${evalItems.slice(0, 4).map((item) => JSON.stringify(item)).join("\n")}\n{"question": "坏的条目"}\n`);
    });
    after(() => fs.rmSync(dir, {recursive: true, force: true}));

    it("runs two shards of an eval set on the embedded model, reports the broken item by line, and merges them", async function () {
        this.timeout(180_000);
        const cli = path.join(repoRoot, "dist", "server.cjs");
        const common = ["eval", "--eval-set", path.join(dir, "eval_set.json"), "--model", "embedded", "--max-tokens", "8",
            "--judge-max-tokens", "8", "--concurrency", "2"];
        for (const shard of ["0/2", "1/2"]) {
            const {status, stderr} = spawnSync(process.execPath, [cli, ...common, "--shard", shard, "--out", path.join(dir, `shard-${shard[0]}.jsonl`)], {encoding: "utf8"});
            assert.equal(status, 0, stderr);
            assert.match(stderr, /eval_set\.json:5:1: error: .*"std_answer"/);
            assert.match(stderr, /\[eval\] finished: 2\/2 items/);
        }
        const merged = path.join(dir, "merged.jsonl");
        const merge = spawnSync(process.execPath, [cli, "eval", "merge", "--out", merged, path.join(dir, "shard-0.jsonl"), path.join(dir, "shard-1.jsonl")], {encoding: "utf8"});
        assert.equal(merge.status, 0, merge.stderr);
        const {records} = await readEvalRunFile(merged);
        assert.deepEqual(records.map((record) => record.index), [0, 1, 2, 3]);
        for (const record of records) assert.match(record.answer ?? "", cjk);
    });

    it("scores offline with --judge-mode reference, without a judge model", async function () {
        this.timeout(180_000);
        const out = path.join(dir, "reference.jsonl");
        const {status, stderr} = spawnSync(process.execPath, [path.join(repoRoot, "dist", "server.cjs"), "eval", "--eval-set", path.join(dir, "eval_set.json"),
            "--model", "embedded", "--max-tokens", "8", "--judge-mode", "reference", "--out", out], {encoding: "utf8"});
        assert.equal(status, 0, stderr);
        const {header, records} = await readEvalRunFile(out);
        assert.equal(header?.judge, "reference");
        assert.equal(records.length, 4);
        // Items 0, 1 and 3 have a standard answer; item 2 (generation) has none
        assert.deepEqual([...records].sort((a, b) => a.index - b.index).map((record) => record.score == null), [false, false, true, false]);
    });

    it("evaluates the model with a LoRA adapter (--lora), its answers its own and not the base model's from the answer cache", async function () {
        this.timeout(240_000);
        const adapterPath = path.join(dir, "random.gguf");
        await generateLoraAdapter(adapterPath, {shape: "tiny", init: "random", seed: 7});
        const run = (out: string, extra: string[]) => {
            const {status, stderr} = spawnSync(process.execPath, [path.join(repoRoot, "dist", "server.cjs"), "eval", "--eval-set", path.join(dir, "eval_set.json"),
                "--model", "embedded", "--max-tokens", "8", "--judge-mode", "reference", "--out", out, ...extra], {encoding: "utf8"});
            assert.equal(status, 0, stderr);
            return readEvalRunFile(out);
        };
        // The base model first, so that its answers are in the cache when the adapted model is asked the same questions
        const base = await run(path.join(dir, "lora-base.jsonl"), []);
        const adapted = await run(path.join(dir, "lora-adapted.jsonl"), ["--lora", adapterPath]);
        assert.notEqual(adapted.header?.modelHash, base.header?.modelHash);
        const answers = (records: readonly EvalRunRecord[]) => [...records].sort((a, b) => a.index - b.index).map((record) => record.answer);
        assert.notDeepEqual(answers(adapted.records), answers(base.records));
        for (const answer of answers(adapted.records)) assert.match(answer ?? "", cjk);

        const misuse = spawnSync(process.execPath, [path.join(repoRoot, "dist", "server.cjs"), "eval", "--eval-set", path.join(dir, "eval_set.json"),
            "--url", "http://127.0.0.1:9/v1", "--model-name", "x", "--no-judge", "--lora", adapterPath, "--out", path.join(dir, "x.jsonl")], {encoding: "utf8"});
        assert.equal(misuse.status, 2, misuse.stderr);
        assert.match(misuse.stderr, /--lora applies to the model this command loads \(--model\)/);
    });

    it("explains a bad --shard and exits with the usage code", () => {
        const {status, stderr} = spawnSync(process.execPath, [path.join(repoRoot, "dist", "server.cjs"), "eval", "--eval-set", "x", "--out", "y", "--model", "embedded", "--shard", "2/2"], {encoding: "utf8"});
        assert.equal(status, 2);
        assert.match(stderr, /--shard 2\/2: expected <i>\/<n>/);
    });
});

describe("belle eval --json-lines on the running engine, as VS Code runs it (evalJobCommand)", function () {
    const items = evalItems.slice(0, 4);
    let dir: string;
    let cacheDir: string;
    let engine: EngineProcess | undefined;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "belle-eval-job-"));
        cacheDir = path.join(dir, "cache");
        fs.writeFileSync(path.join(dir, "eval_set.json"), `${items.map((item) => JSON.stringify(item)).join("\n")}\n`);
    });
    afterEach(async () => {
        await engine?.stop();
        engine = undefined;
    });
    after(() => fs.rmSync(dir, {recursive: true, force: true}));

    const served = (running: EngineProcess): ServedModel => ({
        baseUrl: `${running.baseUrl}/v1`, token: running.ready.token, model: running.ready.model, modelPath: running.ready.modelPath,
        loraAdapters: running.ready.loraAdapters.map(({path: adapterPath, scale}) => ({path: adapterPath, scale}))
    });
    const request = (model: ServedModel, runFile: string, extra: Partial<EvalJobRequest> = {}): EvalJobRequest => ({
        evalSetPath: path.join(dir, "eval_set.json"), runFilePath: path.join(dir, runFile), candidate: {kind: "engine", served: model},
        judge: {kind: "reference"}, sampling: {temperature: 0, topP: 1, maxTokens: 12}, judgeMaxTokens: 8, concurrency: 2, ...extra
    });

    /** Runs the command the extension would run; `stopAfter`: send SIGTERM (VS Code's Cancel) once that many items are done. */
    const runJob = (jobRequest: EvalJobRequest, {stopAfter}: {stopAfter?: number} = {}) => new Promise<{code: number | null, lines: EvalJobLine[], stderr: string}>((resolve, reject) => {
        const {args, env} = evalJobCommand(jobRequest);
        const child = spawn(process.execPath, [path.join(repoRoot, "dist", "server.cjs"), ...args], {
            stdio: ["ignore", "pipe", "pipe"], env: {...process.env, BELLE_CACHE_DIR: cacheDir, ...env}
        });
        const lines: EvalJobLine[] = [];
        let stderr = "";
        let buffered = "";
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
            buffered += chunk;
            for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
                const line = JSON.parse(buffered.slice(0, end)) as EvalJobLine;
                buffered = buffered.slice(end + 1);
                lines.push(line);
                if (stopAfter != null && line.type === "progress" && line.done >= stopAfter) child.kill("SIGTERM");
            }
        });
        child.on("error", reject);
        child.on("close", (code) => resolve({code, lines, stderr}));
    });
    const finishedLine = (lines: EvalJobLine[]) => {
        const last = lines.at(-1);
        assert.ok(last?.type === "finished", `no finished line: ${JSON.stringify(lines)}`);
        return last;
    };

    it("reuses the answers of the same model file after an engine restart on another port, and not those of another model file", async function () {
        this.timeout(300_000);
        engine = await startEngineProcess(["--model", "embedded", "--parallel", "2"]);
        const first = await runJob(request(served(engine), "before-restart.jsonl"));
        assert.equal(first.code, 0, first.stderr);
        assert.deepEqual(pick(finishedLine(first.lines)), {done: items.length, generatedAnswers: items.length, cachedAnswers: 0, complete: true});
        const firstPort = engine.ready.port;
        await engine.stop();

        engine = await startEngineProcess(["--model", "embedded", "--parallel", "2"]);
        assert.notEqual(engine.ready.port, firstPort);
        const again = await runJob(request(served(engine), "after-restart.jsonl"));
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(pick(finishedLine(again.lines)), {done: items.length, generatedAnswers: 0, cachedAnswers: items.length, complete: true},
            "every answer from the cache: the key is the model file's sha256, not the engine's URL");
        const headers = await Promise.all(["before-restart.jsonl", "after-restart.jsonl"].map(async (name) => (await readEvalRunFile(path.join(dir, name))).header));
        assert.match(headers[0]!.modelHash ?? "", /^[0-9a-f]{64}$/);
        assert.equal(headers[1]!.modelHash, headers[0]!.modelHash);
        await engine.stop();

        // Another model file (as a retrained model is) under the same name: its own answers, never the cached ones
        engine = await startEngineProcess(["--model", await ensureGeneratedModel({shape: "tiny", type: "F32"}), "--parallel", "2"]);
        const other = await runJob(request(served(engine), "other-model.jsonl"));
        assert.equal(other.code, 0, other.stderr);
        assert.deepEqual(pick(finishedLine(other.lines)), {done: items.length, generatedAnswers: items.length, cachedAnswers: 0, complete: true});
        assert.notEqual((await readEvalRunFile(path.join(dir, "other-model.jsonl"))).header.modelHash, headers[0]!.modelHash);
    });

    it("stops on SIGTERM (VS Code's Cancel) with a resumable run file, and the same command resumes it to the end", async function () {
        this.timeout(300_000);
        engine = await startEngineProcess(["--model", "embedded", "--parallel", "1"]);
        // No cache: each item is generated, so the job is still under way when it is stopped
        const slow = request(served(engine), "cancelled.jsonl", {concurrency: 1, sampling: {temperature: 0, topP: 1, maxTokens: 24}});
        fs.rmSync(cacheDir, {recursive: true, force: true});
        const stopped = await runJob(slow, {stopAfter: 1});
        assert.equal(stopped.code, 130, stopped.stderr);
        const stoppedAt = finishedLine(stopped.lines);
        assert.equal(stoppedAt.complete, false);
        assert.ok(stoppedAt.done >= 1 && stoppedAt.done < items.length, `stopped at ${stoppedAt.done}`);
        const resumed = await runJob(slow);
        assert.equal(resumed.code, 0, resumed.stderr);
        const end = finishedLine(resumed.lines);
        assert.deepEqual([end.resumed, end.done, end.complete], [stoppedAt.done, items.length, true]);
        const {records} = await readEvalRunFile(slow.runFilePath);
        assert.equal(records.length, items.length);
        assert.equal(new Set(records.map((record) => record.itemKey)).size, items.length, "no item lost or repeated");
    });
});

function pick(line: Extract<EvalJobLine, {type: "finished"}>) {
    return {done: line.done, generatedAnswers: line.generatedAnswers, cachedAnswers: line.cachedAnswers, complete: line.complete};
}
