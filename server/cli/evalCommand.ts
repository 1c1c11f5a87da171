import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {parseArgs} from "node:util";
import {getBelleCacheDir} from "../../models/generate/ensureGeneratedModel";
import {EngineHttpServer} from "../http/EngineHttpServer";
import {LlamaEngine} from "../engine/LlamaEngine";
import {mergeEvalRunFiles, readEvalRunFile} from "../eval/EvalRunFile";
import {addJudgeHumanAgreement} from "../eval/report/addJudgeHumanAgreement";
import {compareEvalRuns} from "../eval/report/compareEvalRuns";
import {computeEvalReport} from "../eval/report/computeEvalReport";
import {exportEvalReportJson, exportEvalReportMarkdown, exportEvalRunCsv} from "../eval/report/exportEvalReport";
import type {EvalJobLine} from "../eval/EvalJobLine";
import {hashServedModel} from "../eval/hashModelFile";
import {mergeJudgePromptsFromText, shippedJudgePrompts} from "../eval/JudgePromptSet";
import {readEvalSetFile} from "../eval/readEvalSet";
import {formatEvalSetDiagnostic} from "../eval/EvalSetDiagnostic";
import {runEvalJob} from "../eval/runEvalJob";
import type {ChatEndpoint} from "../eval/requestChatCompletion";
import {CliUsageError} from "./CliUsageError";
import {parseLoraArgument} from "./parseLoraArgument";
import {resolveModelArgument} from "./resolveModelArgument";

export const evalUsage = `belle eval --eval-set <file> --out <run.jsonl> (--model <file.gguf | embedded> [--lora <adapter.gguf>[:scale] ...]
           | --url <base url> --model-name <id> [--model-file <file.gguf | embedded> [--lora <adapter.gguf>[:scale] ...]])
           [--judge-url <base url> --judge-model <id> [--judge-name <label>]] [--judge-mode belle|json|reference] [--no-judge]
           [--class <name> ...] [--sample <n>] [--seed <n>] [--shard <i>/<n>] [--concurrency 4]
           [--temperature 0] [--top-p 1] [--max-tokens 512] [--judge-max-tokens 512] [--judge-prompts <file.json>]
           [--threads auto] [--ctx-size 4096] [--sampling-seed <n>] [--json-lines]
    API keys: BELLE_EVAL_API_KEY (candidate endpoint), BELLE_JUDGE_API_KEY (judge endpoint), never on the command line.
    With --model, the model runs in this process and is also the judge unless --judge-url is given; --lora applies
    LoRA adapters on it (as belle serve --lora), and the answer cache tells the adapted model from the base.
    --model-file with --url: the endpoint serves this GGUF (with these --lora adapters), e.g. a running belle serve;
    the answer cache is keyed on the files' sha256, not on the URL, so it survives a restart on another port.
    --judge-name: how the run file names the judge (default <judge model>@<judge url>), for a URL that changes.
    --json-lines: progress as JSON lines on stdout ({"type": "progress" | "finished", ...}); Ctrl+C or SIGTERM stops
    the job after the items under way, and running it again resumes.
    --judge-mode reference: no judge model; the score is the answer's character-level F1 against std_answer (offline).
    --judge-prompts: BELLE's eval/eval_prompt.json as it is (one {"class", "prompt"} object per line: those classes
    get those prompts), or an override in our format, one JSON object {"messageTemplate"?: {"withReference",
    "withoutReference"}, "general"?: {"prompt", "reference"?}, "classes"?: {"<class>": {"prompt", "reference"?} | null}}
    (reference: always | never | whenPresent; placeholders {prompt} {question} {std_answer} {answer}). Either is laid
    over the shipped prompts (BELLE's own), so classes it leaves out keep theirs.
    --seed picks the --sample; --sampling-seed seeds each answer (0 to 4294967294), so a run at --temperature above 0
    gives the same answers again: exactly with --concurrency 1, since requests answered at the same time share
    llama.cpp's batches, which changes the last bits of the logits and can change a sampled token.
    Resumes when --out already holds part of the same run.
belle eval merge --out <run.jsonl> <shard.jsonl> ...
belle eval report <run.jsonl> [<other run.jsonl> ...] [--format md|csv|json] [--out <file>]
    One run: per-class means with bootstrap 95% intervals. Several: deltas against the first, win/tie/loss and a
    paired Wilcoxon test. csv: one row per item of the first run.`;

/** `belle eval`: the eval job headless (a server, a Slurm array task), and `belle eval merge` for its shards. */
export async function evalCommand(argv: string[]): Promise<void> {
    if (argv[0] === "merge") return mergeCommand(argv.slice(1));
    if (argv[0] === "report") return reportCommand(argv.slice(1));
    const {values} = parseArgs({
        args: argv,
        options: {
            "eval-set": {type: "string"},
            out: {type: "string"},
            model: {type: "string"},
            lora: {type: "string", multiple: true, default: []},
            url: {type: "string"},
            "model-name": {type: "string"},
            "model-file": {type: "string"},
            "judge-url": {type: "string"},
            "judge-model": {type: "string"},
            "judge-name": {type: "string"},
            "judge-mode": {type: "string"},
            "no-judge": {type: "boolean", default: false},
            class: {type: "string", multiple: true, default: []},
            sample: {type: "string"},
            seed: {type: "string", default: "0"},
            "sampling-seed": {type: "string"},
            shard: {type: "string"},
            concurrency: {type: "string", default: "4"},
            temperature: {type: "string", default: "0"},
            "top-p": {type: "string", default: "1"},
            "max-tokens": {type: "string", default: "512"},
            "judge-max-tokens": {type: "string", default: "512"},
            "judge-prompts": {type: "string"},
            threads: {type: "string", default: "auto"},
            "ctx-size": {type: "string", default: "4096"},
            "json-lines": {type: "boolean", default: false}
        },
        strict: true
    });
    const evalSetPath = required(values["eval-set"], "--eval-set");
    const runFilePath = required(values.out, "--out");
    if ((values.model == null) === (values.url == null))
        throw new CliUsageError("Give either --model (a .gguf file, or \"embedded\") or --url of an OpenAI-compatible endpoint.");
    if (values["model-file"] != null && values.url == null)
        throw new CliUsageError("--model-file names the model an endpoint (--url) serves; to load a model here, use --model.");
    if (values.lora.length > 0 && values.model == null && values["model-file"] == null)
        throw new CliUsageError("--lora applies to the model this command loads (--model) or that the endpoint serves (--model-file); an endpoint given with --url alone carries its own adapters.");
    const loraAdapters = values.lora.map(parseLoraArgument);
    const shard = values.shard == null ? undefined : parseShard(values.shard);
    const concurrency = integer(values.concurrency, "--concurrency", 1);
    const samplingSeed = values["sampling-seed"] == null ? undefined : integer(values["sampling-seed"], "--sampling-seed", 0);
    if (samplingSeed != null && samplingSeed > 0xffff_fffe)
        throw new CliUsageError(`--sampling-seed must be from 0 to 4294967294 (got "${values["sampling-seed"]}").`);
    const judgeModeOption = values["judge-mode"];
    if (judgeModeOption != null && judgeModeOption !== "belle" && judgeModeOption !== "json" && judgeModeOption !== "reference")
        throw new CliUsageError("--judge-mode is belle, json or reference.");
    if (judgeModeOption === "reference" && (values["no-judge"] || values["judge-url"] != null))
        throw new CliUsageError("--judge-mode reference needs no judge model: leave out --judge-url and --no-judge.");
    const log = (line: string) => process.stderr.write(`${line}\n`);
    if (samplingSeed != null && concurrency > 1 && Number(values.temperature) > 0)
        log(`[eval] note: with --concurrency ${concurrency}, seeded answers can differ from run to run in the last tokens; --concurrency 1 makes them exact`);
    const jsonLines = values["json-lines"];
    const printLine = (line: EvalJobLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

    const evalSet = await readEvalSetFile(evalSetPath);
    for (const diagnostic of evalSet.diagnostics) log(formatEvalSetDiagnostic(diagnostic));
    if (evalSet.items.length === 0) throw new CliUsageError(`${evalSetPath} has no valid item.`);

    let judgePrompts = shippedJudgePrompts;
    if (values["judge-prompts"] != null)
        judgePrompts = mergeJudgePromptsFromText(shippedJudgePrompts, fs.readFileSync(values["judge-prompts"], "utf8"), values["judge-prompts"]);

    let local: {engine: LlamaEngine, server: EngineHttpServer, endpoint: ChatEndpoint} | undefined;
    let candidate: ChatEndpoint;
    let modelHash: string | null = null;
    if (values.model != null) {
        const modelPath = await resolveModelArgument(values.model);
        log(`[eval] hashing ${modelPath} for the answer cache…`);
        // With adapters, answers are the adapted model's: the cache key covers each adapter's content and scale
        modelHash = await hashServedModel(modelPath, loraAdapters);
        const engine = await LlamaEngine.load({
            modelPath, parallel: concurrency, contextSize: integer(values["ctx-size"], "--ctx-size", 256),
            threads: values.threads === "auto" ? "auto" : integer(values.threads, "--threads", 1), loraAdapters, log
        });
        const token = crypto.randomBytes(24).toString("base64url");
        const server = await EngineHttpServer.listen(engine, {host: "127.0.0.1", port: 0, token, allowedOrigins: [], log: () => undefined});
        const loraLabel = loraAdapters.map(({filePath, scale}) => ` + LoRA ${path.basename(filePath)}${scale === 1 ? "" : ` ×${scale}`}`).join("");
        local = {engine, server, endpoint: {
            baseUrl: `http://127.0.0.1:${server.port}/v1`, apiKey: token, model: engine.modelId,
            label: `${engine.modelId}${loraLabel} (sha256 ${modelHash.slice(0, 12)}, in process)`
        }};
        candidate = local.endpoint;
    } else {
        candidate = {baseUrl: values.url!, apiKey: process.env.BELLE_EVAL_API_KEY, model: required(values["model-name"], "--model-name")};
        if (values["model-file"] != null) {
            const modelPath = await resolveModelArgument(values["model-file"]);
            log(`[eval] hashing ${modelPath} for the answer cache…`);
            modelHash = await hashServedModel(modelPath, loraAdapters);
        }
    }

    let judge: ChatEndpoint | null = null;
    if (!values["no-judge"] && judgeModeOption !== "reference") {
        if (values["judge-url"] != null)
            judge = {
                baseUrl: values["judge-url"], apiKey: process.env.BELLE_JUDGE_API_KEY, model: required(values["judge-model"], "--judge-model"),
                ...(values["judge-name"] == null ? {} : {label: values["judge-name"]})
            };
        else if (local != null) judge = local.endpoint;
        else throw new CliUsageError("Give --judge-url and --judge-model (e.g. a GPT-4-class API), --judge-mode reference to score against the standard answers offline, or --no-judge for answers only.");
    }
    const judgeMode = judgeModeOption ?? (judge != null && judge === local?.endpoint ? "json" : "belle");

    // SIGTERM is how VS Code (and Slurm's scancel) stops the job: the same as Ctrl+C, the run file stays resumable
    const controller = new AbortController();
    const stop = () => {
        if (controller.signal.aborted) return;
        log("[eval] stopping: items under way are dropped and run again on resume");
        controller.abort();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    try {
        const result = await runEvalJob({
            evalSetPath, runFilePath, candidate, judge, judgeMode, judgePrompts, modelHash, shard, concurrency,
            sampling: {
                temperature: number(values.temperature, "--temperature"), topP: number(values["top-p"], "--top-p"),
                maxTokens: integer(values["max-tokens"], "--max-tokens", 1),
                ...(samplingSeed == null ? {} : {seed: samplingSeed})
            },
            judgeMaxTokens: integer(values["judge-max-tokens"], "--judge-max-tokens", 1),
            classes: values.class.length === 0 ? undefined : values.class,
            sampleSize: values.sample == null ? undefined : integer(values.sample, "--sample", 1),
            sampleSeed: integer(values.seed, "--seed", 0),
            cacheDir: path.join(getBelleCacheDir(), "eval-answers"),
            signal: controller.signal,
            onProgress: ({done, total, failed, meanScore, etaMs}) => {
                if (jsonLines) printLine({type: "progress", runFilePath, done, total, failed, meanScore, etaMs});
                log(`[eval] ${done}/${total} done, ${failed} without a score, mean ${meanScore == null ? "-" : meanScore.toFixed(3)}` +
                    (etaMs == null ? "" : `, about ${Math.ceil(etaMs / 1000)} s left`));
            }
        });
        const complete = result.records.length === result.total;
        if (jsonLines) printLine({
            type: "finished", runFilePath, done: result.records.length, total: result.total, resumed: result.resumed,
            cachedAnswers: result.cachedAnswers, generatedAnswers: result.generatedAnswers, complete
        });
        log(`[eval] ${complete ? "finished" : "stopped"}: ${result.records.length}/${result.total} items in ${runFilePath} ` +
            `(${result.resumed} resumed, ${result.cachedAnswers} answers from the cache)`);
        if (!complete) process.exitCode = 130;
    } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        if (local != null) {
            await local.server.close();
            await local.engine.dispose();
        }
    }
}

async function mergeCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({args: argv, allowPositionals: true, options: {out: {type: "string"}}, strict: true});
    const out = required(values.out, "--out");
    if (positionals.length === 0) throw new CliUsageError("merge needs the shard run files to join.");
    const {records, duplicates} = await mergeEvalRunFiles(out, positionals);
    process.stderr.write(`[eval] merged ${positionals.length} shards into ${out}: ${records} items${duplicates === 0 ? "" : `, ${duplicates} duplicates dropped`}\n`);
}

async function reportCommand(argv: string[]): Promise<void> {
    const {values, positionals} = parseArgs({
        args: argv, allowPositionals: true, strict: true,
        options: {format: {type: "string", default: "md"}, out: {type: "string"}}
    });
    if (positionals.length === 0) throw new CliUsageError("report needs one or more run files.");
    const runs = await Promise.all(positionals.map((runPath) => readEvalRunFile(runPath)));
    let text: string;
    if (values.format === "csv") text = exportEvalRunCsv(runs[0]!.records);
    else {
        const report = runs.length === 1 ? computeEvalReport(runs[0]!) : compareEvalRuns(runs);
        // Human annotations in the eval set each run names: the judge–human agreement section
        await addJudgeHumanAgreement(report, runs, positionals);
        if (values.format === "md") text = exportEvalReportMarkdown(report);
        else if (values.format === "json") text = exportEvalReportJson(report);
        else throw new CliUsageError(`--format ${values.format}: use md, csv or json.`);
    }
    if (values.out == null) process.stdout.write(text);
    else {
        const tempPath = `${values.out}.${process.pid}.tmp`;
        fs.writeFileSync(tempPath, text);
        fs.renameSync(tempPath, values.out);
    }
}

function required(value: string | undefined, flag: string): string {
    if (value == null || value === "") throw new CliUsageError(`${flag} is required.`);
    return value;
}

function parseShard(text: string): {index: number, count: number} {
    const match = /^(\d+)\/(\d+)$/.exec(text);
    const index = Number(match?.[1]);
    const count = Number(match?.[2]);
    if (match == null || count < 1 || index >= count)
        throw new CliUsageError(`--shard ${text}: expected <i>/<n> with 0 ≤ i < n, e.g. 0/4 (for a Slurm array: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT).`);
    return {index, count};
}

function integer(text: string, flag: string, min: number): number {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new CliUsageError(`${flag} must be an integer ≥ ${min} (got "${text}").`);
    return value;
}

function number(text: string, flag: string): number {
    const value = Number(text);
    if (!Number.isFinite(value)) throw new CliUsageError(`${flag} must be a number (got "${text}").`);
    return value;
}
