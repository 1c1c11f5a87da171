import assert from "node:assert/strict";
import {mkdtemp, readdir, readFile, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {convertTrainingFile} from "../../server/train/data/convertTrainingFile";
import {hashTrainingExample} from "../../server/train/data/hashTrainingExample";
import {readTrainingFile} from "../../server/train/data/readTrainingFile";
import type {TrainingExample} from "../../server/train/data/TrainingExample";
import {splitTrainingFile} from "../../server/train/data/splitTrainingFile";

const jsonl = (records: readonly unknown[]) => records.map((record) => JSON.stringify(record)).join("\n") + "\n";
const readJsonl = async (filePath: string) => (await readFile(filePath, "utf8")).split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as unknown);

async function examplesOf(filePath: string): Promise<TrainingExample[]> {
    const examples: TrainingExample[] = [];
    for await (const entry of readTrainingFile(filePath)) if (entry.kind === "example") examples.push(entry.example);
    return examples;
}

describe("convertTrainingFile", () => {
    let folder: string;
    beforeEach(async () => { folder = await mkdtemp(path.join(os.tmpdir(), "belle-training-convert-")); });
    afterEach(async () => { await rm(folder, {recursive: true, force: true}); });

    it("numbers made-up ids by the record's place in the input, skipped ones included, and keeps a numeric id a number, as BELLE's convert_to_conv_data.py does", async () => {
        const inputPath = path.join(folder, "data.jsonl");
        await writeFile(inputPath, jsonl([
            {instruction: "甲", input: "", output: "一"},
            {instruction: "坏的一行"},
            {id: 7, instruction: "乙", input: "", output: "二"},
            {instruction: "丙", input: "", output: "三"}
        ]));
        const multiPath = path.join(folder, "multi.jsonl");
        const result = await convertTrainingFile(inputPath, multiPath, {to: "multi-turn"});
        assert.deepEqual((await readJsonl(multiPath)).map((record) => (record as {id: unknown}).id), ["data-1", 7, "data-4"]);
        assert.deepEqual([result.written, result.skipped, result.generatedIds, result.skippedLines], [3, 1, 2, [2]]);

        const singlePath = path.join(folder, "single.jsonl");
        await convertTrainingFile(multiPath, singlePath, {to: "single-turn"});
        assert.deepEqual((await readJsonl(singlePath)).map((record) => (record as {id: unknown}).id), ["data-1", 7, "data-4"]);
    });

    it("round-trips single → multi → single: the same examples, ids made up where missing, as BELLE's converter does", async () => {
        const single = [
            {instruction: "题目：小明有 10 元，花了 5 元，还剩多少？", input: "", output: "\n还剩 5 元。"},
            {id: "keep-me", instruction: "翻译成英文：", input: "你好，世界 🌏", output: "Hello, world 🌏"},
            {instruction: "坏的一行"}
        ];
        const singlePath = path.join(folder, "belle_math.jsonl");
        await writeFile(singlePath, jsonl(single));

        const multiPath = path.join(folder, "multi.jsonl");
        const toMulti = await convertTrainingFile(singlePath, multiPath, {to: "multi-turn"});
        assert.deepEqual([toMulti.from, toMulti.written, toMulti.skipped, toMulti.generatedIds], ["single-turn", 2, 1, 1]);
        assert.deepEqual(toMulti.diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.code]), [[3, "missing_field"]]);
        assert.deepEqual(await readJsonl(multiPath), [
            {id: "belle_math-1", conversations: [{from: "human", value: single[0]!.instruction}, {from: "assistant", value: single[0]!.output}]},
            {id: "keep-me", conversations: [{from: "human", value: "翻译成英文：你好，世界 🌏"}, {from: "assistant", value: "Hello, world 🌏"}]}
        ]);
        // Written as UTF-8 text, not \u escapes (BELLE's ensure_ascii=False)
        assert.match(await readFile(multiPath, "utf8"), /小明/);

        const backPath = path.join(folder, "back.jsonl");
        const toSingle = await convertTrainingFile(multiPath, backPath, {to: "single-turn"});
        assert.deepEqual([toSingle.from, toSingle.written, toSingle.skipped], ["multi-turn", 2, 0]);
        assert.deepEqual(await readJsonl(backPath), [
            {id: "belle_math-1", instruction: single[0]!.instruction, input: "", output: single[0]!.output},
            // The human turn cannot be cut back into instruction and input: it becomes the instruction
            {id: "keep-me", instruction: "翻译成英文：你好，世界 🌏", input: "", output: "Hello, world 🌏"}
        ]);
        const turnsOf = async (filePath: string) => (await examplesOf(filePath)).map((example) => example.turns);
        assert.deepEqual(await turnsOf(backPath), await turnsOf(multiPath));
        assert.deepEqual(await turnsOf(multiPath), (await turnsOf(singlePath)));
        // And once ids are there, multi → single → multi gives the very same bytes
        const multiAgainPath = path.join(folder, "multi-again.jsonl");
        await convertTrainingFile(backPath, multiAgainPath, {to: "multi-turn"});
        assert.equal(await readFile(multiAgainPath, "utf8"), await readFile(multiPath, "utf8"));
        assert.deepEqual((await readdir(folder)).filter((name) => name.endsWith(".tmp")), []);
    });

    it("packs the earlier turns of a longer conversation into the instruction, as BELLE's multi-turn release does", async () => {
        const multiPath = path.join(folder, "chat.jsonl");
        await writeFile(multiPath, jsonl([{id: "c1", conversations: [
            {from: "human", value: "写一句关于健身房的话。"}, {from: "assistant", value: "健身房里汗水挥洒。"},
            {from: "human", value: "再写一句。"}, {from: "assistant", value: "坚持就是胜利。"}
        ]}]));
        const singlePath = path.join(folder, "single.jsonl");
        const result = await convertTrainingFile(multiPath, singlePath, {to: "single-turn"});
        assert.equal(result.packed, 1);
        assert.deepEqual(await readJsonl(singlePath), [{
            id: "c1",
            instruction: "Human:写一句关于健身房的话。\nAssistant:健身房里汗水挥洒。\nHuman:再写一句。\nAssistant:",
            input: "",
            output: "坚持就是胜利。"
        }]);
    });

    it("leaves an existing output file as it was when the input cannot be read", async () => {
        const outputPath = path.join(folder, "out.jsonl");
        await writeFile(outputPath, "旧的内容\n");
        await assert.rejects(convertTrainingFile(path.join(folder, "missing.jsonl"), outputPath, {to: "multi-turn"}), /does not exist/);
        assert.equal(await readFile(outputPath, "utf8"), "旧的内容\n");
        assert.deepEqual((await readdir(folder)).sort(), ["out.jsonl"]);
    });
});

describe("splitTrainingFile", () => {
    let folder: string;
    beforeEach(async () => { folder = await mkdtemp(path.join(os.tmpdir(), "belle-training-split-")); });
    afterEach(async () => { await rm(folder, {recursive: true, force: true}); });

    const records = Array.from({length: 4000}, (_, index) => ({instruction: `第 ${index} 个问题：${"问".repeat(index % 7)}`, input: "", output: `答案 ${index}`}));

    it("gives the same split on every run and for the same examples in the other format, near the ratio", async () => {
        const inputPath = path.join(folder, "data.jsonl");
        await writeFile(inputPath, jsonl(records));

        const first = await splitTrainingFile(inputPath, {validationRatio: 0.05, seed: 1});
        assert.equal(first.trainPath, path.join(folder, "data.train.jsonl"));
        assert.equal(first.validationPath, path.join(folder, "data.validation.jsonl"));
        assert.equal(first.train + first.validation, records.length);
        // 5% of 4000 is 200, with a standard deviation of about 14
        assert.ok(first.validation > 150 && first.validation < 250, `validation has ${first.validation} examples`);
        const trainText = await readFile(first.trainPath, "utf8");
        const validationText = await readFile(first.validationPath, "utf8");
        // Records are written verbatim, and each lands on exactly one side
        assert.deepEqual([...trainText.split("\n"), ...validationText.split("\n")].filter((line) => line !== "").sort(),
            records.map((record) => JSON.stringify(record)).sort());

        const again = await splitTrainingFile(inputPath, {validationRatio: 0.05, seed: 1, trainPath: path.join(folder, "t2.jsonl"), validationPath: path.join(folder, "v2.jsonl")});
        assert.equal(await readFile(again.validationPath, "utf8"), validationText);
        assert.equal(await readFile(again.trainPath, "utf8"), trainText);

        const otherSeed = await splitTrainingFile(inputPath, {validationRatio: 0.05, seed: 2, trainPath: path.join(folder, "t3.jsonl"), validationPath: path.join(folder, "v3.jsonl")});
        assert.notEqual(await readFile(otherSeed.validationPath, "utf8"), validationText);

        // The multi-turn conversion of the same examples splits the same way: the side depends on the content only
        const multiPath = path.join(folder, "multi.jsonl");
        await convertTrainingFile(inputPath, multiPath, {to: "multi-turn"});
        const multiSplit = await splitTrainingFile(multiPath, {validationRatio: 0.05, seed: 1});
        const validationTurns = async (filePath: string) => (await examplesOf(filePath)).map((example) => hashTrainingExample(example.turns).toString("hex"));
        assert.deepEqual(await validationTurns(multiSplit.validationPath), await validationTurns(first.validationPath));
    });

    it("puts exact duplicates on the same side, so validation examples do not leak into training", async () => {
        const inputPath = path.join(folder, "dups.jsonl");
        await writeFile(inputPath, jsonl([...records.slice(0, 500), ...records.slice(0, 500)]));
        const result = await splitTrainingFile(inputPath, {validationRatio: 0.2});
        const train = new Set((await readFile(result.trainPath, "utf8")).split("\n").filter((line) => line !== ""));
        const validation = (await readFile(result.validationPath, "utf8")).split("\n").filter((line) => line !== "");
        assert.ok(validation.length > 0);
        assert.ok(validation.every((line) => !train.has(line)));
    });

    it("refuses a share outside (0, 1)", async () => {
        await assert.rejects(splitTrainingFile(path.join(folder, "x.jsonl"), {validationRatio: 1}), /between 0 and 1/);
    });
});
