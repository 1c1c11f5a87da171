import assert from "node:assert/strict";
import {closeSync, openSync, writeSync} from "node:fs";
import {mkdtemp, rm, stat, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import {runInNewContext} from "node:vm";
import {formatTrainingFileSummary} from "../../server/train/data/formatTrainingFileSummary";
import {validateTrainingFile} from "../../server/train/data/validateTrainingFile";

const evalItems = [
    {question: "中国的首都是哪里？", std_answer: "北京。", class: "open qa"},
    {question: "请把下面这句话翻译成英文：我今天很开心。", std_answer: "I am very happy today.", class: "rewrite"},
    {question: "写一首关于秋天的七言绝句，要求押韵。", std_answer: "", class: "generation"},
    {question: "计算 12 × 8 等于多少？", std_answer: "96", class: "math"}
];

const jsonl = (records: readonly unknown[]) => records.map((record) => JSON.stringify(record)).join("\n") + "\n";
const codePoints = (text: string) => [...text].length;

describe("validateTrainingFile", () => {
    let folder: string;
    beforeEach(async () => { folder = await mkdtemp(path.join(os.tmpdir(), "belle-training-validate-")); });
    afterEach(async () => { await rm(folder, {recursive: true, force: true}); });

    async function file(name: string, content: string): Promise<string> {
        const filePath = path.join(folder, name);
        await writeFile(filePath, content);
        return filePath;
    }

    it("counts examples, turns and bad lines, with lengths in characters and in the model's tokens", async () => {
        const records = [
            {instruction: "你好", input: "", output: "你好！😀"},
            {instruction: "写一段话：", input: "关于春天", output: "春".repeat(200)},
            {instruction: "坏的一行"},
            {instruction: "长文", input: "", output: "长".repeat(3000)}
        ];
        const filePath = await file("train.jsonl", jsonl(records));
        // A stand-in tokenizer: one token per character, which makes the expected counts easy to state
        const summary = await validateTrainingFile(filePath, {tokenize: codePoints, contextLength: 1000});

        assert.equal(summary.format, "single-turn");
        assert.equal(summary.layout, "jsonl");
        assert.deepEqual(summary.counts, {lines: 4, examples: 3, turns: 6, multiExchangeExamples: 0, badLines: 1});
        assert.deepEqual(summary.diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.code]), [[3, "missing_field"]]);

        // "你好" + "你好！😀": the emoji is one character
        assert.deepEqual([summary.characters.min, summary.characters.max], [6, 3002]);
        const bucketCounts = summary.characters.histogram.filter((bucket) => bucket.count > 0).map((bucket) => [bucket.from, bucket.count]);
        assert.deepEqual(bucketCounts, [[0, 1], [128, 1], [2048, 1]]);

        // Tokens of the text BELLE's trainer builds, plus one EOS per answer
        const rendered = (human: string, answer: string) => codePoints(`Human: \n${human}\n\nAssistant: \n${answer}`) + 1;
        assert.ok(summary.tokens != null);
        assert.equal(summary.tokens.min, rendered("你好", "你好！😀"));
        assert.equal(summary.tokens.max, rendered("长文", "长".repeat(3000)));
        assert.deepEqual(summary.overContext, {contextLength: 1000, unit: "tokens", count: 1, firstLines: [4]});
    });

    it("reports characters only when no tokenizer is given, and says the context check is in characters", async () => {
        const filePath = await file("train.jsonl", jsonl([{instruction: "问题", input: "", output: "答".repeat(50)}]));
        const summary = await validateTrainingFile(filePath, {contextLength: 10});
        assert.equal(summary.tokens, null);
        assert.deepEqual(summary.overContext, {contextLength: 10, unit: "characters", count: 1, firstLines: [1]});
        assert.match(formatTrainingFileSummary(summary), /Over the context \(10 characters\): 1 \(line 1\) — characters, not tokens/);
    });

    it("finds exact duplicates whatever the JSON layout, and near-duplicate human turns", async () => {
        const filePath = await file("train.jsonl", [
            JSON.stringify({instruction: "介绍一下长城。", input: "", output: "长城是中国古代的军事防御工程。"}),
            JSON.stringify({instruction: "写一个冒泡排序", input: "", output: "def bubble_sort(a): ..."}),
            // The same example: other key order, spacing and surrounding whitespace in the texts
            `{ "output": "长城是中国古代的军事防御工程。  ", "input": "",  "instruction": " 介绍一下长城。" }`,
            // The same question with other punctuation and another answer
            JSON.stringify({instruction: "介绍一下, 长城!", input: "", output: "长城东起山海关。"}),
            JSON.stringify({instruction: "完全不同的问题：什么是光合作用？", input: "", output: "光合作用是……"})
        ].join("\n"));
        const summary = await validateTrainingFile(filePath);

        assert.deepEqual(summary.duplicates.exact, {count: 1, examples: [{line: 3, firstLine: 1}]});
        assert.equal(summary.duplicates.near.count, 1);
        assert.deepEqual(summary.duplicates.near.examples, [{line: 4, firstLine: 1, similarity: 1}]);
        assert.deepEqual([summary.duplicates.near.indexed, summary.duplicates.near.notIndexed], [4, 0]);
        const text = formatTrainingFileSummary(summary);
        assert.match(text, /Exact duplicates: 1 \(line 3 = line 1\)/);
        assert.match(text, /Near-duplicate human turns \(similarity ≥ 0\.8\): 1 \(line 4 ≈ line 1 \(1\.00\)\)/);
    });

    it("finds eval questions in single-turn training data, exactly and nearly, in the instruction, the input or both", async () => {
        const evalSetPath = await file("eval_set.json", jsonl(evalItems));
        const filePath = await file("train.jsonl", jsonl([
            {instruction: "介绍一下长城。", input: "", output: "……"},
            // Copied as it is
            {instruction: "中国的首都是哪里？", input: "", output: "北京。"},
            // Copied with other punctuation and spacing: a near match of similarity 1, not an exact one
            {instruction: "请把下面这句话翻译成英文: 我今天很开心!", input: "", output: "I'm happy."},
            // The question in the input, under an unrelated instruction
            {instruction: "回答下面的问题，只给出数字。", input: "计算 12 × 8 等于多少？", output: "96"},
            // Reworded slightly
            {instruction: "写一首关于秋天的七言绝句，要求押韵和对仗。", input: "", output: "……"}
        ]));
        const summary = await validateTrainingFile(filePath, {evalSetPath});
        const contamination = summary.contamination;
        assert.ok(contamination != null);
        assert.deepEqual([contamination.evalItems, contamination.evalSetProblems, contamination.trainingExamples, contamination.evalItemsFound, contamination.exactMatches],
            [4, 0, 4, 4, 2]);
        const matches = contamination.matches.map((match) => [match.trainingLine, match.trainingField, match.evalIndex, match.evalLine, match.exact]);
        assert.deepEqual(matches, [
            [2, "instruction", 0, 1, true],
            [3, "instruction", 1, 2, false],
            [4, "input", 3, 4, true],
            [5, "instruction", 2, 3, false]
        ]);
        assert.equal(contamination.matches[1]!.similarity, 1);
        assert.ok(contamination.matches[3]!.similarity >= 0.8 && contamination.matches[3]!.similarity < 1);
        assert.match(formatTrainingFileSummary(summary), /Found 4 eval questions in 4 training examples \(2 exact\)/);
    });

    it("finds an eval question inside a much longer prompt, in other width and punctuation, and says so", async () => {
        const evalSetPath = await file("eval_set.json", jsonl(evalItems));
        const filePath = await file("train.jsonl", jsonl([
            {instruction: `你是一名严谨的助手，请仔细阅读材料后作答。材料：${"长城是中国古代的军事防御工程。".repeat(6)}问题：请把下面这句话翻译成英文: 我今天很开心!回答时只给译文。`,
                input: "", output: "I am very happy today."},
            // Shares words with the questions but holds none of them whole
            {instruction: "请把下面这段话翻译成法文，我们今天很开心地去了长城，写一首关于秋天的诗。", input: "", output: "……"},
            {instruction: "先热身一下，再回答下面的问题并写出步骤。", input: "ＣＯＭＰＵＴＥ 不是这里的题目。接下来：计算12×8等于多少?请检查一遍。", output: "96"}
        ]));
        const summary = await validateTrainingFile(filePath, {evalSetPath});
        const matches = summary.contamination?.matches.map((match) => [match.trainingLine, match.trainingField, match.evalIndex, match.exact, match.contained]);
        assert.deepEqual(matches, [[1, "instruction", 1, false, true], [3, "input", 3, false, true]]);
        assert.ok(summary.contamination!.matches.every((match) => match.similarity > 0 && match.similarity < 0.5), "the share of the text the question covers");
        assert.match(formatTrainingFileSummary(summary), /inside a longer text/);
    });

    it("checks every human turn of multi-turn data against the eval set", async () => {
        const evalSetPath = await file("eval_set.json", jsonl(evalItems));
        const filePath = await file("train.jsonl", jsonl([
            {id: "c1", conversations: [
                {from: "human", value: "你好"}, {from: "assistant", value: "你好！"},
                {from: "human", value: "中国的首都是哪里？"}, {from: "assistant", value: "北京。"}
            ]},
            {id: "c2", conversations: [{from: "human", value: "今天天气怎么样？"}, {from: "assistant", value: "晴。"}]}
        ]));
        const summary = await validateTrainingFile(filePath, {evalSetPath});
        assert.deepEqual(summary.contamination?.matches, [
            {trainingLine: 1, trainingField: "conversations[2]", evalIndex: 0, evalLine: 1, similarity: 1, exact: true, contained: false}
        ]);
        assert.equal(summary.counts.multiExchangeExamples, 1);
    });

    it("stops when its signal is aborted, and a throwing progress listener does not stop it", async () => {
        const records = Array.from({length: 30_000}, (_, index) => ({instruction: `问题 ${index}`, input: "", output: `答案 ${index}`}));
        const filePath = await file("train.jsonl", jsonl(records));
        const summary = await validateTrainingFile(filePath, {onProgress: () => { throw new Error("listener bug"); }});
        assert.equal(summary.counts.examples, 30_000);

        const controller = new AbortController();
        controller.abort(new Error("cancelled by the user"));
        await assert.rejects(validateTrainingFile(filePath, {signal: controller.signal}), /cancelled by the user/);
    });

    it("streams a 200 MB file with its memory growing by a small fraction of the file's size", async function () {
        this.timeout(120_000);
        this.slow(60_000);
        const evalSetPath = await file("eval_set.json", jsonl(evalItems));
        const filePath = path.join(folder, "large.jsonl");
        const {lines, duplicates, contaminated} = writeLargeTrainingFile(filePath, 200 * 1024 * 1024);
        const fileBytes = (await stat(filePath)).size;

        v8.setFlagsFromString("--expose-gc");
        const gc = runInNewContext("gc") as () => void;
        // The heap and the typed arrays outside it (the digest table, read buffers)
        const memoryInUse = () => {
            const usage = process.memoryUsage();
            return usage.heapUsed + usage.arrayBuffers;
        };
        gc();
        const memoryBefore = memoryInUse();
        let livePeak = memoryBefore;
        let progressCalls = 0;
        const startedAt = performance.now();
        const summary = await validateTrainingFile(filePath, {
            evalSetPath,
            // Every 50,000 lines: collect the garbage, then what is left is what the validation holds
            onProgress: () => {
                if (++progressCalls % 5 !== 0) return;
                gc();
                livePeak = Math.max(livePeak, memoryInUse());
            }
        });
        const elapsedMs = performance.now() - startedAt;

        assert.deepEqual(summary.counts, {lines, examples: lines, turns: 2 * lines, multiExchangeExamples: 0, badLines: 0});
        assert.equal(summary.duplicates.exact.count, duplicates);
        assert.equal(summary.contamination?.trainingExamples, contaminated);
        assert.ok(summary.duplicates.near.notIndexed > 0, "the near-duplicate index stopped growing at its memory budget");
        const memoryGrowth = livePeak - memoryBefore;
        // Holding the file would take at least its size (twice, as JS strings); the index budget (32 MiB) and the digest
        // table are what stay, read buffers in flight come and go
        assert.ok(memoryGrowth < fileBytes / 2, `memory grew by ${(memoryGrowth / 1048576).toFixed(1)} MiB for a ${(fileBytes / 1048576).toFixed(0)} MiB file`);
        // Seen by whoever runs the test with --reporter spec
        this.test!.title += ` (${(fileBytes / 1048576).toFixed(0)} MiB, ${lines} lines: ${(elapsedMs / 1000).toFixed(1)} s, live memory +${(memoryGrowth / 1048576).toFixed(1)} MiB)`;
    });
});

/**
 * Multi-turn records of random CJK sentences (seeded), so human turns are varied as in real data; every 50th record
 * repeats an earlier one under a new id, and every 20,000th copies an eval question. Written in 5,000-line batches.
 */
function writeLargeTrainingFile(filePath: string, targetBytes: number): {lines: number, duplicates: number, contaminated: number} {
    let seed = 20240501;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const sentences = Array.from({length: 5000}, () =>
        Array.from({length: 30}, () => String.fromCharCode(0x4e00 + Math.floor(random() * 0x51a5))).join("") + "。");
    const pick = () => sentences[Math.floor(random() * sentences.length)]!;
    const file = openSync(filePath, "w");
    const recent: Array<[string, string]> = [];
    let bytes = 0;
    let lines = 0;
    let duplicates = 0;
    let contaminated = 0;
    try {
        while (bytes < targetBytes) {
            const batch: string[] = [];
            for (let count = 0; count < 5000; count++) {
                lines++;
                let human: string;
                let answer: string;
                if (lines % 50 === 0) {
                    [human, answer] = recent[Math.floor(random() * recent.length)]!;
                    duplicates++;
                } else if (lines % 20_000 === 1) {
                    human = evalItems[lines % evalItems.length]!.question;
                    answer = `${pick()}${lines}`;
                    contaminated++;
                } else {
                    human = pick() + pick();
                    answer = `${pick()}${pick()}${pick()}${pick()}${pick()}${pick()} 😀 ${lines}`;
                    if (recent.length < 1000) recent.push([human, answer]);
                    else recent[lines % 1000] = [human, answer];
                }
                batch.push(JSON.stringify({id: `large-${lines}`, conversations: [{from: "human", value: human}, {from: "assistant", value: answer}]}));
            }
            const chunk = Buffer.from(batch.join("\n") + "\n");
            writeSync(file, chunk);
            bytes += chunk.length;
        }
    } finally {
        closeSync(file);
    }
    return {lines, duplicates, contaminated};
}
