// npm run bench:engine:token-time — where a generated token's time goes inside our engine, in-process (no HTTP):
// llama.cpp's own compute time per decode (node-llama-cpp's performance tracking, llama_perf_context_print), the
// time node-llama-cpp's decode and sampling calls take as JS sees them (each is a libuv work item on the engine's
// one worker thread: the difference is the hand-off), detokenizing, and what is left for JS.
// Measures through node-llama-cpp internals (the addon context behind LlamaContext), so it is a bench, not a test.
// The last column is the same generation on the native token loop (--token-loop native: decode and sample in one
// worker thread), measured alike in a process of its own: its whole step, against node-llama-cpp's step in the first.
// Options: --models tiny,q4_0 --streams 1,4 --tokens 256 --threads 1 (a number: the split must not move mid-run)
import {execFileSync} from "node:child_process";
import os from "node:os";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {LlamaLogLevel, LlamaModel} from "node-llama-cpp";
import {ensureEmbeddedModel, ensureGeneratedModel} from "../models/generate/ensureGeneratedModel";
import {LlamaEngine} from "../server/engine/LlamaEngine";

const {values} = parseArgs({options: {
    models: {type: "string", default: "tiny,q4_0"},
    streams: {type: "string", default: "1,4"},
    tokens: {type: "string", default: "256"},
    threads: {type: "string", default: "1"},
    /** internal: measure one "model:streams" and print it as JSON (each measurement gets a fresh process, since
     * node-llama-cpp routes llama.cpp's log to the first Llama's logger only) */
    one: {type: "string"}
}});
const tokens = Number(values.tokens);
const threads = Number(values.threads);

type AddonContext = {decodeBatch(): Promise<void>, sampleToken(...args: unknown[]): Promise<unknown>};
type Timed = {ms: number, calls: number};

// performance tracking is a context option the engine does not set; every context this process creates gets it
const createContext = LlamaModel.prototype.createContext;
LlamaModel.prototype.createContext = function (this: LlamaModel, options) {
    return createContext.call(this, {...options, performanceTracking: true});
};

async function measure(modelPath: string, streams: number) {
    const llamaLines: string[] = [];
    const engine = await LlamaEngine.load({
        modelPath, threads, parallel: 4, contextSize: 4096, backend: "cpu", tokenLoop: "node-llama-cpp", log: (line) => llamaLines.push(line)
    });
    const internals = engine as unknown as {_context: {_ctx: AddonContext, printTimings(): Promise<void>}, _model: LlamaModel, _llama: {logLevel: LlamaLogLevel}};
    const decode: Timed = {ms: 0, calls: 0};
    const sample: Timed = {ms: 0, calls: 0};
    const detokenize: Timed = {ms: 0, calls: 0};
    // wall time while at least one call is in flight: the sampling calls of one step overlap in the worker's queue
    const timed = <T>(stats: Timed & {active?: number, since?: number}, run: () => Promise<T>) => async () => {
        if ((stats.active = (stats.active ?? 0) + 1) === 1) stats.since = performance.now();
        try {
            return await run();
        } finally {
            stats.calls++;
            if (--stats.active === 0) stats.ms += performance.now() - stats.since!;
        }
    };
    const addon = internals._context._ctx;
    internals._context._ctx = new Proxy(addon, {get(target, key) {
        if (key === "decodeBatch") return timed(decode, () => target.decodeBatch());
        if (key === "sampleToken") return (...args: unknown[]) => timed(sample, () => target.sampleToken(...args))();
        const value = target[key as keyof AddonContext];
        return typeof value === "function" ? value.bind(target) : value;
    }});
    const model = internals._model;
    const detokenizeOriginal = model.detokenize.bind(model);
    (model as {detokenize: LlamaModel["detokenize"]}).detokenize = (...args: Parameters<LlamaModel["detokenize"]>) => {
        const start = performance.now();
        const text = detokenizeOriginal(...args);
        detokenize.ms += performance.now() - start;
        detokenize.calls++;
        return text;
    };

    const sampling = {temperature: 0, topP: 1, topK: 1, maxTokens: tokens, stop: [], seed: null, frequencyPenalty: 0, presencePenalty: 0, logitBias: new Map<number, number>()};
    await engine.generate({kind: "completion", prompt: "预热", sampling: {...sampling, maxTokens: 8}});
    internals._llama.logLevel = LlamaLogLevel.info;
    await internals._context.printTimings(); // resets llama.cpp's counters
    await new Promise((resolve) => setTimeout(resolve, 100));
    llamaLines.length = 0;
    for (const stats of [decode, sample, detokenize]) Object.assign(stats, {ms: 0, calls: 0});
    const results = await Promise.all(Array.from({length: streams}, (_, index) => engine.generate({
        kind: "completion", prompt: `${index} ${Math.random()} 请写一篇关于春天的文章。`, sampling
    })));
    await internals._context.printTimings();
    await new Promise((resolve) => setTimeout(resolve, 100)); // llama.cpp's log lines reach JS a little later
    await engine.dispose();

    // llama_perf_context_print counts a decode of one token as "eval" and of several (a prompt, or one token of each
    // of several streams) as "prompt eval"; together, over the decode calls, they are llama.cpp's time per decode
    // (the prompts of the streams add one or two short decodes to the hundreds measured)
    const llamaMs = (label: RegExp) => Number(llamaLines.map((line) => label.exec(line)?.[1]).findLast((value) => value != null) ?? 0);
    const computeMs = (llamaMs(/prompt eval time\s*=\s*([\d.]+) ms/) + llamaMs(/\] llama_perf_context_print:\s+eval time\s*=\s*([\d.]+) ms/)) / decode.calls;
    const generationMs = Math.max(...results.map((result) => result.generationMs));
    const steps = Math.max(...results.map((result) => result.completionTokens)) - 1;
    const stepMs = generationMs / steps;
    const decodeCallMs = decode.ms / decode.calls;
    const sampleStepMs = sample.ms / steps;
    const detokenizeStepMs = detokenize.ms / steps;
    return {stepMs, computeMs, decodeHandOffMs: decodeCallMs - computeMs, sampleStepMs, detokenizeStepMs,
        restMs: stepMs - decodeCallMs - sampleStepMs - detokenizeStepMs, tokensPerSecond: (steps * streams * 1000) / generationMs};
}

/** The same generation on the native token loop: its whole step (decode, sampling and the hand-over to JS). */
async function measureNative(modelPath: string, streams: number) {
    const engine = await LlamaEngine.load({modelPath, threads, parallel: 4, contextSize: 4096, backend: "cpu", tokenLoop: "native"});
    const sampling = {temperature: 0, topP: 1, topK: 1, maxTokens: tokens, stop: [], seed: null, frequencyPenalty: 0, presencePenalty: 0, logitBias: new Map<number, number>()};
    await engine.generate({kind: "completion", prompt: "预热", sampling: {...sampling, maxTokens: 8}});
    const results = await Promise.all(Array.from({length: streams}, (_, index) => engine.generate({
        kind: "completion", prompt: `${index} ${Math.random()} 请写一篇关于春天的文章。`, sampling
    })));
    await engine.dispose();
    const generationMs = Math.max(...results.map((result) => result.generationMs));
    const steps = Math.max(...results.map((result) => result.completionTokens)) - 1;
    return {stepMs: generationMs / steps, tokensPerSecond: (steps * streams * 1000) / generationMs};
}

const paths: Record<string, () => Promise<string>> = {
    tiny: ensureEmbeddedModel,
    q4_0: () => ensureGeneratedModel({shape: "0.5b", type: "Q4_0"}),
    q8_0: () => ensureGeneratedModel({shape: "0.5b", type: "Q8_0"})
};
if (values.one != null) {
    const [name, streams, loop] = values.one.split(":");
    const modelPath = await paths[name!]!();
    console.log(JSON.stringify(loop === "native" ? await measureNative(modelPath, Number(streams)) : await measure(modelPath, Number(streams))));
} else {
    console.log(`\nWhere a token's time goes in the engine (in-process, no HTTP), ${threads} thread(s), ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}, ms per decode step\n`);
    console.log("| model | streams | step | llama_decode compute | decode hand-off | sampling (calls) | detokenize | JS and the rest | tok/s | native loop: step | tok/s |");
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const name of values.models.split(",")) {
        for (const streams of values.streams.split(",").map(Number)) {
            const run = (loop: string) => JSON.parse(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--one", `${name}:${streams}:${loop}`,
                "--tokens", values.tokens, "--threads", values.threads], {encoding: "utf8", stdio: ["ignore", "pipe", "ignore"]}).trim().split("\n").at(-1)!) as unknown;
            const m = run("node-llama-cpp") as Awaited<ReturnType<typeof measure>>;
            const native = run("native") as Awaited<ReturnType<typeof measureNative>>;
            const ms = (value: number) => value.toFixed(3);
            console.log(`| ${name} | ${streams} | ${ms(m.stepMs)} | ${ms(m.computeMs)} | ${ms(m.decodeHandOffMs)} | ${ms(m.sampleStepMs)} | ${ms(m.detokenizeStepMs)} | ${ms(m.restMs)} | ${m.tokensPerSecond.toFixed(0)} | ${ms(native.stepMs)} | ${native.tokensPerSecond.toFixed(0)} |`);
        }
    }
}
