import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {getLlama, readGgufFileInfo, type Llama, type LlamaModel} from "node-llama-cpp";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {generateLlamaModel} from "../../models/generate/generateLlamaModel";
import {IncrementalDetokenizer} from "../../server/engine/IncrementalDetokenizer";

const sha256 = (filePath: string) => crypto.createHash("sha256").update(fs.readFileSync(filePath)).digest("hex");

describe("generated GGUF models", function () {
    let tempDir: string;
    let llama: Llama;
    let model: LlamaModel;

    before(async () => {
        tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "belle-gguf-"));
        llama = await getLlama({gpu: false, build: "never", maxThreads: 2});
        model = await llama.loadModel({modelPath: await ensureEmbeddedModel()});
    });
    after(async () => {
        await model?.dispose();
        await llama?.dispose();
        fs.rmSync(tempDir, {recursive: true, force: true});
    });

    it("are the same bytes for the same seed and different bytes for another seed", async () => {
        const a = path.join(tempDir, "a.gguf");
        const b = path.join(tempDir, "b.gguf");
        const c = path.join(tempDir, "c.gguf");
        await generateLlamaModel(a, {shape: "tiny", seed: 7});
        await generateLlamaModel(b, {shape: "tiny", seed: 7});
        await generateLlamaModel(c, {shape: "tiny", seed: 8});
        assert.equal(sha256(a), sha256(b));
        assert.notEqual(sha256(a), sha256(c));
        assert.deepEqual(fs.readdirSync(tempDir).sort(), ["a.gguf", "b.gguf", "c.gguf"], "no temp file is left behind");
    });

    it("carry llama metadata, a ChatML template and the tensors of their shape", async () => {
        const filePath = path.join(tempDir, "q8.gguf");
        await generateLlamaModel(filePath, {shape: "tiny", type: "Q8_0"});
        const info = await readGgufFileInfo(filePath);
        assert.equal(info.metadata.general.architecture, "llama");
        assert.equal((info.metadata as any).llama.block_count, 2);
        assert.equal((info.metadata as any).llama.embedding_length, 64);
        assert.match(String(info.metadata.tokenizer.chat_template), /<\|im_start\|>/);
        const names = info.fullTensorInfo!.map((tensor) => tensor.name);
        assert.ok(names.includes("token_embd.weight") && names.includes("output.weight") && names.includes("blk.1.ffn_down.weight"));
        assert.equal(info.fullTensorInfo!.find((tensor) => tensor.name === "blk.0.attn_q.weight")!.ggmlType, 8, "Q8_0");
        assert.equal(info.fullTensorInfo!.find((tensor) => tensor.name === "blk.0.attn_norm.weight")!.ggmlType, 0, "norms stay F32");
    });

    it("tokenize each Chinese character as one token and round-trip emoji through byte tokens", () => {
        const text = "你好，世界！";
        assert.equal(model.tokenize(text).length, [...text].length);
        const mixed = "模型😀 ok\n";
        assert.equal(model.detokenize(model.tokenize(mixed)), mixed);
    });

    it("load in node-llama-cpp and answer a chat in Chinese", async () => {
        const context = await model.createContext({contextSize: 512, threads: 2});
        try {
            const {LlamaChatSession} = await import("node-llama-cpp");
            const session = new LlamaChatSession({contextSequence: context.getSequence()});
            const reply = await session.prompt("你好，请介绍一下你自己", {maxTokens: 10, temperature: 0});
            assert.match(reply, /^[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]+$/u);
        } finally {
            await context.dispose();
        }
    });

    it("detokenize incrementally without ever emitting half of a split UTF-8 character", () => {
        const text = "表情😀🎉，中文与English混排✅";
        const tokens = model.tokenize(text);
        assert.ok(tokens.length > [...text].length, "the emoji really are split into byte tokens");
        const detokenizer = new IncrementalDetokenizer((tokens, special, last) => model.detokenize(tokens, special, last));
        const pieces = tokens.map((token) => detokenizer.push(token));
        pieces.push(detokenizer.flush());
        assert.equal(pieces.join(""), text);
        assert.ok(pieces.every((piece) => !piece.includes("\uFFFD")));
        assert.ok(pieces.filter((piece) => piece === "").length >= 9, "the bytes of each emoji were held until complete");
    });
});
