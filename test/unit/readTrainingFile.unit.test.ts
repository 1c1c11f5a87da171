import assert from "node:assert/strict";
import {mkdtemp, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {readTrainingFile, type ReadTrainingFileOptions, type TrainingFileShape} from "../../server/train/data/readTrainingFile";
import {formatTrainingDataDiagnostic, type TrainingDataDiagnostic} from "../../server/train/data/TrainingDataDiagnostic";
import type {TrainingExample} from "../../server/train/data/TrainingExample";

type ReadResult = {examples: TrainingExample[], records: string[], diagnostics: TrainingDataDiagnostic[], shape: TrainingFileShape};

describe("readTrainingFile", () => {
    let folder: string;
    beforeEach(async () => { folder = await mkdtemp(path.join(os.tmpdir(), "belle-training-read-")); });
    afterEach(async () => { await rm(folder, {recursive: true, force: true}); });

    async function read(content: string | Buffer, options: ReadTrainingFileOptions = {}, name = "train.jsonl"): Promise<ReadResult> {
        const filePath = path.join(folder, name);
        await writeFile(filePath, content);
        const result: ReadResult = {examples: [], records: [], diagnostics: [], shape: {layout: "jsonl", format: null, lines: 0}};
        const entries = readTrainingFile(filePath, options);
        for (;;) {
            const next = await entries.next();
            if (next.done) {
                result.shape = next.value;
                return result;
            }
            if (next.value.kind === "example") {
                result.examples.push(next.value.example);
                result.records.push(next.value.recordJson);
            } else result.diagnostics.push(next.value.diagnostic);
        }
    }

    /** [line, column, code, field] of each diagnostic, the compact form the tests compare. */
    const where = (diagnostics: readonly TrainingDataDiagnostic[]) => diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.code, diagnostic.field]);
    /** The 1-based column of the first `needle` in `line`. */
    const columnOf = (line: string, needle: string) => line.indexOf(needle) + 1;

    it("detects the single-turn format and joins instruction and input into the human turn, as BELLE's converter does", async () => {
        const lines = [
            {instruction: "把下面的句子翻译成英文：", input: "我爱北京天安门。", output: "I love Tiananmen Square in Beijing."},
            {id: 7, instruction: "讲个笑话 😀", input: "", output: "好的：🐼 为什么……"},
            {instruction: "没有 input 字段也可以", output: "可以。"}
        ];
        const {examples, records, diagnostics, shape} = await read(lines.map((line) => JSON.stringify(line)).join("\r\n") + "\r\n");

        assert.deepEqual(diagnostics, []);
        assert.deepEqual(shape, {layout: "jsonl", format: "single-turn", lines: 3});
        assert.deepEqual(examples[0], {
            line: 1,
            turns: [{role: "user", text: "把下面的句子翻译成英文：我爱北京天安门。"}, {role: "assistant", text: "I love Tiananmen Square in Beijing."}],
            singleTurn: {instruction: "把下面的句子翻译成英文：", input: "我爱北京天安门。"}
        });
        assert.equal(examples[1]!.id, "7");
        assert.equal(examples[1]!.turns[1]!.text, "好的：🐼 为什么……");
        assert.deepEqual(examples[2]!.singleTurn, {instruction: "没有 input 字段也可以", input: ""});
        assert.deepEqual(records, lines.map((line) => JSON.stringify(line)));
    });

    it("detects the multi-turn format, with a byte-order mark and blank lines", async () => {
        const record = {id: "belle-1", conversations: [
            {from: "human", value: "你好"}, {from: "assistant", value: "你好！有什么可以帮你？"},
            {from: "human", value: "写一句诗"}, {from: "assistant", value: "床前明月光。"}
        ]};
        const {examples, diagnostics, shape} = await read(`\ufeff${JSON.stringify(record)}\n\n   \n${JSON.stringify({...record, id: "belle-2"})}\n`);

        assert.deepEqual(diagnostics, []);
        assert.deepEqual(shape, {layout: "jsonl", format: "multi-turn", lines: 4});
        assert.deepEqual(examples.map((example) => [example.line, example.id, example.turns.map((turn) => turn.role).join(",")]), [
            [1, "belle-1", "user,assistant,user,assistant"], [4, "belle-2", "user,assistant,user,assistant"]
        ]);
        assert.equal(examples[0]!.singleTurn, undefined);
    });

    it("reports each broken single-turn record at its line and column and reads on", async () => {
        const lines = [
            JSON.stringify({instruction: "好的一行", input: "", output: "答案"}),
            "{\"instruction\": \"问题\", \"output\": 'x'}",
            "[\"不是对象\"]",
            JSON.stringify({text: "预训练文本"}),
            JSON.stringify({instruction: "只有问题"}),
            JSON.stringify({instruction: "问题", input: null, output: "答案"}),
            JSON.stringify({instruction: "  ", input: "", output: "答案"}),
            JSON.stringify({instruction: "问题", output: " \n "}),
            JSON.stringify({id: "m", conversations: [{from: "human", value: "问"}, {from: "assistant", value: "答"}]}),
            "{\"instruction\": \"a\", \"output\": \"b\"} {\"instruction\": \"c\"}",
            JSON.stringify({instruction: "好的最后一行", output: "答案"})
        ];
        const {examples, diagnostics} = await read(lines.join("\n"), {}, "bad.jsonl");

        assert.deepEqual(examples.map((example) => example.line), [1, 11]);
        assert.deepEqual(where(diagnostics), [
            [2, columnOf(lines[1]!, "'x'"), "invalid_json", null],
            [3, 1, "not_an_object", null],
            [4, 1, "unknown_format", null],
            [5, 1, "missing_field", "output"],
            [6, columnOf(lines[5]!, "null"), "wrong_type", "input"],
            [7, columnOf(lines[6]!, "\"  \""), "empty_instruction", "instruction"],
            [8, columnOf(lines[7]!, "\" \\n \""), "empty_output", "output"],
            [9, 1, "mixed_format", null],
            [10, columnOf(lines[9]!, " {") + 1, "invalid_json", null]
        ]);
        const filePath = path.join(folder, "bad.jsonl");
        assert.equal(formatTrainingDataDiagnostic(diagnostics[0]!),
            `${filePath}:2:${columnOf(lines[1]!, "'x'")}: Strings must be in double quotes ("…"), not single quotes. This record is skipped.`);
        assert.match(diagnostics[2]!.message, /pre-training format/);
        assert.match(diagnostics[7]!.message, /multi-turn but the file is single-turn \(from line 1\)/);
        assert.match(diagnostics[8]!.message, /exactly one whole record/);
    });

    it("reports each broken multi-turn record at the turn it is about", async () => {
        const turn = (from: unknown, value: unknown) => ({from, value});
        const records: unknown[] = [
            {id: "ok", conversations: [turn("human", "问"), turn("assistant", "答")]},
            {id: "a", conversations: []},
            {id: "b", conversations: "你好"},
            {id: "c", conversations: [turn("human", "问"), turn("gpt", "答")]},
            {id: "d", conversations: [turn("assistant", "答"), turn("human", "问")]},
            {id: "e", conversations: [turn("human", "问"), turn("human", "又问"), turn("assistant", "答")]},
            {id: "f", conversations: [turn("human", "问"), turn("assistant", "答"), turn("human", "再问")]},
            {id: "g", conversations: [turn("human", ""), turn("assistant", "答")]},
            {id: "h", conversations: [turn("human", "问"), turn("assistant", "")]},
            {id: "i", conversations: [turn("human", "问"), {from: "assistant"}]},
            {id: "j", conversations: [turn("human", "问"), turn("assistant", 42)]},
            {id: "k", conversations: [turn("human", "问"), "答"]},
            {id: {}, conversations: [turn("human", "问"), turn("assistant", "答")]}
        ];
        const lines = records.map((record) => JSON.stringify(record));
        const {examples, diagnostics, shape} = await read(lines.join("\n"));

        assert.equal(shape.format, "multi-turn");
        assert.deepEqual(examples.map((example) => example.id), ["ok"]);
        // The n-th '{"from"' of a line: where its n-th turn starts
        const turnColumn = (line: number, n: number) => {
            let offset = -1;
            for (let count = 0; count <= n; count++) offset = lines[line - 1]!.indexOf("{\"from\"", offset + 1);
            return offset + 1;
        };
        const valueColumn = (line: number, text: string) => columnOf(lines[line - 1]!, text);
        assert.deepEqual(where(diagnostics), [
            [2, valueColumn(2, "[]"), "empty_conversation", "conversations"],
            [3, valueColumn(3, "\"你好\""), "wrong_type", "conversations"],
            [4, valueColumn(4, "\"gpt\""), "unknown_role", "conversations[1].from"],
            [5, valueColumn(5, "\"assistant\""), "not_alternating", "conversations[0].from"],
            [6, turnColumn(6, 1) + "{\"from\":".length, "not_alternating", "conversations[1].from"],
            [7, turnColumn(7, 2), "no_final_answer", "conversations[2]"],
            [8, valueColumn(8, "\"\""), "empty_turn", "conversations[0].value"],
            [9, valueColumn(9, "\"\""), "empty_output", "conversations[1].value"],
            [10, turnColumn(10, 1), "missing_field", "conversations[1].value"],
            [11, valueColumn(11, "42"), "wrong_type", "conversations[1].value"],
            [12, valueColumn(12, "\"答\""), "wrong_type", "conversations[1]"],
            [13, valueColumn(13, "{}"), "wrong_type", "id"]
        ]);
        assert.match(diagnostics[2]!.message, /ShareGPT-style data: rename "gpt"/);
    });

    it("keeps CJK and emoji intact when a read chunk cuts a multi-byte character in two", async () => {
        const record = {instruction: "用一个表情回答：今天心情如何？", input: "", output: "😀👍🏽 很好！"};
        const bytes = Buffer.from(`${JSON.stringify(record)}\n${JSON.stringify({...record, output: "𠀋𪚥 生僻字"})}\n`, "utf8");
        // Every chunk size from 1 to 13 bytes cuts some 3- and 4-byte sequences in two
        for (let chunkBytes = 1; chunkBytes <= 13; chunkBytes++) {
            const {examples, diagnostics} = await read(bytes, {chunkBytes});
            assert.deepEqual(diagnostics, [], `with ${chunkBytes}-byte chunks`);
            assert.deepEqual(examples.map((example) => example.turns[1]!.text), ["😀👍🏽 很好！", "𠀋𪚥 生僻字"], `with ${chunkBytes}-byte chunks`);
        }
    });

    it("skips a line that is not UTF-8 and a UTF-16 file, saying how to fix them", async () => {
        const good = JSON.stringify({instruction: "问题", input: "", output: "答案"});
        const gbkLine = Buffer.from([0x7b, 0x22, 0xc4, 0xe3, 0xba, 0xc3, 0x22, 0x7d]);
        const mixed = await read(Buffer.concat([Buffer.from(`${good}\n`), gbkLine, Buffer.from(`\n${good}\n`)]));
        assert.deepEqual(where(mixed.diagnostics), [[2, 1, "invalid_encoding", null]]);
        assert.match(mixed.diagnostics[0]!.message, /GBK/);
        assert.equal(mixed.examples.length, 2);

        const utf16 = await read(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, "utf16le")]));
        assert.deepEqual(where(utf16.diagnostics), [[1, 1, "invalid_encoding", null]]);
        assert.match(utf16.diagnostics[0]!.message, /UTF-16/);
    });

    it("reads a JSON array with positions, and refuses one over the size limit", async () => {
        const text = `[\n  {"instruction": "第一题", "input": "", "output": "答一"},\n  {"instruction": "第二题", "input": 5, "output": "答二"},\n  {"id": "x", "instruction": "第三题", "output": "答三"}\n]\n`;
        const {examples, records, diagnostics, shape} = await read(text, {}, "train.json");
        assert.deepEqual(shape, {layout: "json-array", format: "single-turn", lines: 6});
        assert.deepEqual(examples.map((example) => [example.line, example.id]), [[2, undefined], [4, "x"]]);
        assert.deepEqual(records[1], JSON.stringify({id: "x", instruction: "第三题", output: "答三"}));
        assert.deepEqual(where(diagnostics), [[3, text.split("\n")[2]!.indexOf("5") + 1, "wrong_type", "input"]]);

        const secondLine = ` {"instruction": "问题" "output": "答案"}]`;
        const broken = await read(`[{"instruction": "问题", "output": "答案"},\n${secondLine}`, {}, "broken.json");
        // At the field that should follow a comma
        assert.deepEqual(where(broken.diagnostics), [[2, columnOf(secondLine, "\"output\""), "invalid_json", null]]);
        assert.match(broken.diagnostics[0]!.message, /Missing comma.*The rest of the array is not read/);
        assert.equal(broken.examples.length, 1);

        const tooLarge = await read(text, {maxArrayBytes: 64}, "large.json");
        assert.deepEqual(where(tooLarge.diagnostics), [[1, 1, "array_too_large", null]]);
        assert.match(tooLarge.diagnostics[0]!.message, /Write it as JSONL/);
    });
});
