// npm run bench:eval — eval throughput: items/min of a full eval job (answer + local JSON judge per item) with
// 4 parallel sequences vs 1, on the generated 0.5B-shape benchmark model, in one run. Target: ≥ 2.5× at 4.
// Options: --type Q4_0|Q8_0|F16 (default: Q4_0 and Q8_0), --items N (default 24), --parallel N (default 4).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {ensureGeneratedModel} from "../models/generate/ensureGeneratedModel";
import {resolveThreadCount} from "../server/engine/resolveThreadCount";
import {runEvalJob} from "../server/eval/runEvalJob";
import {startEngineProcess} from "../test/support/startEngineProcess";

const {values} = parseArgs({options: {type: {type: "string", multiple: true}, items: {type: "string", default: "24"}, parallel: {type: "string", default: "4"}}});
const types = (values.type?.length ? values.type : ["Q4_0", "Q8_0"]) as Array<"Q4_0" | "Q8_0" | "F16">;
const itemCount = Number(values.items);
const parallel = Number(values.parallel);

const topics = ["春天的诗", "二分查找", "长城的历史", "健康早餐", "时间管理", "光合作用", "北京旅游", "学习英语", "猫和狗", "环保建议", "人工智能", "中秋节"];
const classes = ["generation", "code", "open qa", "brainstorming", "rewrite", "classification"];
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "belle-bench-eval-"));
const evalSetPath = path.join(workDir, "eval_set.json");
fs.writeFileSync(evalSetPath, Array.from({length: itemCount}, (_, index) => JSON.stringify({
    question: `请简要回答（第${index + 1}题）：关于${topics[index % topics.length]}，你怎么看？`,
    std_answer: index % 3 === 0 ? "" : `关于${topics[index % topics.length]}的参考答案。`,
    class: classes[index % classes.length]
})).join("\n") + "\n");

async function itemsPerMinute(modelPath: string, sequences: number): Promise<number> {
    const engine = await startEngineProcess(["--model", modelPath, "--parallel", String(sequences), "--ctx-size", "1024", "--threads", "auto"]);
    try {
        const endpoint = {baseUrl: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, model: "bench"};
        const runFilePath = path.join(workDir, `run-${path.basename(modelPath)}-${sequences}.jsonl`);
        fs.rmSync(runFilePath, {force: true});
        const started = performance.now();
        const result = await runEvalJob({
            evalSetPath, runFilePath, candidate: endpoint, judge: endpoint, judgeMode: "json", judgeMaxTokens: 48,
            sampling: {temperature: 0, topP: 1, maxTokens: 64}, concurrency: sequences
        });
        const minutes = (performance.now() - started) / 60_000;
        if (result.records.length !== itemCount) throw new Error(`expected ${itemCount} records, got ${result.records.length}`);
        return itemCount / minutes;
    } finally {
        await engine.stop();
    }
}

const rows: string[] = [];
for (const type of types) {
    console.error(`[bench] generating the 0.5B-shape ${type} model (cached)…`);
    const modelPath = await ensureGeneratedModel({shape: "0.5b", type});
    console.error(`[bench] ${type}: ${itemCount} items, 1 sequence…`);
    const sequential = await itemsPerMinute(modelPath, 1);
    console.error(`[bench] ${type}: ${itemCount} items, ${parallel} parallel sequences…`);
    const concurrent = await itemsPerMinute(modelPath, parallel);
    rows.push(`| ${type} | ${sequential.toFixed(1)} | ${concurrent.toFixed(1)} | ${(concurrent / sequential).toFixed(2)}× |`);
}
fs.rmSync(workDir, {recursive: true, force: true});

console.log(`\nEval throughput — ${itemCount} items (answer ≤ 64 tokens + JSON judge ≤ 48 tokens each, temperature 0), generated 0.5B-shape llama model, ${resolveThreadCount("auto")} threads, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"})\n`);
console.log(`| model | items/min, 1 sequence | items/min, ${parallel} parallel | ratio (target ≥ 2.5×) |`);
console.log("|---|---:|---:|---:|");
for (const row of rows) console.log(row);
