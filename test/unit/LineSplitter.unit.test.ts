import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {FileTail} from "../../server/train/external/FileTail";
import {LineSplitter} from "../../server/train/external/LineSplitter";

describe("LineSplitter and FileTail (a growing log read in pieces)", () => {
    it("joins a line and a multibyte character split across pieces, at every possible cut", () => {
        const bytes = Buffer.from("{'loss': 1.5, 'epoch': 1}\r\n训练 输出 ✓\n半行");
        for (let cut = 0; cut <= bytes.length; cut++) {
            const splitter = new LineSplitter();
            const lines = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut)), ...splitter.end()];
            assert.deepEqual(lines, ["{'loss': 1.5, 'epoch': 1}", "训练 输出 ✓", "半行"], `cut at ${cut}`);
        }
    });

    it("keeps the carriage returns of a tqdm bar inside a line, and gives one byte at a time the same lines", () => {
        const text = "  1%| | 1/200\r  2%| | 2/200 {'loss': 2.0, 'epoch': 0.1}\n\nend\n";
        const splitter = new LineSplitter();
        const lines: string[] = [];
        for (const byte of Buffer.from(text)) lines.push(...splitter.push(Uint8Array.of(byte)));
        assert.deepEqual([...lines, ...splitter.end()], ["  1%| | 1/200\r  2%| | 2/200 {'loss': 2.0, 'epoch': 0.1}", "", "end"]);
    });

    it("FileTail reads nothing before the file exists, then only what was appended since, in small reads", async () => {
        const folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-tail-"));
        try {
            const filePath = path.join(folder, "job.log");
            const tail = new FileTail(filePath, 4);
            assert.deepEqual(await tail.read(), []);
            const bytes = Buffer.from("第一行\n第二");
            await fs.writeFile(filePath, bytes.subarray(0, 5));
            assert.deepEqual(await tail.read(), []);
            await fs.appendFile(filePath, bytes.subarray(5));
            assert.deepEqual(await tail.read(), ["第一行"]);
            await fs.appendFile(filePath, "行\n末尾");
            assert.deepEqual(await tail.read(), ["第二行"]);
            assert.deepEqual(await tail.end(), ["末尾"]);
            assert.equal(tail.bytesRead, Buffer.byteLength("第一行\n第二行\n末尾"));
        } finally {
            await fs.rm(folder, {recursive: true, force: true});
        }
    });
});
