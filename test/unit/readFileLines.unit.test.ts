import assert from "node:assert/strict";
import {mkdtemp, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {readFileLines, type FileLine} from "../../server/eval/readFileLines";

describe("readFileLines", () => {
    let folder: string;

    beforeEach(async () => {
        folder = await mkdtemp(path.join(os.tmpdir(), "belle-file-lines-"));
    });

    afterEach(async () => {
        await rm(folder, {recursive: true, force: true});
    });

    async function linesOf(bytes: Buffer, chunkBytes: number): Promise<FileLine[]> {
        const filePath = path.join(folder, "lines.txt");
        await writeFile(filePath, bytes);
        const lines: FileLine[] = [];
        for await (const line of readFileLines(filePath, {chunkBytes})) lines.push(line);
        return lines;
    }

    it("splits on CRLF, LF and a lone CR even when a break or a character is cut between chunks", async () => {
        const bytes = Buffer.from("\ufeff第一行\r\n第二行\n第三行\r第四行\r\n\r\n第六行", "utf8");
        for (const chunkBytes of [1, 2, 3, 5, 7, 64]) {
            const lines = await linesOf(bytes, chunkBytes);
            assert.deepEqual(lines.map((line) => [line.lineNumber, line.text, line.isValidUtf8]), [
                [1, "第一行", true], [2, "第二行", true], [3, "第三行", true], [4, "第四行", true], [5, "", true], [6, "第六行", true]
            ], `with ${chunkBytes}-byte chunks`);
        }
    });

    it("yields no extra empty line after a final line break", async () => {
        const lines = await linesOf(Buffer.from("甲\r\n乙\r\n"), 3);
        assert.deepEqual(lines.map((line) => line.text), ["甲", "乙"]);
    });

    it("marks a line whose bytes are not UTF-8 and reads on", async () => {
        const lines = await linesOf(Buffer.concat([Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), Buffer.from("\n好\n")]), 64);
        assert.deepEqual(lines.map((line) => line.isValidUtf8), [false, true]);
        assert.equal(lines[1]!.text, "好");
    });
});
