import assert from "node:assert/strict";
import OpenAI from "openai";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {rawEngineRequest} from "../support/rawEngineRequest";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";

describe("engine: the OpenAI contract, exactly (generated model)", function () {
    let engine: EngineProcess;
    let client: OpenAI;
    const question = [{role: "user" as const, content: "请写一句关于秋天的话。"}];

    before(async function () {
        this.timeout(180_000);
        engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--parallel", "2", "--ctx-size", "512"]);
        client = new OpenAI({baseURL: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, maxRetries: 0, timeout: 60_000});
    });
    after(async () => engine?.stop());

    const sample = async (seed?: number) => (await client.chat.completions.create({
        model: "any", messages: question, max_tokens: 12, temperature: 1, ...(seed === undefined ? {} : {seed})
    })).choices[0]!.message.content!;

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
