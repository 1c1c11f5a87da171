import assert from "node:assert/strict";
import {evalJobCommand, type EvalJobRequest, type ServedModel} from "../../extension/evaluate/evalJobCommand";

describe("evalJobCommand (the belle eval command VS Code runs)", () => {
    const served = (port: number): ServedModel => ({
        baseUrl: `http://127.0.0.1:${port}/v1`, token: `token-${port}`, model: "belle-7b", modelPath: "/models/belle-7b.gguf",
        loraAdapters: [{path: "/adapters/style.gguf", scale: 0.5}]
    });
    const request = (model: ServedModel, extra: Partial<EvalJobRequest> = {}): EvalJobRequest => ({
        evalSetPath: "/w/eval_set.json", runFilePath: "/w/.belle/runs/run.jsonl", candidate: {kind: "engine", served: model},
        judge: {kind: "engine", served: model}, sampling: {temperature: 0, topP: 1, maxTokens: 48}, judgeMaxTokens: 384, concurrency: 4, ...extra
    });

    it("names the engine's model file and adapters (the answer cache's key), and after a restart differs only in the port", () => {
        const before = evalJobCommand(request(served(40001))).args;
        const after = evalJobCommand(request(served(40002))).args;
        assert.deepEqual(before.slice(before.indexOf("--model-file"), before.indexOf("--model-file") + 4), ["--model-file", "/models/belle-7b.gguf", "--lora", "/adapters/style.gguf:0.5"]);
        assert.deepEqual(after.map((arg) => arg.replace("40002", "40001")), before);
        // The local judge is named without its port, so a resumed run's header still matches after a restart
        assert.equal(before[before.indexOf("--judge-name") + 1], "belle-7b (local engine)");
    });

    it("keeps the engine's token and API keys out of the arguments (they are logged), in the environment", () => {
        const remote = {baseUrl: "https://api.example.com/v1", model: "gpt-4", apiKey: "sk-judge"};
        const {args, env} = evalJobCommand(request(served(40001), {judge: {kind: "endpoint", endpoint: remote}}));
        assert.ok(!args.some((arg) => arg.includes("token-40001") || arg.includes("sk-judge")), args.join(" "));
        assert.deepEqual(env, {BELLE_EVAL_API_KEY: "token-40001", BELLE_JUDGE_API_KEY: "sk-judge"});
        assert.deepEqual(args.slice(args.indexOf("--judge-url"), args.indexOf("--judge-url") + 6),
            ["--judge-url", "https://api.example.com/v1", "--judge-model", "gpt-4", "--judge-mode", "belle"]);
    });

    it("asks for the reference judge or none without a judge endpoint, and passes the selection it was given", () => {
        const reference = evalJobCommand(request(served(1), {judge: {kind: "reference"}, classes: ["open qa", "math"], sampleSize: 10, sampleSeed: 3})).args;
        assert.ok(reference.includes("--judge-mode") && reference[reference.indexOf("--judge-mode") + 1] === "reference");
        assert.ok(!reference.includes("--judge-url"));
        assert.deepEqual(reference.slice(reference.indexOf("--class")), ["--class", "open qa", "--class", "math", "--sample", "10", "--seed", "3"]);
        assert.ok(evalJobCommand(request(served(1), {judge: {kind: "none"}})).args.includes("--no-judge"));
    });
});
