import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {generateLoraAdapter} from "../../models/generate/generateLoraAdapter";
import {LlamaEngine} from "../../server/engine/LlamaEngine";
import type {GenerationRequest} from "../../server/engine/generationTypes";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";

type Health = {tokenLoop: string, speculative: string, slotsBusy: number, parallel: number};

async function health(engine: EngineProcess): Promise<Health> {
    const response = await fetch(`${engine.baseUrl}/health`, {headers: {Authorization: `Bearer ${engine.ready.token}`}});
    return await response.json() as Health;
}

function clientOf(engine: EngineProcess): OpenAI {
    return new OpenAI({baseURL: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, maxRetries: 0, timeout: 60_000});
}

type Answer = {text: string, finishReason: string | null, completionTokens: number | undefined};

/** The same requests on each engine: chat and completion, streamed and not, greedy and seeded, with a stop string. */
async function answersOf(engine: EngineProcess): Promise<Answer[]> {
    const client = clientOf(engine);
    const model = engine.ready.model;
    const chat = async (content: string, options: {max_tokens: number, temperature?: number, seed?: number, stop?: string[]}) => {
        const completion = await client.chat.completions.create({model, messages: [{role: "user", content}], temperature: 0, ...options});
        return {text: completion.choices[0]!.message.content!, finishReason: completion.choices[0]!.finish_reason, completionTokens: completion.usage?.completion_tokens};
    };
    const streamed = async (prompt: string, maxTokens: number) => {
        const stream = await client.completions.create({model, prompt, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: {include_usage: true}});
        let text = "";
        let finishReason: string | null = null;
        let completionTokens: number | undefined;
        for await (const chunk of stream) {
            text += chunk.choices[0]?.text ?? "";
            finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
            completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
        }
        return {text, finishReason, completionTokens};
    };
    const answers = [
        await chat("你好，请介绍一下你自己。", {max_tokens: 48}),
        await chat("写一首关于秋天的诗。😀", {max_tokens: 200}),
        await chat("你好", {max_tokens: 40, temperature: 0.8, seed: 42}),
        await streamed("从前有座山，山里有座庙", 120)
    ];
    // a stop string from the text the same prompt gave without one: the answer must end right before it
    const stopAt = [...answers[3]!.text].slice(20, 22).join("");
    const stopped = await client.completions.create({model, prompt: "从前有座山，山里有座庙", max_tokens: 120, temperature: 0, stop: [stopAt]});
    answers.push({text: stopped.choices[0]!.text, finishReason: stopped.choices[0]!.finish_reason, completionTokens: stopped.usage?.completion_tokens});
    return answers;
}

describe("engine: the native token loop (--token-loop) on the generated model", function () {
    this.timeout(120_000);
    let modelPath: string;
    let native: EngineProcess;
    let nodeLlamaCpp: EngineProcess;

    before(async function () {
        modelPath = await ensureEmbeddedModel();
        const args = ["--model", modelPath, "--parallel", "4", "--ctx-size", "1024", "--threads", "1"];
        [native, nodeLlamaCpp] = await Promise.all([
            startEngineProcess([...args, "--token-loop", "native"]),
            startEngineProcess([...args, "--token-loop", "node-llama-cpp"])
        ]);
    });

    after(async () => {
        await Promise.all([native?.stop(), nodeLlamaCpp?.stop()]);
    });

    it("says which loop runs in /health and in its ready line", async () => {
        assert.equal((await health(native)).tokenLoop, "native");
        assert.equal((await health(nodeLlamaCpp)).tokenLoop, "node-llama-cpp");
        // --speculative auto: prompt lookup on the native loop only
        assert.equal((await health(native)).speculative, "lookup");
        assert.equal((await health(nodeLlamaCpp)).speculative, "off");
        assert.match(native.stderr(), /token loop native/);
        // with the defaults (auto) on the CPU build, the native loop runs
        const auto = await startEngineProcess(["--model", modelPath, "--parallel", "1", "--ctx-size", "256", "--threads", "1"]);
        try {
            assert.equal((await health(auto)).tokenLoop, "native");
        } finally {
            await auto.stop();
        }
    });

    it("answers exactly as node-llama-cpp's loop: the same text, finish reason and token count, greedy, seeded, streamed and stopped", async () => {
        const [ours, theirs] = await Promise.all([answersOf(native), answersOf(nodeLlamaCpp)]);
        assert.deepEqual(ours, theirs);
        assert.ok(ours.some((answer) => answer.finishReason === "length"), "some answers run to max_tokens");
        assert.equal(ours[4]!.finishReason, "stop");
        assert.ok(ours[3]!.text.startsWith(ours[4]!.text) && ours[4]!.text.length < ours[3]!.text.length, "the stop string cuts the same answer short");
        assert.ok(ours.every((answer) => !answer.text.includes("\uFFFD")), "no split UTF-8 character");
    });

    it("streams 4 requests at once to their ends, each whole", async () => {
        // not compared with node-llama-cpp: which steps batch which sequences depends on arrival, and llama.cpp's
        // kernels round differently for another batch size, so a near tie can go either way on either loop
        const client = clientOf(native);
        const answers = await Promise.all([0, 1, 2, 3].map(async (index) => {
            const stream = await client.completions.create({
                model: native.ready.model, prompt: `第${index}个故事：从前`, max_tokens: 150, temperature: 0, stream: true, stream_options: {include_usage: true}
            });
            let text = "";
            let completionTokens = 0;
            for await (const chunk of stream) {
                text += chunk.choices[0]?.text ?? "";
                completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
            }
            return {text, completionTokens};
        }));
        for (const {text, completionTokens} of answers) {
            assert.equal(completionTokens, 150);
            assert.ok(text.length > 0 && !text.includes("\uFFFD"));
        }
        assert.equal(new Set(answers.map(({text}) => text)).size, 4);
    });

    it("reuses the cached prefix of a sequence's previous prompt, and evaluates a seeded request's prompt whole", async () => {
        const client = clientOf(native);
        const prompt = "床前明月光，疑是地上霜。举头望明月，低头思故乡。".repeat(4);
        const ask = async (text: string, seed?: number) => (await client.completions.create({
            model: native.ready.model, prompt: text, max_tokens: 4, temperature: seed == null ? 0 : 0.7, seed
        })).usage as unknown as {prompt_tokens: number, prompt_tokens_details: {cached_tokens: number}};
        const first = await ask(prompt);
        const second = await ask(`${prompt}春眠不觉晓`);
        assert.ok(second.prompt_tokens_details.cached_tokens >= first.prompt_tokens - 1,
            `cached ${second.prompt_tokens_details.cached_tokens} of the ${first.prompt_tokens} tokens asked before`);
        const seeded = await ask(`${prompt}春眠不觉晓`, 7);
        assert.equal(seeded.prompt_tokens_details.cached_tokens, 0);
    });

    it("stops a stream the client abandons at once, frees its sequence and answers the next request", async () => {
        const engine = await startEngineProcess(["--model", modelPath, "--parallel", "1", "--ctx-size", "4096", "--threads", "1", "--token-loop", "native"]);
        try {
            const client = clientOf(engine);
            const request = {model: engine.ready.model, prompt: "从前", max_tokens: 4000, temperature: 0, stream: true} as const;
            const controller = new AbortController();
            const stream = await client.completions.create(request, {signal: controller.signal});
            let chunks = 0;
            for await (const _chunk of stream) {
                if (++chunks === 5) {
                    controller.abort();
                    break;
                }
            }
            const abortedAt = performance.now();
            let state = await health(engine);
            while (state.slotsBusy > 0 && performance.now() - abortedAt < 10_000) {
                await new Promise((resolve) => setTimeout(resolve, 5));
                state = await health(engine);
            }
            const freedMs = performance.now() - abortedAt;
            assert.equal(state.slotsBusy, 0);

            const startedAt = performance.now();
            const whole = await client.completions.create({...request, stream: false});
            const wholeMs = performance.now() - startedAt;
            assert.equal(whole.usage?.completion_tokens, 4000);
            assert.ok(freedMs < wholeMs / 4, `freed ${freedMs.toFixed(0)} ms after the abort; the whole answer takes ${wholeMs.toFixed(0)} ms`);
        } finally {
            await engine.stop();
        }
    });

    it("sends JSON schemas, logprobs, logit_bias and penalties through node-llama-cpp's sampler on the same engine", async () => {
        const client = clientOf(native);
        const model = native.ready.model;
        const json = await client.chat.completions.create({
            model, messages: [{role: "user", content: "给出一个分数"}], max_tokens: 60, temperature: 0,
            response_format: {type: "json_schema", json_schema: {name: "score", schema: {type: "object", properties: {score: {type: "number"}}, required: ["score"]}}}
        });
        assert.equal(typeof (JSON.parse(json.choices[0]!.message.content!) as {score: unknown}).score, "number");
        const withLogprobs = await client.chat.completions.create({model, messages: [{role: "user", content: "你好"}], max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 2});
        assert.equal(withLogprobs.choices[0]!.logprobs?.content?.length, 3);
    });

    it("falls back to node-llama-cpp's loop with a LoRA adapter, and says why", async function () {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "belle-native-lora-"));
        try {
            const adapter = path.join(folder, "zero.gguf");
            await generateLoraAdapter(adapter, {shape: "tiny", init: "zero"});
            const engine = await startEngineProcess(["--model", modelPath, "--parallel", "1", "--ctx-size", "256", "--token-loop", "native", "--lora", adapter]);
            try {
                assert.equal((await health(engine)).tokenLoop, "node-llama-cpp");
                assert.match(engine.stderr(), /--token-loop native is unavailable \(LoRA adapters/);
            } finally {
                await engine.stop();
            }
        } finally {
            fs.rmSync(folder, {recursive: true, force: true});
        }
    });

    it("goes on with node-llama-cpp's loop when the native loop's worker dies, and says so", async () => {
        const lines: string[] = [];
        const engine = await LlamaEngine.load({modelPath, parallel: 1, contextSize: 256, threads: 1, tokenLoop: "native", log: (line) => lines.push(line)});
        try {
            const request: GenerationRequest = {
                kind: "completion", prompt: "从前", sampling: {
                    temperature: 0, topP: 1, topK: 40, seed: null, maxTokens: 6, stop: [], frequencyPenalty: 0, presencePenalty: 0, logitBias: new Map()
                }
            };
            const before = await engine.generate(request);
            // the worker thread ends as a crash would end it (the test reaches into the engine for it)
            await (engine as unknown as {_nativeLoop: {_worker: {terminate(): Promise<number>}}})._nativeLoop._worker.terminate();
            assert.equal(engine.info.tokenLoop, "node-llama-cpp");
            assert.ok(lines.some((line) => /native token loop stopped/.test(line)), lines.join("\n"));
            const after = await engine.generate(request);
            assert.equal(after.text, before.text);
            assert.equal(after.completionTokens, 6);
        } finally {
            await engine.dispose();
        }
    });

    it("refuses an unknown --token-loop before loading the model", async () => {
        await assert.rejects(startEngineProcess(["--model", modelPath, "--token-loop", "fast"]), /--token-loop/);
    });
});
