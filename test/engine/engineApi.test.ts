import assert from "node:assert/strict";
import http from "node:http";
import OpenAI from "openai";
import {ensureEmbeddedModel, ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";
import {collectChatStream} from "../support/collectChatStream";

const cjk = /[\u4e00-\u9fff]/u;

function clientFor(engine: EngineProcess, apiKey = engine.ready.token) {
    return new OpenAI({baseURL: `${engine.baseUrl}/v1`, apiKey, maxRetries: 0, timeout: 60_000});
}

async function health(engine: EngineProcess) {
    const response = await fetch(`${engine.baseUrl}/health`, {headers: {Authorization: `Bearer ${engine.ready.token}`}});
    return await response.json() as {slotsBusy: number, queued: number, promptFormat: string, threads: number, backend: string};
}

/** Raw request, for headers fetch() will not let us set (Host) and bodies the SDK would not send. */
function rawRequest(engine: EngineProcess, {method = "POST", path = "/v1/chat/completions", headers = {}, body}: {
    method?: string, path?: string, headers?: Record<string, string>, body?: string
}): Promise<{status: number, json: any}> {
    return new Promise((resolve, reject) => {
        const request = http.request({host: "127.0.0.1", port: engine.ready.port, method, path, headers}, (response) => {
            let text = "";
            response.setEncoding("utf8").on("data", (chunk: string) => { text += chunk; });
            response.on("end", () => resolve({status: response.statusCode!, json: text === "" ? null : JSON.parse(text)}));
        });
        request.on("error", reject);
        request.end(body);
    });
}

describe("engine: OpenAI-compatible API on the generated Chinese model", function () {
    let engine: EngineProcess;
    let client: OpenAI;

    before(async function () {
        this.timeout(180_000);
        const modelPath = await ensureEmbeddedModel();
        engine = await startEngineProcess(["--model", modelPath, "--parallel", "4", "--ctx-size", "512", "--allow-origin", "vscode-webview://*"]);
        client = clientFor(engine);
    });
    after(async () => engine?.stop());

    it("prints a ready line with the port, a token and what it runs on", () => {
        assert.ok(engine.ready.port > 0);
        assert.ok(engine.ready.token.length >= 32);
        assert.equal(engine.ready.backend, "cpu");
        assert.ok(engine.ready.threads >= 1);
        assert.equal(engine.ready.parallel, 4);
    });

    it("lists its model under /v1/models", async () => {
        const models = await client.models.list();
        assert.deepEqual(models.data.map((model) => model.id), [engine.ready.model]);
    });

    it("answers a Chinese chat without streaming, with usage and finish_reason", async () => {
        const completion = await client.chat.completions.create({
            model: engine.ready.model,
            messages: [{role: "system", content: "你是一个乐于助人的助手。"}, {role: "user", content: "你好，请介绍一下北京。"}],
            max_tokens: 12,
            temperature: 0
        });
        const choice = completion.choices[0]!;
        assert.equal(choice.message.role, "assistant");
        assert.match(choice.message.content!, cjk);
        assert.equal(choice.finish_reason, "length");
        assert.equal(completion.usage!.completion_tokens, 12);
        assert.ok(completion.usage!.prompt_tokens > 10);
        assert.equal(completion.usage!.total_tokens, completion.usage!.prompt_tokens + 12);
    });

    it("streams the same Chinese text it returns without streaming, chunk by chunk, never splitting a character", async () => {
        const request = {model: "any", messages: [{role: "user" as const, content: "写一首关于春天的诗 🌸"}], max_tokens: 16, temperature: 0};
        const whole = await client.chat.completions.create(request);
        const streamed = await collectChatStream(await client.chat.completions.create({...request, stream: true}));
        assert.equal(streamed.text, whole.choices[0]!.message.content);
        assert.ok(streamed.pieces.length > 1, "text arrives in several chunks");
        assert.ok(streamed.pieces.every((piece) => !piece.includes("\uFFFD")));
        assert.equal(streamed.finishReason, "length");
    });

    it("reports usage at the end of a stream when stream_options.include_usage is set", async () => {
        const stream = await client.chat.completions.create({
            model: "any", messages: [{role: "user", content: "你好"}], max_tokens: 5, temperature: 0, stream: true,
            stream_options: {include_usage: true}
        });
        let usage: OpenAI.CompletionUsage | null | undefined;
        for await (const chunk of stream) usage = chunk.usage ?? usage;
        assert.equal(usage?.completion_tokens, 5);
    });

    it("stops at a stop string and leaves it out of the text", async () => {
        const request = {model: "any", messages: [{role: "user" as const, content: "讲一个故事"}], max_tokens: 12, temperature: 0};
        const full = (await client.chat.completions.create(request)).choices[0]!.message.content!;
        const stopAt = [...full].slice(4, 6).join("");
        const expected = full.slice(0, full.indexOf(stopAt));
        const stopped = await client.chat.completions.create({...request, stop: [stopAt]});
        assert.equal(stopped.choices[0]!.message.content, expected);
        assert.equal(stopped.choices[0]!.finish_reason, "stop");

        const streamed = await collectChatStream(await client.chat.completions.create({...request, stop: stopAt, stream: true}));
        assert.equal(streamed.text, expected);
        assert.equal(streamed.finishReason, "stop");
    });

    it("gives the same answers to 8 concurrent streams as to the same requests one by one (temperature 0)", async () => {
        const prompts = ["你好", "今天天气怎么样？", "解释一下量子力学", "写一段 Python 代码", "翻译：I love you", "北京有什么好玩的？", "1+1等于几？", "给我讲个笑话"];
        const request = (content: string) => ({model: "any", messages: [{role: "user" as const, content}], max_tokens: 10, temperature: 0});
        const sequential: string[] = [];
        for (const prompt of prompts)
            sequential.push((await client.chat.completions.create(request(prompt))).choices[0]!.message.content!);

        const concurrent = await Promise.all(prompts.map(async (prompt) =>
            (await collectChatStream(await client.chat.completions.create({...request(prompt), stream: true}))).text));
        assert.deepEqual(concurrent, sequential);
        assert.ok(new Set(sequential).size > 1, "different prompts give different answers");
    });

    it("frees the sequence at once when a streaming client disconnects", async () => {
        const controller = new AbortController();
        const stream = await client.chat.completions.create(
            {model: "any", messages: [{role: "user", content: "写一篇很长的文章"}], max_tokens: 400, temperature: 0, stream: true},
            {signal: controller.signal}
        );
        let chunks = 0;
        for await (const _chunk of stream) {
            if (++chunks === 3) {
                controller.abort();
                break;
            }
        }
        let state = await health(engine);
        for (let attempt = 0; attempt < 50 && state.slotsBusy > 0; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            state = await health(engine);
        }
        assert.equal(state.slotsBusy, 0);
        const after = await client.chat.completions.create({model: "any", messages: [{role: "user", content: "还在吗？"}], max_tokens: 3});
        assert.equal(after.usage!.completion_tokens, 3);
    });

    it("rejects a prompt longer than the context with a clear 400 and keeps serving", async () => {
        const longPrompt = "很长的问题".repeat(200);
        await assert.rejects(
            client.chat.completions.create({model: "any", messages: [{role: "user", content: longPrompt}], max_tokens: 4}),
            (error: unknown) => {
                assert.ok(error instanceof OpenAI.BadRequestError);
                assert.equal((error.error as {code: string}).code, "context_length_exceeded");
                assert.match(error.message, /context/);
                return true;
            }
        );
        const ok = await client.chat.completions.create({model: "any", messages: [{role: "user", content: "短问题"}], max_tokens: 2});
        assert.equal(ok.usage!.completion_tokens, 2);
    });

    it("stops at the end of the context when max_tokens would pass it", async () => {
        const completion = await client.completions.create({model: "any", prompt: "春".repeat(500), max_tokens: 100, temperature: 0});
        assert.equal(completion.choices[0]!.finish_reason, "length");
        assert.ok(completion.usage!.prompt_tokens + completion.usage!.completion_tokens <= engine.ready.contextSize);
    });

    it("serves raw text completions on /v1/completions", async () => {
        const completion = await client.completions.create({model: "any", prompt: "床前明月光，", max_tokens: 6, temperature: 0});
        assert.match(completion.choices[0]!.text, cjk);
        assert.equal(completion.usage!.completion_tokens, 6);
    });

    it("answers malformed bodies with a 400 that names the problem, and stays up", async () => {
        const headers = {"Content-Type": "application/json", Authorization: `Bearer ${engine.ready.token}`};
        const cases: Array<[string, RegExp, string | null]> = [
            ["{not json", /not valid JSON/, null],
            ["[]", /JSON object/, null],
            [JSON.stringify({messages: []}), /messages/, "messages"],
            [JSON.stringify({messages: [{role: "robot", content: "hi"}]}), /role/, "messages[0].role"],
            [JSON.stringify({messages: [{role: "user", content: "hi"}], temperature: 7}), /temperature/, "temperature"],
            [JSON.stringify({messages: [{role: "user", content: "hi"}], max_tokens: -1}), /max_tokens/, "max_tokens"],
            [JSON.stringify({messages: [{role: "user", content: [{type: "image_url", image_url: {url: "x"}}]}]}), /text/, "messages[0].content[0]"],
            [JSON.stringify({messages: [{role: "user", content: "hi"}], response_format: {type: "yaml"}}), /response_format/, "response_format"],
            [JSON.stringify({messages: [{role: "user", content: "hi"}], response_format: {type: "json_schema", json_schema: {name: "j", schema: {type: "number", minimum: 0}}}}), /minimum/, "response_format"]
        ];
        for (const [body, message, param] of cases) {
            const response = await rawRequest(engine, {headers, body});
            assert.equal(response.status, 400, body);
            assert.match(response.json.error.message, message);
            assert.equal(response.json.error.param, param);
        }
        assert.equal((await health(engine)).slotsBusy, 0);
    });

    it("requires this session's bearer token", async () => {
        await assert.rejects(clientFor(engine, "wrong-token").models.list(), OpenAI.AuthenticationError);
        const missing = await rawRequest(engine, {method: "GET", path: "/v1/models"});
        assert.equal(missing.status, 401);
        assert.match(missing.json.error.message, /Bearer/);
    });

    it("rejects a foreign Host (DNS rebinding) and a browser Origin it was not told to allow", async () => {
        const auth = {Authorization: `Bearer ${engine.ready.token}`};
        const foreignHost = await rawRequest(engine, {method: "GET", path: "/health", headers: {...auth, Host: "attacker.example:8080"}});
        assert.equal(foreignHost.status, 403);
        const foreignOrigin = await rawRequest(engine, {method: "GET", path: "/health", headers: {...auth, Origin: "https://attacker.example"}});
        assert.equal(foreignOrigin.status, 403);
        assert.match(foreignOrigin.json.error.message, /--allow-origin/);
        const allowedOrigin = await rawRequest(engine, {method: "GET", path: "/health", headers: {...auth, Origin: "vscode-webview://abc123"}});
        assert.equal(allowedOrigin.status, 200);
    });
});

describe("engine: queueing when every sequence is busy", function () {
    let engine: EngineProcess;

    before(async function () {
        this.timeout(180_000);
        engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--parallel", "1", "--max-queue", "1", "--ctx-size", "2048"]);
    });
    after(async () => engine?.stop());

    it("queues one request behind a busy sequence and turns the next away with 429", async () => {
        const client = clientFor(engine);
        // Long enough to hold the only sequence whatever the machine's load; cancelled once the queue is checked
        const cancelLong = new AbortController();
        const long = client.chat.completions.create({model: "any", messages: [{role: "user", content: "写一篇长文"}], max_tokens: 4000, temperature: 0},
            {signal: cancelLong.signal});
        let state = await health(engine);
        while (state.slotsBusy === 0) state = await health(engine);
        const queued = client.chat.completions.create({model: "any", messages: [{role: "user", content: "排队"}], max_tokens: 2});
        while (state.queued === 0) state = await health(engine);

        await assert.rejects(
            client.chat.completions.create({model: "any", messages: [{role: "user", content: "第三个"}], max_tokens: 2}),
            (error: unknown) => error instanceof OpenAI.RateLimitError && /busy/.test(error.message)
        );
        // The client hanging up frees the sequence for the queued request
        cancelLong.abort();
        await assert.rejects(long, (error: unknown) => error instanceof OpenAI.APIUserAbortError);
        assert.equal((await queued).usage!.completion_tokens, 2);
    });
});

describe("engine: BELLE prompt format for models without a chat template", function () {
    let engine: EngineProcess;

    before(async function () {
        this.timeout(180_000);
        const modelPath = await ensureGeneratedModel({shape: "tiny", withoutChatTemplate: true});
        engine = await startEngineProcess(["--model", modelPath, "--parallel", "1"]);
    });
    after(async () => engine?.stop());

    it("uses BELLE's trainer format `Human: \\n…\\n\\nAssistant: \\n` and still chats in Chinese", async () => {
        assert.equal(engine.ready.promptFormat, "belle");
        const completion = await clientFor(engine).chat.completions.create({model: "any", messages: [{role: "user", content: "你好"}], max_tokens: 4, temperature: 0});
        assert.match(completion.choices[0]!.message.content!, cjk);
        // BOS + "Human: \n你好\n\nAssistant: \n", one token per character in the generated vocabulary
        assert.equal(completion.usage!.prompt_tokens, 1 + "Human: \n你好\n\nAssistant: \n".length);
    });
});
