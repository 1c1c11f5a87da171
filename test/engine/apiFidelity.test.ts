import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {chmod, copyFile, mkdtemp} from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import {ensureEmbeddedModel, ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import {collectChatStream} from "../support/collectChatStream";
import {rawEngineRequest} from "../support/rawEngineRequest";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";

describe("engine: the OpenAI contract, exactly (generated model)", function () {
    let engine: EngineProcess;
    let client: OpenAI;
    const question = [{role: "user" as const, content: "请写一句关于秋天的话。"}];

    before(async function () {
        this.timeout(180_000);
        engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--parallel", "2", "--ctx-size", "1536"]);
        client = new OpenAI({baseURL: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, maxRetries: 0, timeout: 60_000});
    });
    after(async () => engine?.stop());

    const sample = async (seed?: number) => (await client.chat.completions.create({
        model: "any", messages: question, max_tokens: 12, temperature: 1, ...(seed === undefined ? {} : {seed})
    })).choices[0]!.message.content!;

    it("says which part of a JSON schema llama.cpp's grammar parser refused, not only \"Failed to parse grammar\"", async () => {
        const schema = {type: "object", properties: {summary: {type: "string", minLength: 3000}}, required: ["summary"]};
        const response = await rawEngineRequest(engine, {body: JSON.stringify({
            messages: question, max_tokens: 4, response_format: {type: "json_schema", json_schema: {name: "s", schema}}
        })});
        assert.equal(response.status, 400);
        assert.equal(response.json.error.param, "response_format");
        assert.match(response.json.error.message, /properties\.summary\.minLength/);
        assert.match(response.json.error.message, /3000/);
    });

    describe("penalties, logit_bias, logprobs and fields not served", () => {
        const greedy = async (extra: Record<string, unknown>, max_tokens = 48) => await client.chat.completions.create({
            model: "any", messages: question, max_tokens, temperature: 0, ...extra
        } as OpenAI.ChatCompletionCreateParamsNonStreaming);
        const distinctShare = (text: string) => new Set([...text]).size / [...text].length;

        it("honours frequency_penalty and presence_penalty: repeats fall when positive and rise when negative", async () => {
            const plain = (await greedy({})).choices[0]!.message.content!;
            for (const field of ["frequency_penalty", "presence_penalty"]) {
                const penalised = (await greedy({[field]: 2})).choices[0]!.message.content!;
                const encouraged = (await greedy({[field]: -2})).choices[0]!.message.content!;
                assert.notEqual(penalised, plain, field);
                assert.ok(distinctShare(penalised) > distinctShare(plain), `${field} 2: ${penalised} vs ${plain}`);
                assert.ok(distinctShare(encouraged) < distinctShare(plain), `${field} -2: ${encouraged} vs ${plain}`);
            }
        });

        it("honours logit_bias: +100 makes a token the only choice, -100 bans it", async () => {
            const forced = await greedy({logit_bias: {"300": 100}, logprobs: true}, 8);
            const tokens = forced.choices[0]!.logprobs!.content!.map((entry) => entry.token);
            assert.equal(tokens.length, 8);
            assert.ok(tokens.every((token) => token === tokens[0]), JSON.stringify(tokens));
            const banned = await greedy({logit_bias: {"300": -100}, logprobs: true}, 8);
            assert.ok(!banned.choices[0]!.logprobs!.content!.some((entry) => entry.token === tokens[0]));
        });

        it("returns logprobs with top_logprobs for each generated token, streamed or not, matching the text", async () => {
            const whole = await greedy({logprobs: true, top_logprobs: 3}, 10);
            const choice = whole.choices[0]!;
            const content = choice.logprobs!.content!;
            assert.equal(content.length, whole.usage!.completion_tokens);
            assert.equal(Buffer.from(content.flatMap((entry) => entry.bytes!)).toString("utf8"), choice.message.content);
            for (const entry of content) {
                assert.ok(entry.logprob <= 0);
                assert.equal(entry.top_logprobs.length, 3);
                assert.equal(entry.top_logprobs[0]!.token, entry.token, "greedy: the chosen token is the likeliest");
                assert.ok(entry.top_logprobs[0]!.logprob >= entry.top_logprobs[1]!.logprob);
            }
            const stream = await client.chat.completions.create({model: "any", messages: question, max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 3, stream: true});
            const streamed: OpenAI.ChatCompletionTokenLogprob[] = [];
            for await (const chunk of stream) streamed.push(...chunk.choices[0]?.logprobs?.content ?? []);
            assert.deepEqual(streamed.map((entry) => [entry.token, entry.logprob.toFixed(4)]), content.map((entry) => [entry.token, entry.logprob.toFixed(4)]));
            assert.equal((await greedy({}, 4)).choices[0]!.logprobs, null, "none unless asked for");
        });

        it("rejects what it does not serve with a 400 naming the field, rather than ignore it", async () => {
            const cases: [Record<string, unknown>, string][] = [
                [{n: 2}, "n"],
                [{logit_bias: {abc: 5}}, "logit_bias"],
                [{logit_bias: {"5": 101}}, "logit_bias"],
                [{logit_bias: {"99999999": 1}}, "logit_bias"],
                [{frequency_penalty: 2.5}, "frequency_penalty"],
                [{presence_penalty: "high"}, "presence_penalty"],
                [{top_logprobs: 3}, "top_logprobs"],
                [{logprobs: true, top_logprobs: 21}, "top_logprobs"]
            ];
            for (const [extra, param] of cases) {
                const response = await rawEngineRequest(engine, {body: JSON.stringify({messages: question, max_tokens: 2, ...extra})});
                assert.equal(response.status, 400, JSON.stringify(extra));
                assert.equal(response.json.error.param, param, JSON.stringify(response.json));
            }
            const completion = await rawEngineRequest(engine, {path: "/v1/completions", body: JSON.stringify({prompt: "你好", max_tokens: 2, logprobs: 2})});
            assert.equal(completion.status, 400);
            assert.equal(completion.json.error.param, "logprobs");
            assert.equal((await greedy({n: 1}, 2)).choices.length, 1);
        });
    });

    describe("tools (node-llama-cpp's function calling)", () => {
        const weatherTool = {
            type: "function" as const,
            function: {name: "get_weather", description: "查询一个城市现在的天气", parameters: {type: "object", properties: {city: {type: "string"}}, required: ["city"]}}
        };
        const ask = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>, messages: OpenAI.ChatCompletionMessageParam[] = [{role: "user", content: "北京天气怎么样？"}]) =>
            client.chat.completions.create({model: "any", messages, max_tokens: 6, temperature: 0, ...extra});

        it("offers the tools to the model in its chat template's syntax, and an answer without a call is a plain answer", async () => {
            const plain = await ask({});
            const offered = await ask({tools: [weatherTool]});
            assert.ok(offered.usage!.prompt_tokens > plain.usage!.prompt_tokens + 20, "the tool's description is in the prompt");
            assert.equal(offered.choices[0]!.finish_reason, "length");
            assert.equal(offered.choices[0]!.message.tool_calls, undefined);
            assert.ok(offered.choices[0]!.message.content!.length > 0);
            const none = await ask({tools: [weatherTool], tool_choice: "none"});
            assert.equal(none.usage!.prompt_tokens, plain.usage!.prompt_tokens, "tool_choice none offers no tool");
            const streamed = await collectChatStream(await client.chat.completions.create({
                model: "any", messages: [{role: "user", content: "北京天气怎么样？"}], max_tokens: 6, temperature: 0, tools: [weatherTool], stream: true
            }));
            assert.equal(streamed.text, offered.choices[0]!.message.content);
        });

        it("takes a conversation with a tool call and its result, and shows the model the result", async () => {
            const conversation = (result: string): OpenAI.ChatCompletionMessageParam[] => [
                {role: "user", content: "北京天气怎么样？"},
                {role: "assistant", content: null, tool_calls: [{id: "call_1", type: "function", function: {name: "get_weather", arguments: "{\"city\": \"北京\"}"}}]},
                {role: "tool", tool_call_id: "call_1", content: result}
            ];
            const short = await ask({tools: [weatherTool]}, conversation("{\"temperature\": 25}"));
            const long = await ask({tools: [weatherTool]}, conversation("{\"temperature\": 25, \"humidity\": 40, \"wind\": \"北风三级\", \"sky\": \"晴\"}"));
            assert.ok(long.usage!.prompt_tokens > short.usage!.prompt_tokens + 10, "the result is in the prompt");
            assert.ok(short.choices[0]!.message.content!.length > 0);
        });

        it("rejects malformed tools and tool messages with a 400 naming the field", async () => {
            const cases: [Record<string, unknown>, string][] = [
                [{tools: [{type: "function", function: {name: "bad name!"}}]}, "tools[0].function.name"],
                [{tools: [{type: "code_interpreter"}]}, "tools[0]"],
                [{tools: [{type: "function", function: {name: "f", parameters: {type: "object", properties: {a: {type: "string", pattern: "x+"}}}}}]}, "tools[0].function.parameters"],
                [{tools: [weatherTool], tool_choice: "required"}, "tool_choice"],
                [{tools: [weatherTool], tool_choice: {type: "function", function: {name: "get_weather"}}}, "tool_choice"],
                [{functions: [{name: "f"}]}, "functions"],
                [{messages: [...question, {role: "tool", tool_call_id: "call_9", content: "1"}]}, "messages[1].tool_call_id"],
                [{messages: [...question, {role: "assistant", content: null, tool_calls: [{id: "c", type: "function", function: {name: "f", arguments: "{oops"}}]}]}, "messages[1].tool_calls[0].function.arguments"]
            ];
            for (const [extra, param] of cases) {
                const response = await rawEngineRequest(engine, {body: JSON.stringify({messages: question, max_tokens: 2, ...extra})});
                assert.equal(response.status, 400, JSON.stringify(extra));
                assert.equal(response.json.error.param, param, JSON.stringify(response.json));
            }
        });
    });

    describe("seed", () => {
        it("draws a fresh random seed per request when none is given, so repeated samples differ", async () => {
            // Concurrent, so they start within the same second (node-llama-cpp's own default seed is the time in seconds)
            const texts = await Promise.all([sample(), sample(), sample(), sample()]);
            assert.equal(new Set(texts).size, 4, `samples repeat: ${JSON.stringify(texts)}`);
        });

        it("treats seed -1 and 4294967295 as random (llama-server's and llama.cpp's convention), not as a fixed seed", async () => {
            for (const seed of [-1, 4_294_967_295]) {
                const texts = await Promise.all([sample(seed), sample(seed), sample(seed)]);
                assert.equal(new Set(texts).size, 3, `seed ${seed}: ${JSON.stringify(texts)}`);
            }
            const seedZero = await sample(0);
            assert.ok(![await sample(-1), await sample(-1)].every((text) => text === seedZero), "seed -1 is not seed 0");
        });

        it("gives the same text for the same seed", async () => {
            assert.equal(await sample(7), await sample(7));
            assert.equal(await sample(4_294_967_294), await sample(4_294_967_294));
            assert.notEqual(await sample(7), await sample(8));
        });

        it("rejects a seed outside 0…2³²−1 with a 400 naming seed", async () => {
            for (const seed of [-2, -1.5, 1.5, 4_294_967_296, 1e300, "7"]) {
                const response = await rawEngineRequest(engine, {body: JSON.stringify({messages: question, max_tokens: 4, seed})});
                assert.equal(response.status, 400, `seed ${seed}`);
                assert.equal(response.json.error.param, "seed");
                assert.match(response.json.error.message, /seed/);
            }
        });
    });
});

describe("engine: request bodies past the limits (generated model)", function () {
    let engine: EngineProcess;

    before(async function () {
        this.timeout(180_000);
        engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--parallel", "1", "--ctx-size", "512"]);
    });
    after(async () => engine?.stop());

    it("answers an oversized body with a 400 and closes the connection, so a client that sends it all is not left waiting", async () => {
        const bodyBytes = 17 << 20;
        const started = performance.now();
        const socket = net.connect(engine.ready.port, "127.0.0.1");
        let received = "";
        socket.setEncoding("utf8").on("data", (chunk: string) => { received += chunk; });
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        socket.on("error", () => undefined); // the server may stop reading: the response and the close are what count
        socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${engine.ready.token}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${bodyBytes}\r\nConnection: keep-alive\r\n\r\n`);
        // As the Python SDK does: the whole body first, then read the answer
        const chunk = Buffer.alloc(1 << 20, 0x20);
        for (let sent = 0; sent < bodyBytes && !socket.destroyed; sent += chunk.length)
            if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), closed]);
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 15_000))]);
        const elapsedMs = performance.now() - started;
        socket.destroy();
        assert.match(received, /^HTTP\/1\.1 400 /);
        assert.match(received, /over 16777216 bytes/);
        assert.ok(elapsedMs < 10_000, `the connection stayed open ${Math.round(elapsedMs)} ms after the answer`);
        assert.equal((await rawEngineRequest(engine, {method: "GET", path: "/health"})).status, 200);
    });

    it("refuses a prompt far past the context by its size, without blocking /health to tokenize it", async () => {
        // 15 MB of varied text, as a pasted log or book would be
        const prompt = Array.from({length: 1_300_000}, (_, index) => `${"秋天的风很凉"[index % 6]}word${index % 977} `).join("");
        const huge = rawEngineRequest(engine, {body: JSON.stringify({messages: [{role: "user", content: prompt}], max_tokens: 4})});
        let slowestHealthMs = 0;
        let done = false;
        void huge.finally(() => { done = true; });
        while (!done) {
            const started = performance.now();
            await rawEngineRequest(engine, {method: "GET", path: "/health"});
            slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const response = await huge;
        assert.equal(response.status, 400);
        assert.equal(response.json.error.code, "context_length_exceeded");
        assert.equal(response.json.error.param, "messages");
        assert.ok(slowestHealthMs < 1500, `/health took ${Math.round(slowestHealthMs)} ms while the prompt was handled`);
    });
});

describe("engine: shutting down with streams open (generated model)", function () {
    it("ends an open stream with an error event on SIGTERM instead of cutting it, answers a queued request, and exits 0", async function () {
        this.timeout(180_000);
        const engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--parallel", "1", "--ctx-size", "512", "--max-queue", "4"]);
        try {
            const body = (stream: boolean) => JSON.stringify({messages: [{role: "user", content: "写一个很长的故事。"}], max_tokens: 480, temperature: 1, stream});
            let firstChunk!: () => void;
            const streaming = new Promise<void>((resolve) => { firstChunk = resolve; });
            const open = new Promise<{status: number, text: string}>((resolve, reject) => {
                const request = http.request({host: "127.0.0.1", port: engine.ready.port, method: "POST", path: "/v1/chat/completions",
                    headers: {Authorization: `Bearer ${engine.ready.token}`, "Content-Type": "application/json"}}, (response) => {
                    let text = "";
                    response.setEncoding("utf8").on("data", (chunk: string) => {
                        text += chunk;
                        if (/"delta":\{"content":"[^"]/u.test(text)) firstChunk();
                    });
                    response.on("end", () => resolve({status: response.statusCode!, text}));
                    response.on("error", reject);
                });
                request.on("error", reject);
                request.end(body(true));
            });
            await streaming;
            const queued = rawEngineRequest(engine, {body: body(false)});
            await new Promise((resolve) => setTimeout(resolve, 200));
            const exited = new Promise<number | null>((resolve) => engine.child.once("exit", (code) => resolve(code)));
            engine.child.kill("SIGTERM");

            const {status, text} = await open;
            assert.equal(status, 200);
            const events = text.split("\n\n").filter((event) => event.startsWith("data: ")).map((event) => event.slice("data: ".length));
            assert.ok(events.length > 2, text);
            const last = events.at(-1)!;
            assert.notEqual(last, "[DONE]", "an interrupted answer does not end like a finished one");
            assert.equal(JSON.parse(last).error.code, "engine_shutting_down", last);
            const queuedResponse = await queued;
            assert.equal(queuedResponse.status, 503);
            assert.equal(queuedResponse.json.error.code, "engine_shutting_down");
            assert.equal(await exited, 0);
        } finally {
            await engine.stop();
        }
    });
});

describe("engine: --parent-pid and its log (generated model)", function () {
    it("does not take a parent owned by another user (EPERM) for a gone one", async function () {
        this.timeout(180_000);
        const modelPath = await ensureEmbeddedModel();
        let engine: EngineProcess;
        if (process.getuid?.() === 0) {
            // As root every process may be signalled: run the engine as nobody, so signalling this (root's) process is EPERM
            const folder = await mkdtemp(path.join(os.tmpdir(), "belle-eperm-"));
            await chmod(folder, 0o755);
            const copied = path.join(folder, path.basename(modelPath));
            await copyFile(modelPath, copied);
            await chmod(copied, 0o644);
            engine = await startEngineProcess(["--model", copied, "--ctx-size", "256", "--parallel", "1", "--parent-pid", String(process.pid)],
                {env: {HOME: folder}, spawnOptions: {uid: 65534, gid: 65534}});
        } else
            engine = await startEngineProcess(["--model", modelPath, "--ctx-size", "256", "--parallel", "1", "--parent-pid", "1"]);
        try {
            await new Promise((resolve) => setTimeout(resolve, 5000)); // past two checks of the parent
            assert.equal(engine.child.exitCode, null, engine.stderr());
            assert.doesNotMatch(engine.stderr(), /is gone/);
        } finally {
            await engine.stop();
        }
    });

    it("exits at once, before loading the model, when the parent is already gone", async function () {
        this.timeout(60_000);
        const gone = spawn(process.execPath, ["-e", "0"]);
        await new Promise((resolve) => gone.once("exit", resolve));
        const started = performance.now();
        await assert.rejects(startEngineProcess(["--model", await ensureEmbeddedModel(), "--parent-pid", String(gone.pid)]),
            (error: Error) => new RegExp(`parent process ${gone.pid} is gone`).test(error.message) && !/\[engine\] loading/.test(error.message));
        assert.ok(performance.now() - started < 5000);
    });

    it("logs no stack trace for uploads the client aborts", async function () {
        this.timeout(120_000);
        const engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--ctx-size", "256", "--parallel", "1"]);
        try {
            await new Promise((resolve) => setTimeout(resolve, 300));
            const logBefore = engine.stderr().length;
            await Promise.all(Array.from({length: 50}, () => new Promise<void>((resolve) => {
                const socket = net.connect(engine.ready.port, "127.0.0.1", () => {
                    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${engine.ready.token}\r\n` +
                        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"messages\": [");
                    setTimeout(() => socket.destroy(), 100);
                });
                socket.on("close", () => resolve());
                socket.on("error", () => undefined);
            })));
            await new Promise((resolve) => setTimeout(resolve, 500));
            const added = engine.stderr().slice(logBefore).split("\n").filter((line) => line.trim() !== "");
            assert.ok(added.length <= 1, `50 aborted uploads logged ${added.length} lines:\n${added.slice(0, 12).join("\n")}`);
            assert.equal((await rawEngineRequest(engine, {method: "GET", path: "/health"})).status, 200);
        } finally {
            await engine.stop();
        }
    });
});

describe("engine: seeded sampling is reproducible (generated 0.5b F16 model)", function () {
    let engine: EngineProcess;
    let client: OpenAI;

    before(async function () {
        this.timeout(600_000);
        const modelPath = await ensureGeneratedModel({shape: "0.5b", type: "F16"});
        engine = await startEngineProcess(["--model", modelPath, "--parallel", "2", "--ctx-size", "2048"], {timeoutMs: 180_000});
        client = new OpenAI({baseURL: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, maxRetries: 0, timeout: 120_000});
    });
    after(async () => engine?.stop());

    // A long prompt, evaluated whole the first time and from the cache after
    const material = "秋天来了，树叶黄了，一片片落下来。农民伯伯在田里收割稻谷，到处都是丰收的景象。".repeat(12);
    const seeded = async (content: string) => {
        const completion = await client.chat.completions.create({
            model: "any", messages: [{role: "system", content: "你是一个乐于助人的助手。"}, {role: "user", content}],
            max_tokens: 16, temperature: 0.8, seed: 7, logprobs: true
        });
        return {text: completion.choices[0]!.message.content, logprobs: completion.choices[0]!.logprobs!.content!.map((entry) => entry.logprob)};
    };

    it("gives the same text and logprobs for the same seeded request however much of its prompt a sequence holds", async function () {
        this.timeout(600_000);
        const prompt = `请根据下面的材料写一句关于秋天的话。${material}`;
        const fresh = await seeded(prompt);
        const whole = await seeded(prompt); // the same sequence holds all of the prompt now
        await seeded(`${prompt.slice(0, 200)}`); // and now only part of it
        const partial = await seeded(prompt);
        assert.deepEqual(whole, fresh);
        assert.deepEqual(partial, fresh);
    });
});
