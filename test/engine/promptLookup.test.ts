import assert from "node:assert/strict";
import OpenAI from "openai";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";
import {collectChatStream} from "../support/collectChatStream";

/** OpenAI's Predicted Outputs counts, as the engine reports its prompt-lookup drafts. */
type PredictionDetails = {accepted_prediction_tokens: number, rejected_prediction_tokens: number};

function clientFor(engine: EngineProcess) {
    return new OpenAI({baseURL: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, maxRetries: 0, timeout: 60_000});
}

async function health(engine: EngineProcess) {
    const response = await fetch(`${engine.baseUrl}/health`, {headers: {Authorization: `Bearer ${engine.ready.token}`}});
    return await response.json() as {speculative: string, lookupDraftTokens: number};
}

function predictionDetails(usage: OpenAI.CompletionUsage | undefined | null): PredictionDetails | undefined {
    return usage?.completion_tokens_details as PredictionDetails | undefined;
}

// The generated model repeats runs of a few characters: a prompt that holds them gives prompt lookup drafts that
// the model accepts, and a prompt that copies nothing gives drafts it rejects
const prompts = [
    "改写下面的句子：今天天气很好，我们去公园散步吧。",
    "从下面的文字中提取人名：玚玚玚玚玚玚玚玚玚玚玚玚玚玚玚玚麲咫玽戤汮嗁懸脛龇钏鳡嗁懸巺崛鳡嗁懸",
    "你好"
];

// The native loop drafts in its worker (findLookupDraft); node-llama-cpp's loop through its InputLookupTokenPredictor
for (const tokenLoop of ["native", "node-llama-cpp"] as const) describe(`engine: prompt-lookup speculative decoding (--speculative lookup, --token-loop ${tokenLoop})`, function () {
    let plain: EngineProcess;
    let lookup: EngineProcess;

    before(async function () {
        this.timeout(180_000);
        const modelPath = await ensureEmbeddedModel();
        // One thread and one sequence each: the same batch shapes on both, so any difference is the drafts'
        const common = ["--model", modelPath, "--threads", "1", "--parallel", "1", "--ctx-size", "1024", "--token-loop", tokenLoop];
        [plain, lookup] = await Promise.all([startEngineProcess([...common, "--speculative", "off"]), startEngineProcess([...common, "--speculative", "lookup", "--lookup-draft", "4"])]);
    });
    after(async () => Promise.all([plain?.stop(), lookup?.stop()]));

    it("says in /health and the ready line which speculative decoding it uses", async () => {
        assert.deepEqual(await health(lookup), {...await health(lookup), speculative: "lookup", lookupDraftTokens: 4});
        assert.deepEqual(await health(plain), {...await health(plain), speculative: "off", lookupDraftTokens: 0});
        assert.equal((lookup.ready as unknown as {speculative: string}).speculative, "lookup");
    });

    it("answers greedy chats with the same text as plain greedy decoding, streamed and not, and reports its drafts", async () => {
        let accepted = 0;
        for (const content of prompts) {
            const request = {model: "any", messages: [{role: "user" as const, content}], max_tokens: 64, temperature: 0};
            const expected = await clientFor(plain).chat.completions.create(request);
            const whole = await clientFor(lookup).chat.completions.create(request);
            assert.equal(whole.choices[0]!.message.content, expected.choices[0]!.message.content, content);
            assert.equal(whole.choices[0]!.finish_reason, expected.choices[0]!.finish_reason);
            assert.equal(whole.usage!.completion_tokens, expected.usage!.completion_tokens);
            assert.equal(predictionDetails(expected.usage), undefined, "no drafts without --speculative lookup");
            const details = predictionDetails(whole.usage);
            assert.ok(details != null, "usage.completion_tokens_details with lookup");
            assert.ok(details.accepted_prediction_tokens <= whole.usage!.completion_tokens);
            accepted += details.accepted_prediction_tokens;

            const streamed = await collectChatStream(await clientFor(lookup).chat.completions.create({...request, stream: true}));
            assert.equal(streamed.text, expected.choices[0]!.message.content, `${content} (streamed)`);
        }
        assert.ok(accepted > 0, "some drafted tokens were accepted");
    });

    it("completes raw prompts with the same text as plain greedy decoding, and the usage of a stream carries the counts", async () => {
        for (const prompt of prompts) {
            const request = {model: "any", prompt, max_tokens: 48, temperature: 0};
            const expected = await clientFor(plain).completions.create(request);
            const whole = await clientFor(lookup).completions.create(request);
            assert.equal(whole.choices[0]!.text, expected.choices[0]!.text, prompt);

            let text = "";
            let usage: OpenAI.CompletionUsage | undefined;
            for await (const chunk of await clientFor(lookup).completions.create({...request, stream: true, stream_options: {include_usage: true}})) {
                text += chunk.choices[0]?.text ?? "";
                usage = chunk.usage ?? usage;
            }
            assert.equal(text, expected.choices[0]!.text, `${prompt} (streamed)`);
            assert.deepEqual(predictionDetails(usage), predictionDetails(whole.usage));
        }
    });

    it("keeps seeded sampling reproducible: a seeded sample is the one the engine gives without lookup", async () => {
        const request = {model: "any", messages: [{role: "user" as const, content: prompts[1]!}], max_tokens: 48, temperature: 0.9, seed: 7};
        const expected = await clientFor(plain).chat.completions.create(request);
        const first = await clientFor(lookup).chat.completions.create(request);
        const second = await clientFor(lookup).chat.completions.create(request);
        assert.equal(first.choices[0]!.message.content, expected.choices[0]!.message.content);
        assert.equal(second.choices[0]!.message.content, first.choices[0]!.message.content);
        assert.equal(predictionDetails(first.usage), undefined, "no drafts for a seeded sample");
    });

    it("drafts nothing under frequency or presence penalties, which count the tokens generated so far", async () => {
        const request = {model: "any", messages: [{role: "user" as const, content: prompts[1]!}], max_tokens: 32, temperature: 0, frequency_penalty: 1};
        const expected = await clientFor(plain).chat.completions.create(request);
        const penalized = await clientFor(lookup).chat.completions.create(request);
        assert.equal(penalized.choices[0]!.message.content, expected.choices[0]!.message.content);
        assert.equal(predictionDetails(penalized.usage), undefined);
    });
});
