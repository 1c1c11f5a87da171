import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {generateLoraAdapter} from "../../models/generate/generateLoraAdapter";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";

type LoraInfo = {path: string, name: string | null, scale: number};

/** Starts an engine on the tiny model with these `--lora` arguments, asks one greedy question, and stops it. */
async function answerWith(modelPath: string, loraArguments: string[]): Promise<{answer: string, readyAdapters: LoraInfo[], modelAdapters: LoraInfo[]}> {
    const engine = await startEngineProcess([
        "--model", modelPath, "--parallel", "1", "--ctx-size", "256", ...loraArguments.flatMap((argument) => ["--lora", argument])
    ]);
    try {
        const client = new OpenAI({baseURL: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, maxRetries: 0, timeout: 60_000});
        const completion = await client.chat.completions.create({
            model: engine.ready.model,
            messages: [{role: "user", content: "你好，请介绍一下北京。"}],
            max_tokens: 8,
            temperature: 0
        });
        const models = await client.models.list();
        const meta = (models.data[0] as unknown as {meta: {loraAdapters: LoraInfo[]}}).meta;
        return {
            answer: completion.choices[0]!.message.content!,
            readyAdapters: (engine.ready as unknown as {loraAdapters: LoraInfo[]}).loraAdapters,
            modelAdapters: meta.loraAdapters
        };
    } finally {
        await engine.stop();
    }
}

/** Expects the engine to exit before its ready line, and returns what it said. */
async function startFailure(args: string[]): Promise<string> {
    let engine: EngineProcess | undefined;
    try {
        engine = await startEngineProcess(args);
    } catch (error) {
        return (error as Error).message;
    }
    await engine.stop();
    assert.fail(`the engine started with ${args.join(" ")}`);
}

describe("engine: LoRA adapters (GGUF) on top of the generated model", function () {
    this.timeout(120_000);
    let modelPath: string;
    let folder: string;
    let baseAnswer: string;
    const adapter = (name: string) => path.join(folder, name);

    before(async function () {
        this.timeout(180_000);
        modelPath = await ensureEmbeddedModel();
        folder = await fs.promises.mkdtemp(path.join(os.tmpdir(), "belle-lora-"));
        await generateLoraAdapter(adapter("zero.gguf"), {shape: "tiny", init: "zero"});
        await generateLoraAdapter(adapter("random.gguf"), {shape: "tiny", init: "random", seed: 7});
        await generateLoraAdapter(adapter("qwen2.gguf"), {shape: "tiny", architecture: "qwen2"});
        await generateLoraAdapter(adapter("wide.gguf"), {shape: "0.5b", targets: ["attn_q"]});
        baseAnswer = (await answerWith(modelPath, [])).answer;
    });
    after(async () => {
        if (folder != null) await fs.promises.rm(folder, {recursive: true, force: true});
    });

    it("answers exactly as the base model with an adapter whose B is zero, and lists the adapter", async () => {
        const {answer, readyAdapters, modelAdapters} = await answerWith(modelPath, [adapter("zero.gguf")]);
        assert.equal(answer, baseAnswer);
        const expected = [{path: adapter("zero.gguf"), name: "belle-generated-tiny-lora-r4-zero", scale: 1}];
        assert.deepEqual(readyAdapters, expected);
        assert.deepEqual(modelAdapters, expected);
    });

    it("answers differently with a seeded random adapter at scale 1", async () => {
        const {answer} = await answerWith(modelPath, [adapter("random.gguf")]);
        assert.notEqual(answer, baseAnswer);
        assert.match(answer, /[\u4e00-\u9fff]/u, "still Chinese text");
    });

    it("answers as the base model with the same random adapter at scale 0", async () => {
        const {answer, readyAdapters} = await answerWith(modelPath, [`${adapter("random.gguf")}:0`]);
        assert.equal(answer, baseAnswer);
        assert.equal(readyAdapters[0]!.scale, 0);
    });

    it("refuses a full model passed as an adapter before it is ready, saying what the file is", async () => {
        const message = await startFailure(["--model", modelPath, "--lora", modelPath]);
        assert.match(message, /LoRA adapter .*belle-tiny.*\.gguf: it is not a LoRA adapter GGUF/);
        assert.match(message, /A full model goes in --model/);
    });

    it("refuses an adapter made for another architecture before it is ready", async () => {
        const message = await startFailure(["--model", modelPath, "--lora", adapter("qwen2.gguf")]);
        assert.match(message, /qwen2\.gguf: it was made for the "qwen2" architecture but the model .* is "llama"/);
    });

    it("refuses an adapter made for a base model of another shape before it is ready", async () => {
        const message = await startFailure(["--model", modelPath, "--lora", adapter("wide.gguf")]);
        assert.match(message, /wide\.gguf: "blk\.0\.attn_q\.weight" is \[64, 64\] in the model but the adapter's pair is \[896, 4\] x \[4, 896\]/);
        assert.match(message, /Load it on the base model it was trained from/);
    });

    it("refuses a missing adapter file before it is ready", async () => {
        const message = await startFailure(["--model", modelPath, "--lora", adapter("missing.gguf")]);
        assert.match(message, /missing\.gguf: the file does not exist/);
    });
});
