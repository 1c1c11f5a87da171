// npm run bench:annotate — inline eval-set annotation in a real VS Code host (code-server + headless Chromium, as
// `npm run test:host` runs it): how soon a 10,000-item eval set has its CodeLens and diagnostics after the parse
// (target ≤ 150 ms), against VS Code's own JSON language features on the same text in the same run, and how the
// extension host keeps up while someone types into the set. The timing runs inside the extension host
// (test/host/bench/annotate.bench-suite.ts); this script generates the sets, starts the host and prints the tables.
// Options: --items N (default 10000), --runs N (fresh opens per layout, and rounds of typing, default 3), --edits N (default 50),
// --typing-interval-ms N (default 350: longer than BELLE's 300 ms re-parse debounce, so every keystroke is
// re-parsed), --settle-ms N (how long the host is watched after an open or the last keystroke, default 2500),
// --cpu-profile (also profile the extension host over the first open of each layout and over the typing: written to
// test-results/annotate-*.cpuprofile for Chrome DevTools, the heaviest functions printed; the times are then slower).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {evalClasses} from "../server/eval/evalClasses";
import {
    annotateBenchInputFile, annotateBenchResultMarker,
    type AnnotateBenchInput, type AnnotateBenchResult, type Distribution
} from "../test/host/bench/annotateBenchContract";
import {bundleInHostSuite} from "../test/host/support/bundleInHostSuite";
import {createWorkspaceFolder} from "../test/host/support/createWorkspaceFolder";
import {installVscodeHost} from "../test/host/support/installVscodeHost";
import {launchChromium} from "../test/host/support/launchChromium";
import {runInHostSuite} from "../test/host/support/runInHostSuite";
import {startCodeServer} from "../test/host/support/startCodeServer";
import {repoRoot} from "../test/support/startEngineProcess";

const {values} = parseArgs({options: {
    items: {type: "string", default: "10000"},
    runs: {type: "string", default: "3"},
    edits: {type: "string", default: "50"},
    "typing-interval-ms": {type: "string", default: "350"},
    "settle-ms": {type: "string", default: "2500"},
    "cpu-profile": {type: "boolean", default: false}
}});
const itemCount = Number(values.items);
const runs = Number(values.runs);
const targetAfterParseMs = 150;

type Item = {question: string, std_answer: string, class: string};

// Questions are put together from four lists; no two items share subject, aspect and audience, so two questions
// differ in at least one whole phrase and are not near-duplicates unless made so on purpose below.
const subjects = [
    "长城", "光合作用", "二分查找", "量子计算", "中秋节", "丝绸之路", "区块链", "唐诗", "火山喷发", "人工智能", "黑洞", "茶文化",
    "京剧", "熊猫", "地铁系统", "太阳能电池", "疫苗", "汉字演变", "全球变暖", "冒泡排序", "股票市场", "孔子思想", "敦煌壁画",
    "电动汽车", "睡眠周期", "素数", "长江流域", "互联网协议", "免疫系统", "登月计划", "围棋", "宋词", "海洋污染", "城市绿化",
    "垃圾分类", "相对论", "神经网络", "端午节", "中医针灸", "外卖平台", "共享单车", "儿童阅读", "时间管理", "家庭理财",
    "健康饮食", "马拉松训练", "普通话推广", "高铁建设", "数据隐私", "开源软件", "古代科举", "四大发明", "陶瓷工艺", "气候变化",
    "沙漠治理", "大熊座", "微积分", "概率论", "红楼梦", "西游记", "三国演义", "水浒传", "青藏高原", "南海渔业", "稻米种植",
    "蜜蜂授粉", "候鸟迁徙", "抗生素", "基因编辑", "量子纠缠", "操作系统", "数据库索引", "编译原理", "远程办公", "在线教育",
    "短视频", "直播带货", "智能家居", "无人驾驶", "卫星导航"
];
const aspects = [
    "的起源", "的基本原理", "对日常生活的影响", "的发展历史", "的主要争议", "的优点和缺点", "在未来十年的前景", "背后的科学道理",
    "和西方同类事物的区别", "的常见误解", "的经济意义", "对环境的影响", "的代表人物", "的入门方法", "在中国的现状",
    "面临的主要挑战", "的典型案例", "的文化内涵", "的关键步骤", "适合写进教材的要点", "最值得一看的资料", "和古代的联系",
    "对青少年的意义", "的安全风险", "在农村地区的普及情况", "的评价标准", "涉及的伦理问题", "用到的数学知识", "的相关法律",
    "的国际合作", "最有趣的冷知识", "对就业的影响", "的成本构成", "在疫情期间的变化", "的技术难点", "如何向老人解释",
    "的常见问题", "给人的启发", "的未来趋势", "的研究方法"
];
const audiences = [
    "面向小学生", "假设你是一名大学教授", "在求职面试中", "用一段话", "站在企业管理者的角度", "给刚来中国的留学生",
    "作为一名记者", "以科普作家的口吻", "在家长会上", "用轻松幽默的语气", "结合最近的新闻", "不超过三句话",
    "给退休的老人", "站在环保主义者的立场", "以历史学家的眼光", "用比喻的方式", "给高三学生复习用", "在一次读书会上",
    "用对话的形式", "假设你正在写一篇论文", "对比两种不同观点", "从正反两方面", "举三个生活中的例子", "以问答的形式",
    "给产品经理", "向投资人介绍时", "写成一条朋友圈", "作为导游", "给医学生", "写给十年后的自己"
];
const formats = ["，请谈谈", "，请解释", "，介绍一下", "，分析", "，说说你对", "，总结", "，评价", "，讲讲"];
const unknownClasses = ["poetry", "chit-chat", "role play", "闲聊"];

/** A small deterministic generator (mulberry32): the same sets every run. */
function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let value = Math.imul(state ^ (state >>> 15), 1 | state);
        value ^= value + Math.imul(value ^ (value >>> 7), 61 | value);
        return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
    };
}

/**
 * `count` BELLE items: varied Chinese questions, a third with an empty standard answer, and a few on purpose per
 * 10,000 (unknown classes, exact duplicates, near-duplicates) so that every kind of diagnostic shows up.
 */
function generateItems(count: number): Item[] {
    const next = random(2023);
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
    const used = new Set<string>();
    const items: Item[] = [];
    const rare = Math.max(1, Math.round(count / 400));
    for (let index = 0; index < count; index++) {
        let subject: string, aspect: string, audience: string;
        do {
            subject = pick(subjects);
            aspect = pick(aspects);
            audience = pick(audiences);
        } while (used.has(`${subject}|${aspect}|${audience}`) && used.size < subjects.length * aspects.length * audiences.length);
        used.add(`${subject}|${aspect}|${audience}`);
        let question = `${audience}${pick(formats)}${subject}${aspect}。`;
        if (index > 100 && index % rare === 7) question = items[index - 50]!.question; // duplicate_question
        else if (index > 100 && index % rare === 11) question = items[index - 60]!.question.replace("，", "：").replace("。", "？"); // near-duplicate
        const className = index % rare === 3 ? pick(unknownClasses) : pick(evalClasses);
        items.push({question, std_answer: index % 3 === 0 ? "" : `${subject}${aspect}的参考答案：先说明背景，再列出要点，最后给出结论。`, class: className});
    }
    return items;
}

type CpuProfile = {
    nodes: Array<{id: number, callFrame: {functionName: string, url: string, lineNumber: number}}>,
    samples: number[],
    timeDeltas: number[]
};

/** The 15 functions with the most self time in a V8 CPU profile, as lines "ms  share  function (file:line)". */
function summarizeCpuProfile(profile: CpuProfile, count = 15): string {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    const selfUs = new Map<string, number>();
    let totalUs = 0;
    profile.samples.forEach((nodeId, index) => {
        const frame = nodes.get(nodeId);
        const deltaUs = profile.timeDeltas[index] ?? 0;
        totalUs += deltaUs;
        if (frame == null) return;
        const key = `${frame.functionName || "(anonymous)"} (${frame.url.split("/").slice(-2).join("/") || "native"}:${frame.lineNumber + 1})`;
        selfUs.set(key, (selfUs.get(key) ?? 0) + deltaUs);
    });
    return [...selfUs].sort((left, right) => right[1] - left[1]).slice(0, count)
        .map(([key, us]) => `  ${(us / 1000).toFixed(0).padStart(6)} ms ${(100 * us / totalUs).toFixed(1).padStart(5)}%  ${key}`).join("\n");
}

const jsonl = (items: readonly Item[]) => items.map((item) => JSON.stringify(item)).join("\n") + "\n";
/** Pretty-printed, as a hand-kept `eval_set.json` is: every item spans five lines (and is a folding range). */
const jsonArray = (items: readonly Item[]) => JSON.stringify(items, null, 4) + "\n";
/** The first `"question"` key renamed: not an eval set to BELLE (which looks at the first item), the same JSON otherwise. */
const notAnEvalSet = (text: string) => text.replace("\"question\"", "\"prompt\"");

const loadBefore = os.loadavg();
const items = generateItems(itemCount);
const workspace = await createWorkspaceFolder({});
const files: AnnotateBenchInput["files"] = {
    warmup: ["warmup_eval_set.jsonl", "warmup_eval_set.json", "peer_warmup.json"],
    jsonl: Array.from({length: runs}, (_, run) => `eval_set_${run + 1}.jsonl`),
    jsonArray: Array.from({length: runs}, (_, run) => `eval_set_${run + 1}.json`),
    peerJsonArray: Array.from({length: runs}, (_, run) => `peer_${run + 1}.json`),
    typing: "eval_set_typing.jsonl",
    typingBaseline: "typing_baseline.jsonl"
};
const cpuProfiles = values["cpu-profile"]
    ? {openJsonl: "annotate-open-jsonl.cpuprofile", openJsonArray: "annotate-open-json-array.cpuprofile", typing: "annotate-typing.cpuprofile"}
    : null;
const input: AnnotateBenchInput = {
    itemCount, typingEdits: Number(values.edits), typingIntervalMs: Number(values["typing-interval-ms"]), typingRounds: runs, settleMs: Number(values["settle-ms"]),
    cpuProfiles, files
};
const jsonlText = jsonl(items);
const jsonArrayText = jsonArray(items);
const warmupItems = items.slice(0, 500);
const write = (name: string, text: string) => fs.writeFile(path.join(workspace.path, name), text);
await write(annotateBenchInputFile, JSON.stringify(input, null, 4));
await write(files.warmup[0]!, jsonl(warmupItems));
await write(files.warmup[1]!, jsonArray(warmupItems));
await write(files.warmup[2]!, notAnEvalSet(jsonArray(warmupItems)));
for (let run = 0; run < runs; run++) {
    await write(files.jsonl[run]!, jsonlText);
    await write(files.jsonArray[run]!, jsonArrayText);
    await write(files.peerJsonArray[run]!, notAnEvalSet(jsonArrayText));
}
await write(files.typing, jsonlText);
await write(files.typingBaseline, notAnEvalSet(jsonlText));

console.error("[bench] installing code-server (cached)…");
const entryPath = await installVscodeHost();
const extensionTestsPath = await bundleInHostSuite({
    entryPoint: path.join(repoRoot, "test", "host", "bench", "annotate.bench-suite.ts"),
    outfile: path.join(repoRoot, "dist", "test", "host", "bench", "annotate.bench-suite.cjs")
});
const browser = await launchChromium();
// The JSON features stop at 5,000 symbols and folding ranges by default: let them do the whole set, as BELLE does
const server = await startCodeServer(entryPath, {userSettings: {"json.maxItemsComputed": 1_000_000, "editor.foldingMaximumRegions": 65_000}});
let result: AnnotateBenchResult;
try {
    console.error(`[bench] measuring in the extension host: ${itemCount} items, ${runs} opens per layout, then ${input.typingEdits} keystrokes…`);
    const run = await runInHostSuite(server, browser, {folder: workspace.path, extensionDevelopmentPath: repoRoot, extensionTestsPath, timeoutMs: 9 * 60_000});
    const line = run.logs.map((logLine) => logLine.replace(/^\[\w+\] /, "")).find((message) => message.startsWith(annotateBenchResultMarker));
    if (run.exitCode !== 0 || line == null)
        throw new Error(`the in-host bench failed (exit code ${run.exitCode})\nworkbench log:\n${run.logs.join("\n")}\ncode-server output:\n${server.output()}`);
    result = JSON.parse(line.slice(annotateBenchResultMarker.length)) as AnnotateBenchResult;
    for (const name of Object.values(cpuProfiles ?? {})) {
        const savedPath = path.join(repoRoot, "test-results", name);
        await fs.mkdir(path.dirname(savedPath), {recursive: true});
        await fs.copyFile(path.join(workspace.path, name), savedPath);
        console.error(`\n[bench] ${path.relative(repoRoot, savedPath)} — heaviest functions by self time:\n${summarizeCpuProfile(JSON.parse(await fs.readFile(savedPath, "utf8")) as CpuProfile)}`);
    }
} finally {
    await server.stop();
    await browser.close();
    await workspace.remove();
}

const median = (values: readonly number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const ratio = (ours: number, peer: number) => `${(ours / peer).toFixed(2)}×`;
const row = (cells: string[]) => console.log(`| ${cells.join(" | ")} |`);
const sizeMb = (text: string) => `${(Buffer.byteLength(text) / 1024 / 1024).toFixed(1)} MB`;
const count = (value: number) => value.toLocaleString("en");
type BelleSample = AnnotateBenchResult["jsonl"][number];
type PeerSample = AnnotateBenchResult["peer"][number];
/** From arrival, the later of BELLE's CodeLens and its diagnostics (as set: the Problems view has them then). */
const ready = (sample: BelleSample) => Math.max(sample.codeLensMs, sample.diagnosticsSetMs);
const afterParse = (sample: BelleSample) => ready(sample) - sample.parseMs;
const {jsonl: lines, jsonArray: arrays, peer} = result;
/** A row of the opening table: the median of each side's samples, and the ratios of BELLE's to the peer's. */
const openRow = (label: string, belle: ((sample: BelleSample) => number) | null, peerValue: ((sample: PeerSample) => number) | null) => {
    const ours = belle == null ? null : [median(lines.map(belle)), median(arrays.map(belle))];
    const theirs = peerValue == null ? null : median(peer.map(peerValue));
    row([label, ours == null ? "—" : ms(ours[0]!), ours == null ? "—" : ms(ours[1]!), theirs == null ? "—" : ms(theirs),
        ours == null || theirs == null ? "—" : ratio(ours[0]!, theirs), ours == null || theirs == null ? "—" : ratio(ours[1]!, theirs)]);
};
const lensCount = lines[0]!.codeLensCount;
if (lensCount !== 3 * lines[0]!.itemCount) console.error(`[bench] warning: ${lensCount} lenses for ${lines[0]!.itemCount} valid items (expected 3 per item)`);
if (result.activatedBeforeBench) console.error("[bench] warning: BELLE was active before the bench listened: arrival times include its open work");
const load = (averages: number[]) => averages.map((value) => value.toFixed(1)).join(" ");

console.log(`\nInline eval-set annotation — ${count(itemCount)} items (${count(lines[0]!.itemCount)} valid, ${count(lines[0]!.diagnosticCount)} BELLE diagnostics; JSONL ${sizeMb(jsonlText)}, pretty-printed JSON array ${sizeMb(jsonArrayText)}), VS Code ${result.vscodeVersion} (code-server) + headless Chromium, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${load(loadBefore)} before, ${load(os.loadavg())} after; median of ${runs} fresh opens each\n`);
console.log("Times from the document's arrival in the extension host unless the row says otherwise; each request is asked at arrival, through `vscode.execute…Provider` (a round trip through the workbench and back).");
console.log("Peer: VS Code's built-in JSON language features (`json.maxItemsComputed` and `editor.foldingMaximumRegions` raised to cover every item) on the same JSON-array text, whose first `question` key is renamed so that BELLE leaves it alone. BELLE's JSON-array documents get the JSON features' work too, as a user's `eval_set.json` does.\n");
console.log("| metric | BELLE, JSONL | BELLE, JSON array | peer: JSON features, same array | ratio JSONL / peer | ratio array / peer |");
console.log("|---|---:|---:|---:|---:|---:|");
openRow("parse (`parseEvalSet` alone, in the extension host)", (s) => s.parseMs, null);
openRow("diagnostics set (BELLE's synchronous work on open: parse, diagnostics, CodeLens refresh)", (s) => s.diagnosticsSetMs, null);
openRow("`onDidChangeDiagnostics` fired (VS Code holds it 50 ms)", (s) => s.diagnosticsEventMs, null);
openRow(`first answer: CodeLens (${count(lensCount)}) / peer: document symbols (${count(peer[0]!.symbolCount)})`, (s) => s.codeLensMs, (s) => s.symbolsMs);
openRow("CodeLens and diagnostics both ready / peer: symbols", ready, (s) => s.symbolsMs);
openRow("the same request again, alone (request time)", (s) => s.codeLensWarmMs, (s) => s.symbolsWarmMs);
openRow(`the same request, peer: a trivial CodeLens provider with as many lenses (${count(peer[0]!.trivialCodeLensCount)}) (request time)`, (s) => s.codeLensWarmMs, (s) => s.trivialCodeLensMs);
openRow("the same request right after a 1-character edit (re-parse; request time)", (s) => s.codeLensAfterEditMs, (s) => s.symbolsAfterEditMs);
openRow(`peer's folding ranges (${count(peer[0]!.foldingCount)}), asked after its symbols (request time)`, null, (s) => s.foldingMs);
openRow(`longest extension-host event-loop stall within ${input.settleMs} ms of arrival`, (s) => s.settleEventLoopMaxMs, (s) => s.settleEventLoopMaxMs);
row([`**CodeLens + diagnostics after parse (target ≤ ${targetAfterParseMs} ms)**`, `**${ms(median(lines.map(afterParse)))}**`, `**${ms(median(arrays.map(afterParse)))}**`, "—", "—", "—"]);

const {belle, baseline} = result.typing;
const p95max = (value: Distribution) => `${value.p95.toFixed(1)} / ${value.max.toFixed(1)} ms`;
const ratios = (ours: Distribution, peerValue: Distribution) => `${ratio(ours.p95, peerValue.p95)} / ${ratio(ours.max, peerValue.max)}`;
console.log(`\nTyping — ${belle.rounds} rounds of ${input.typingEdits} one-character edits (\`workspace.applyEdit\`, awaited), one every ${input.typingIntervalMs} ms, into a question in the middle of the JSONL set, its editor visible; meanwhile round trips to the workbench (\`setContext\`) back to back. Keystrokes and round trips pooled over the rounds; event-loop delay: median p95 of the rounds, largest max; the rows after them: medians of the rounds.`);
console.log("Peer: the same typing into the same text where BELLE does nothing (first `question` key renamed), in rounds alternating with BELLE's.\n");
console.log("| metric | BELLE eval set | same text, not an eval set | ratio |");
console.log("|---|---:|---:|---:|");
row([`keystroke round trip (${count(belle.keystroke.count)} each), p95 / max`, p95max(belle.keystroke), p95max(baseline.keystroke), ratios(belle.keystroke, baseline.keystroke)]);
row([`workbench round trip while typing (${count(belle.ping.count)} / ${count(baseline.ping.count)}), p95 / max`, p95max(belle.ping), p95max(baseline.ping), ratios(belle.ping, baseline.ping)]);
row(["extension-host event-loop delay while typing, p95 / max", p95max(belle.eventLoop), p95max(baseline.eventLoop), ratios(belle.eventLoop, baseline.eventLoop)]);
row([`within ${input.settleMs} ms after the last keystroke (last re-parse, near-duplicate scan): longest round trip`, ms(belle.settlePingMaxMs), ms(baseline.settlePingMaxMs), ratio(belle.settlePingMaxMs, baseline.settlePingMaxMs)]);
row(["… longest event-loop stall", ms(belle.settleEventLoopMaxMs), ms(baseline.settleEventLoopMaxMs), ratio(belle.settleEventLoopMaxMs, baseline.settleEventLoopMaxMs)]);
row(["last keystroke → BELLE's diagnostics show it (re-parse 300 ms after the last change, or sooner when a provider asks)", ms(belle.diagnosticsAfterLastEditMs ?? Number.NaN), "—", "—"]);
