import assert from "node:assert/strict";
import OpenAI from "openai";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";
import {collectChatStream} from "../support/collectChatStream";

/*
 * The generated model's weights are random: left alone it writes Chinese noise. Every valid JSON reply below is
 * the grammar's doing, which is exactly what these tests prove. The grammar cannot bound numbers with
 * minimum/maximum, so the judge schema lists its scores with `enum`; and a random model never chooses to close a
 * string, so `reason` has a maxLength (a real judge model ends its reason by itself).
 */
const scores = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
const judgeSchema = {
    type: "object",
    properties: {
        score: {enum: scores, description: "How well the answer meets the reference, from 0 to 1."},
        reason: {type: "string", maxLength: 24}
    },
    required: ["score", "reason"],
    additionalProperties: false
};
const judgeFormat = {type: "json_schema", json_schema: {name: "judge_verdict", schema: judgeSchema, strict: true}} as const;
const cjk = /[\u4e00-\u9fff]/u;

function judgeMessages(answer: string): OpenAI.Chat.Completions.ChatCompletionMessageParam[] {
    return [
        {role: "system", content: "你是一名评审。请只用 JSON 回答：{\"score\": 0 到 1, \"reason\": \"理由\"}。"},
        {role: "user", content: `问题：北京是哪个国家的首都？\n参考答案：中国\n待评回答：${answer}`}
    ];
}

function assertJudgeVerdict(text: string) {
    const verdict = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(verdict).sort(), ["reason", "score"], text);
    assert.ok(scores.includes(verdict.score as number), `score ${String(verdict.score)} is one of the listed scores`);
    assert.equal(typeof verdict.reason, "string");
    assert.ok((verdict.reason as string).length <= 24);
}

async function health(engine: EngineProcess) {
    const response = await fetch(`${engine.baseUrl}/health`, {headers: {Authorization: `Bearer ${engine.ready.token}`}});
    return await response.json() as {slotsBusy: number, cachedGrammars: number};
}

async function postChat(engine: EngineProcess, body: unknown) {
    const response = await fetch(`${engine.baseUrl}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json", Authorization: `Bearer ${engine.ready.token}`},
        body: JSON.stringify(body)
    });
    return {status: response.status, json: await response.json() as {error: {message: string, type: string, param: string | null}}};
}

describe("engine: structured output (response_format) on the generated model", function () {
    let engine: EngineProcess;
    let client: OpenAI;

    before(async function () {
        this.timeout(180_000);
        engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--parallel", "4", "--ctx-size", "512"]);
        client = new OpenAI({baseURL: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, maxRetries: 0, timeout: 110_000});
    });
    after(async () => engine?.stop());

    it("answers a judge prompt with JSON matching its json_schema, ending with finish_reason stop", async () => {
        const completion = await client.chat.completions.create({
            model: "any", messages: judgeMessages("北京是中国的首都。"), max_tokens: 120, temperature: 0, response_format: judgeFormat
        });
        const choice = completion.choices[0]!;
        assertJudgeVerdict(choice.message.content!);
        assert.equal(choice.finish_reason, "stop");
        assert.ok(completion.usage!.completion_tokens < 120);
    });

    it("streams the same JSON chunk by chunk", async () => {
        const request = {model: "any", messages: judgeMessages("首都是上海。"), max_tokens: 120, temperature: 0, response_format: judgeFormat};
        const whole = await client.chat.completions.create(request);
        const streamed = await collectChatStream(await client.chat.completions.create({...request, stream: true}));
        assert.ok(streamed.pieces.length > 10, "the JSON arrives in many chunks, not at the end");
        assert.equal(streamed.text, whole.choices[0]!.message.content);
        assertJudgeVerdict(streamed.text);
        assert.equal(streamed.finishReason, "stop");
    });

    it("keeps 4 concurrent judge requests valid, each on its own grammar state, beside a plain text request", async () => {
        const answers = ["中国", "日本", "北京是中国的首都，也是政治中心。", "我不知道"];
        const [verdicts, plain] = await Promise.all([
            Promise.all(answers.map(async (answer, index) => {
                const request = {model: "any", messages: judgeMessages(answer), max_tokens: 120, temperature: 0, response_format: judgeFormat};
                return index % 2 === 0
                    ? await collectChatStream(await client.chat.completions.create({...request, stream: true}))
                    : {text: (await client.chat.completions.create(request)).choices[0]!.message.content!, finishReason: "stop"};
            })),
            client.chat.completions.create({model: "any", messages: [{role: "user", content: "你好"}], max_tokens: 8, temperature: 0})
        ]);
        for (const verdict of verdicts) {
            assertJudgeVerdict(verdict.text);
            assert.equal(verdict.finishReason, "stop");
        }
        const text = plain.choices[0]!.message.content!;
        assert.match(text, cjk, "the grammar does not leak into a request that asked for text");
        assert.ok(!text.startsWith("{"));
    });

    it("builds the grammar for a schema once and reuses it", async () => {
        const before = (await health(engine)).cachedGrammars;
        const schema = {type: "object", properties: {ok: {type: "boolean"}}};
        for (let round = 0; round < 3; round++) {
            const completion = await client.chat.completions.create({
                model: "any", messages: [{role: "user", content: "对吗？"}], max_tokens: 40, temperature: 0,
                response_format: {type: "json_schema", json_schema: {name: "check", schema}}
            });
            assert.equal(typeof (JSON.parse(completion.choices[0]!.message.content!) as {ok: unknown}).ok, "boolean");
        }
        assert.equal((await health(engine)).cachedGrammars, before + 1);
    });

    it("constrains json_object replies to a JSON object", async () => {
        // Whether a random model closes its object depends on the draw: only finished replies must parse, and some must finish
        const replies = await Promise.all(Array.from({length: 12}, async (_, index) => (await client.chat.completions.create({
            model: "any", messages: [{role: "user", content: "用 JSON 回答：你好"}], max_tokens: 8, temperature: 2, seed: index + 1,
            response_format: {type: "json_object"}
        })).choices[0]!));
        const finished = replies.filter((reply) => reply.finish_reason === "stop");
        assert.ok(finished.length > 0, "some replies close their object within 8 tokens");
        for (const reply of replies) assert.ok(reply.message.content!.startsWith("{"), reply.message.content!);
        for (const reply of finished) {
            const value = JSON.parse(reply.message.content!) as unknown;
            assert.ok(value != null && typeof value === "object" && !Array.isArray(value));
        }
    });

    it("applies response_format on /v1/completions too", async () => {
        const completion = await client.completions.create({
            model: "any", prompt: "评分：", max_tokens: 120, temperature: 0, response_format: judgeFormat
        } as OpenAI.CompletionCreateParamsNonStreaming);
        assertJudgeVerdict(completion.choices[0]!.text);
        assert.equal(completion.choices[0]!.finish_reason, "stop");
    });

    it("ends with finish_reason length and an unfinished JSON prefix when max_tokens is too small", async () => {
        const completion = await client.chat.completions.create({
            model: "any", messages: judgeMessages("中国"), max_tokens: 10, temperature: 0, response_format: judgeFormat
        });
        const choice = completion.choices[0]!;
        assert.equal(choice.finish_reason, "length");
        assert.equal(completion.usage!.completion_tokens, 10);
        assert.ok(choice.message.content!.startsWith("{"));
        assert.throws(() => JSON.parse(choice.message.content!), SyntaxError);
    });

    it("still says stop when max_tokens runs out inside the grammar's end marker after a complete value", async () => {
        const request = {model: "any", messages: judgeMessages("中国是首都"), max_tokens: 120, temperature: 0, response_format: judgeFormat};
        const full = await client.chat.completions.create(request);
        // node-llama-cpp's JSON grammar ends the value with "\n\n\n\n": four byte tokens in this vocabulary, counted in usage
        const markerTokens = 4;
        const cut = await client.chat.completions.create({...request, max_tokens: full.usage!.completion_tokens - markerTokens + 1});
        assert.equal(cut.choices[0]!.finish_reason, "stop");
        assert.equal(cut.choices[0]!.message.content, full.choices[0]!.message.content);
        assertJudgeVerdict(cut.choices[0]!.message.content!);
    });

    it("refuses a schema the grammar cannot enforce with a 400 naming the keyword, and keeps serving", async () => {
        const messages = [{role: "user", content: "评分"}];
        const jsonSchema = (schema: unknown) => ({type: "json_schema", json_schema: {name: "j", schema}});
        const cases: Array<[unknown, RegExp]> = [
            [jsonSchema({type: "object", properties: {score: {type: "number", minimum: 0, maximum: 1}}}), /properties\.score.*"minimum".*enum/],
            [jsonSchema({type: "object", properties: {id: {type: "string", pattern: "^[a-z]+$"}}}), /properties\.id.*"pattern"/],
            [jsonSchema({type: "object", properties: {mail: {type: "string", format: "email"}}}), /properties\.mail\.format.*"email"/],
            [jsonSchema({type: "object", properties: {any: {}}}), /properties\.any.*needs "type"/],
            [jsonSchema({type: ["object", "null"]}), /type.*anyOf/],
            [jsonSchema({allOf: [{type: "object"}]}), /"allOf"/],
            [jsonSchema({$ref: "#/$defs/missing"}), /\$ref.*missing/],
            [jsonSchema({type: "object", properties: {a: {type: "string"}}, required: ["b"]}), /required.*"b"/],
            [jsonSchema({type: "object", properties: {tags: {type: "array", items: {type: "string"}, minItems: 3, maxItems: 1}}}), /maxItems/],
            [jsonSchema({enum: [{a: 1}]}), /enum\[0\]/],
            [{type: "xml"}, /"text", "json_object" or "json_schema"/],
            [{type: "json_schema"}, /json_schema/]
        ];
        for (const [responseFormat, message] of cases) {
            const response = await postChat(engine, {model: "any", messages, max_tokens: 4, response_format: responseFormat});
            assert.equal(response.status, 400, JSON.stringify(responseFormat));
            assert.equal(response.json.error.type, "invalid_request_error");
            assert.equal(response.json.error.param, "response_format");
            assert.match(response.json.error.message, message);
        }

        await assert.rejects(
            client.chat.completions.create({model: "any", messages: judgeMessages("中国"), max_tokens: 4, response_format: jsonSchema({type: "integer", multipleOf: 5}) as OpenAI.ResponseFormatJSONSchema}),
            (error: unknown) => error instanceof OpenAI.BadRequestError && /multipleOf/.test(error.message)
        );
        const state = await health(engine);
        assert.equal(state.slotsBusy, 0);
        const ok = await client.chat.completions.create({model: "any", messages: [{role: "user", content: "还在吗？"}], max_tokens: 3});
        assert.equal(ok.usage!.completion_tokens, 3);
    });

    it("accepts the schema forms judges are built with: anyOf, nullable types, $defs, arrays and date formats", async () => {
        const schema = {
            type: "object",
            properties: {
                verdict: {$ref: "#/$defs/verdict"},
                note: {anyOf: [{type: "string", maxLength: 4}, {type: "null"}]},
                flags: {type: "array", items: {type: "boolean"}, maxItems: 2},
                day: {type: "string", format: "date"},
                count: {type: ["integer", "null"]}
            },
            additionalProperties: false,
            $defs: {verdict: {type: "string", enum: ["pass", "fail"]}}
        };
        const completion = await client.chat.completions.create({
            model: "any", messages: [{role: "user", content: "判断"}], max_tokens: 150, temperature: 0,
            response_format: {type: "json_schema", json_schema: {name: "mixed", schema}}
        });
        const choice = completion.choices[0]!;
        assert.equal(choice.finish_reason, "stop", choice.message.content!);
        const value = JSON.parse(choice.message.content!) as Record<string, unknown>;
        assert.ok(["pass", "fail"].includes(value.verdict as string));
        assert.ok(value.note === null || (typeof value.note === "string" && value.note.length <= 4));
        assert.ok(Array.isArray(value.flags) && value.flags.length <= 2 && value.flags.every((flag) => typeof flag === "boolean"));
        assert.match(value.day as string, /^\d{4}-\d{2}-\d{2}$/);
        assert.ok(value.count === null || Number.isInteger(value.count));
    });
});
