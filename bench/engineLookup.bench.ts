// npm run bench:engine:lookup — prompt-lookup speculative decoding (`belle serve --speculative lookup`) on a model that
// copies its prompt. By default the generated successor model (tiny shape, generateLlamaModel's `successor`): its next
// token depends on the current one alone, so a raw prompt "原文：<chain>\n复述：<z>", where <chain> is what the model
// writes after <z> (asked first, from the plain server), gets <chain> again: 120 copied tokens, then 40 that are not in
// the prompt. `--copy-model trained` takes the tiny model fine-tuned by the built-in trainer on copy-style examples
// instead (ensureCopyModel, ~8 min the first time; it did not learn to copy). Four servers on the same GGUF, the same
// thread count, one sequence each, greedy (temperature 0, top_k 1), streamed over HTTP:
//   lookup        ours with --speculative lookup
//   plain         ours without (the reference: plain greedy decoding)
//   llama-server  llama.cpp's own server, no speculative decoding
//   llama-ngram   llama-server with its own n-gram self-speculation (--spec-type ngram-simple), the like-for-like peer
// Each round sends every prompt to every server, in an order that rotates and reverses from round to round. Per
// server and prompt set: decode tok/s (tokens after the first over the time after the first, summed over the set),
// drafts accepted ÷ drafted, and how many answers are not the plain engine's text. Ratios are per round, printed as
// min / median / max; above 1 means the first-named server is faster.
//
// Options (flag, or environment variable):
//   --rounds 5          BELLE_BENCH_ROUNDS   rounds (≥ 5 for a claim)
//   --threads 1         BELLE_BENCH_THREADS  threads for every server
//   --prompts 8         BELLE_BENCH_PROMPTS  copy-style prompts per round (held out: another seed than training)
//   --lookup-draft 3    BELLE_BENCH_DRAFT    ours --lookup-draft; llama-ngram drafts as many (--spec-ngram-simple-size-m)
//   --ngram 2           BELLE_BENCH_NGRAM    llama-ngram's lookup n-gram (--spec-ngram-simple-size-n; its default 12
//                                            finds nothing in answers this short)
//   --copy-model successor|trained  BELLE_BENCH_COPY_MODEL  which copying model (above)
//   --shape tiny|0.5b   BELLE_BENCH_SHAPE    the successor model's shape (0.5b: Qwen2-0.5B's, Q4_0)
//   --model <file.gguf> BELLE_BENCH_MODEL    another model than the copy model (with the trained model's prompts)
//   --json <file>       BELLE_BENCH_JSON     also write every answer's figures there
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {copyTrainingRecords, ensureCopyModel} from "../models/generate/ensureCopyModel";
import {ensureGeneratedModel} from "../models/generate/ensureGeneratedModel";
import {defaultLookupDraftTokens} from "../server/engine/LlamaEngine";
import {repoRoot} from "../test/support/startEngineProcess";
import {startBelle, startLlamaServer, type BenchServer} from "./engine/benchServer";
import {timedCompletion, type ChatMessage, type CompletionTiming} from "./engine/timedCompletion";

const {values} = parseArgs({options: {
    rounds: {type: "string", default: process.env.BELLE_BENCH_ROUNDS ?? "5"},
    threads: {type: "string", default: process.env.BELLE_BENCH_THREADS ?? "1"},
    prompts: {type: "string", default: process.env.BELLE_BENCH_PROMPTS ?? "8"},
    "lookup-draft": {type: "string", default: process.env.BELLE_BENCH_DRAFT ?? String(defaultLookupDraftTokens)},
    ngram: {type: "string", default: process.env.BELLE_BENCH_NGRAM ?? "2"},
    model: {type: "string", default: process.env.BELLE_BENCH_MODEL},
    "copy-model": {type: "string", default: process.env.BELLE_BENCH_COPY_MODEL ?? "successor"},
    shape: {type: "string", default: process.env.BELLE_BENCH_SHAPE ?? "tiny"},
    json: {type: "string", default: process.env.BELLE_BENCH_JSON}
}});
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const draftTokens = Number(values["lookup-draft"]);
const maxTokens = 160;
/** The successor model's copy prompts hold this many tokens of the answer. */
const copiedTokens = 120;

const serverNames = ["lookup", "plain", "llama-server", "llama-ngram"] as const;
type ServerName = typeof serverNames[number];

console.error(`[bench] load average before: ${os.loadavg().map((load) => load.toFixed(2)).join(", ")}`);
console.error("[bench] building llama.cpp's llama-server from node-llama-cpp's bundled source (cached)…");
const peerBin = execFileSync("bash", [path.join(repoRoot, "scripts/build-llama-peers.sh")], {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"]}).trim().split("\n").at(-1)!;
const successor = values.model == null && values["copy-model"] === "successor";
if (!successor && values["copy-model"] !== "trained") throw new Error(`--copy-model is successor or trained, not ${values["copy-model"]}`);
console.error(`[bench] the copy model (${successor ? "generated" : "trained once on 1 thread, then cached"})…`);
const modelPath = values.model ?? (successor
    ? await ensureGeneratedModel(values.shape === "0.5b"
        ? {shape: "0.5b", type: "Q4_0", successor: true, name: "BELLE successor model 0.5B (copies; generated)"}
        : {shape: "tiny", type: "F16", successor: true, name: "BELLE successor model (copies; generated)"})
    : await ensureCopyModel({
        trainWorkerCommand: [process.execPath, "--import", "tsx", path.join(repoRoot, "server/train/trainer/trainWorker.ts")],
        onProgress: (line) => console.error(`[bench] training: ${line}`)
    }));

// Copy-style prompts the model was not trained on, and one that copies nothing; the successor model's are made once
// the servers run (they hold what the model writes)
const toMessages = (content: string): ChatMessage[] => [{role: "user", content}];
const copyRecords = copyTrainingRecords(20_261_207, Number(values.prompts));
const copyPrompts: (string | ChatMessage[])[] = copyRecords.map((record) => toMessages(record.instruction + record.input));
/** The answer each copy prompt asks for: the chain of the successor model, or the training record's output. */
const expectedCopies: string[] = copyRecords.map((record) => record.output);
const promptSets: {name: string, prompts: (string | ChatMessage[])[]}[] = [
    {name: "copy", prompts: copyPrompts},
    {name: "open chat", prompts: ["你好，请介绍一下你自己。", "写一首关于春天的诗。", "为什么天空是蓝色的？"].map(toMessages)}
];

const setup = {modelPath, contextTokens: 2048, parallel: 1, threads};
const servers: Record<ServerName, BenchServer> = {
    lookup: await startBelle({...setup, extraArgs: ["--speculative", "lookup", "--lookup-draft", String(draftTokens)]}),
    plain: await startBelle({...setup, extraArgs: ["--speculative", "off"]}),
    "llama-server": await startLlamaServer(peerBin, setup),
    "llama-ngram": await startLlamaServer(peerBin, {...setup, extraArgs: [
        "--spec-type", "ngram-simple", "--spec-ngram-simple-size-n", values.ngram, "--spec-ngram-simple-size-m", String(draftTokens),
        "--spec-draft-n-max", String(draftTokens)
    ]})
};

type Answer = CompletionTiming & {round: number, set: string, prompt: number, server: ServerName};
const answers: Answer[] = [];
try {
    if (successor) {
        const starts = "春夏秋冬山水天地日月风雨花鸟人心书画";
        for (let index = 0; index < copyPrompts.length; index++) {
            const start = starts[index % starts.length]!;
            const chain = (await timedCompletion(servers.plain, start, copiedTokens)).text;
            copyPrompts[index] = `原文：${chain}\n复述：${start}`;
            expectedCopies[index] = chain;
        }
    }
    for (const server of serverNames) await timedCompletion(servers[server], copyPrompts[0]!, 8); // warm-up
    for (let round = 0; round < rounds; round++) {
        for (const set of promptSets) {
            for (const [index, prompt] of set.prompts.entries()) {
                const rotated = serverNames.map((_, offset) => serverNames[(offset + round + index) % serverNames.length]!);
                for (const server of round % 2 === 0 ? rotated : rotated.reverse())
                    answers.push({...await timedCompletion(servers[server], prompt, maxTokens), round, set: set.name, prompt: index, server});
            }
        }
        console.error(`[bench] round ${round + 1}/${rounds} done`);
    }
} finally {
    await Promise.all(serverNames.map((server) => servers[server].stop()));
}
console.error(`[bench] load average after: ${os.loadavg().map((load) => load.toFixed(2)).join(", ")}`);

// The answer's tokens: llama-server counts the end-of-generation token that ended it, we do not
const answerTokens = (answer: Answer) => answer.completionTokens - (answer.server.startsWith("llama") && answer.finishReason === "stop" ? 1 : 0);
// Per round and set: decode tok/s over the set (tokens after each answer's first over the time after its first)
const decodeRate = (list: Answer[]) => {
    const tokens = list.reduce((sum, answer) => sum + Math.max(0, answerTokens(answer) - 1), 0);
    const ms = list.reduce((sum, answer) => sum + (answer.lastTextMs - answer.firstTextMs), 0);
    return ms > 0 ? tokens / ms * 1000 : NaN;
};
const of = (set: string, server: ServerName, round?: number) => answers.filter((answer) => answer.set === set && answer.server === server && (round == null || answer.round === round));
const reference = (answer: Answer) => answers.find((other) => other.server === "plain" && other.set === answer.set && other.prompt === answer.prompt && other.round === answer.round)!;

console.log(`model ${path.basename(modelPath)}, ${threads} thread(s), 1 sequence, greedy, ${rounds} rounds, ours --lookup-draft ${draftTokens}, ` +
    `llama-ngram --spec-ngram-simple-size-n ${values.ngram} -m ${draftTokens}`);
console.log("\n| prompts | server | decode tok/s (median of rounds) | tokens per answer | accepted / drafted | answers ≠ plain greedy |");
console.log("|---|---|---:|---:|---:|---:|");
for (const set of promptSets) {
    for (const server of serverNames) {
        const list = of(set.name, server);
        const rates = Array.from({length: rounds}, (_, round) => decodeRate(of(set.name, server, round)));
        const drafted = list.reduce((sum, answer) => sum + (answer.drafted ?? 0), 0);
        const accepted = list.reduce((sum, answer) => sum + (answer.accepted ?? 0), 0);
        const differing = list.filter((answer) => answer.text !== reference(answer).text).length;
        console.log(`| ${set.name} | ${server} | ${median(rates).toFixed(0)} | ${(list.reduce((sum, answer) => sum + answerTokens(answer), 0) / list.length).toFixed(1)} | ` +
            `${drafted === 0 ? "—" : `${accepted} / ${drafted} (${(accepted / drafted * 100).toFixed(0)} %)`} | ${differing} of ${list.length} |`);
    }
}

console.log("\n| prompts | ratio (decode tok/s, per round) | min / **median** / max |");
console.log("|---|---|---:|");
const pairs: [ServerName, ServerName][] = [["lookup", "plain"], ["lookup", "llama-server"], ["lookup", "llama-ngram"], ["llama-ngram", "llama-server"]];
for (const set of promptSets) {
    for (const [first, second] of pairs) {
        const ratios = Array.from({length: rounds}, (_, round) => decodeRate(of(set.name, first, round)) / decodeRate(of(set.name, second, round)));
        const sorted = [...ratios].sort((a, b) => a - b);
        console.log(`| ${set.name} | ${first} ÷ ${second} | ${sorted[0]!.toFixed(2)} / **${median(ratios).toFixed(2)}×** / ${sorted.at(-1)!.toFixed(2)} |`);
    }
}

// Does the model copy? Its plain greedy answers against the records' own answers, and the share of their characters
// that lie in spans of 4 or more characters found in the prompt
const plainCopies = of("copy", "plain", 0);
const promptText = (prompt: string | ChatMessage[]) => typeof prompt === "string" ? prompt : prompt[0]!.content;
const exact = plainCopies.filter((answer) => successor ? answer.text.startsWith(expectedCopies[answer.prompt]!) : answer.text.trim() === expectedCopies[answer.prompt]).length;
const copiedShare = plainCopies.reduce((sum, answer) => sum + copiedCharacters(answer.text, promptText(copyPrompts[answer.prompt]!)), 0)
    / Math.max(1, plainCopies.reduce((sum, answer) => sum + [...answer.text].length, 0));
console.log(`\nthe copy model, plain greedy: ${exact} of ${plainCopies.length} answers are the expected copy; ${(copiedShare * 100).toFixed(0)} % of answer characters lie in spans (≥ 4) of the prompt`);
for (const answer of plainCopies.slice(0, 4))
    console.log(`  ${JSON.stringify(promptText(copyPrompts[answer.prompt]!))} → ${JSON.stringify(answer.text)}`);
if (values.json != null) fs.writeFileSync(values.json, JSON.stringify(answers, null, 1));

/** Characters of `text` inside a run of 4 or more that also occurs in `source`. */
function copiedCharacters(text: string, source: string): number {
    const characters = [...text];
    const covered = new Array<boolean>(characters.length).fill(false);
    for (let start = 0; start + 4 <= characters.length; start++)
        if (source.includes(characters.slice(start, start + 4).join("")))
            for (let index = start; index < start + 4; index++) covered[index] = true;
    return covered.filter(Boolean).length;
}

function median(list: number[]) {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}
