import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {loadEvalReportInput} from "../../extension/report/loadEvalReportInput";
import {answerFingerprint} from "../../server/eval/annotation/EvalAnnotation";
import type {EvalComparison} from "../../server/eval/report/compareEvalRuns";
import type {EvalReport} from "../../server/eval/report/computeEvalReport";
import type {EvalRunHeader, EvalRunRecord} from "../../server/eval/report/EvalRunRecord";
import {readEvalSetFile} from "../../server/eval/readEvalSet";
import {evalItemKey} from "../../server/eval/runEvalJob";

const questions = ["北京是中国的首都吗？", "1+1 等于几？", "写一首关于春天的诗。", "翻译：你好"];
const judgeScores = [0.9, 0.2, 0.8, 0.4];

describe("loadEvalReportInput (joins the eval set's annotations, no VS Code needed)", () => {
    let directory = "";
    beforeEach(async () => { directory = await fs.mkdtemp(path.join(os.tmpdir(), "belle-report-input-")); });
    afterEach(async () => { await fs.rm(directory, {recursive: true, force: true}); });

    /** An eval set of `questions`, each item's annotation given by `annotationOf` (undefined: none). */
    async function writeEvalSet(name: string, annotationOf: (index: number) => Record<string, unknown> | undefined): Promise<string> {
        const evalSetPath = path.join(directory, name);
        const lines = questions.map((question, index) =>
            JSON.stringify({question, std_answer: "", class: "open qa", ...(annotationOf(index) != null ? {annotation: annotationOf(index)} : {})}));
        await fs.writeFile(evalSetPath, lines.join("\n") + "\n", "utf8");
        return evalSetPath;
    }

    /** A run file of the eval set's items with `judgeScores`, its answers `<prefix> <index>`. */
    async function writeRun(name: string, evalSetPath: string, answerPrefix: string, headerEvalSetPath = evalSetPath): Promise<string> {
        const {items} = await readEvalSetFile(evalSetPath);
        const header: EvalRunHeader = {
            kind: "header", runId: name, evalSetPath: headerEvalSetPath, model: name, modelHash: null, judge: "gpt-4", settings: {}, createdAt: "2024-05-01T08:00:00.000Z"
        };
        const records: EvalRunRecord[] = items.map((item) => ({
            itemKey: evalItemKey(item), index: item.index, question: item.question, stdAnswer: item.stdAnswer, className: item.className,
            evalClass: item.evalClass, answer: `${answerPrefix} ${item.index}`, score: judgeScores[item.index]!, judgeReason: "理由", judgeRaw: null,
            error: null, model: name, judge: "gpt-4", finishedAt: "2024-05-01T08:01:00.000Z"
        }));
        const runFilePath = path.join(directory, `${name}.jsonl`);
        await fs.writeFile(runFilePath, [header, ...records].map((line) => JSON.stringify(line) + "\n").join(""), "utf8");
        return runFilePath;
    }

    const single = (report: EvalReport | EvalComparison): EvalReport => {
        assert.equal(report.kind, "evalReport");
        return report as EvalReport;
    };

    it("puts the agreement into `belle eval report` too (the CLI, built bundle)", async () => {
        const evalSetPath = await writeEvalSet("eval_set.json", (index) => ({human_score: index % 2 === 0 ? 1 : 0}));
        const runFilePath = await writeRun("run-cli", evalSetPath, "回答");
        const {stdout} = await promisify(execFile)(process.execPath, [path.resolve("bin/belle.cjs"), "eval", "report", runFilePath, "--format", "md"]);
        assert.match(stdout, /评审与人工一致性 Judge–human agreement/);
        const json = JSON.parse((await promisify(execFile)(process.execPath, [path.resolve("bin/belle.cjs"), "eval", "report", runFilePath, "--format", "json"])).stdout) as {agreement?: {pairCount: number}};
        assert.equal(json.agreement?.pairCount, 4);
    });

    it("joins the annotations of the eval set the run's header names, by item key", async () => {
        // human 1, 0, 1, 0 against judge 0.9, 0.2, 0.8, 0.4: same calls, ranks in the same order but for the ties
        const evalSetPath = await writeEvalSet("eval_set.json", (index) => ({human_score: index % 2 === 0 ? 1 : 0, note: "人工标注"}));
        const input = await loadEvalReportInput([await writeRun("run-a", evalSetPath, "回答")]);
        const agreement = single(input.report).agreement;
        assert.ok(agreement != null);
        assert.equal(agreement.pairCount, 4);
        assert.equal(agreement.kappa.kappa, 1);
        assert.deepEqual(agreement.disagreements, []);
        // judge ranks 4, 1, 3, 2; human ranks 3.5, 1.5, 3.5, 1.5: Σ dx·dy = 1.5·1 + (−1.5)(−1) + 0.5·1 + (−0.5)(−1) = 4,
        // Σ dx² = 5, Σ dy² = 4: ρ = 4 / √20 ≈ 0.894
        assert.ok(Math.abs(agreement.spearman.rho! - 4 / Math.sqrt(20)) < 1e-12);
    });

    it("gives each compared run its own agreement, counting a rating tied to an answer only for that answer", async () => {
        const ratedAnswer = answerFingerprint("回答 1");
        const evalSetPath = await writeEvalSet("eval_set.json", (index) => index === 1 ? {human_score: 0.9, rated_answer: ratedAnswer} : {verdict: "good"});
        const baseline = await writeRun("run-a", evalSetPath, "回答");
        const candidate = await writeRun("run-b", evalSetPath, "新回答");
        const input = await loadEvalReportInput([baseline, candidate]);
        assert.equal(input.report.kind, "evalComparison");
        const [baselineAgreement, candidateAgreement] = (input.report as EvalComparison).reports.map((report) => report.agreement);
        assert.equal(baselineAgreement?.pairCount, 4);
        assert.deepEqual(baselineAgreement.disagreements.map((item) => item.index), [1, 3], "0.2 against 0.9, and 0.4 against good");
        assert.equal(candidateAgreement?.pairCount, 3, "the 0.9 rates the baseline's answer to item 1, not the candidate's");
        assert.deepEqual(candidateAgreement.skipped, {ratedOtherAnswer: 1, notScored: 0});
    });

    it("reads a relative eval-set path in a hand-made header from the run file's folder", async () => {
        const evalSetPath = await writeEvalSet("eval_set.json", () => ({verdict: "good"}));
        const input = await loadEvalReportInput([await writeRun("run-a", evalSetPath, "回答", "eval_set.json")]);
        assert.equal(single(input.report).agreement?.pairCount, 4);
    });

    it("still shows the report, without an agreement, when the eval set is gone or has no annotations", async () => {
        const evalSetPath = await writeEvalSet("eval_set.json", () => undefined);
        const runFilePath = await writeRun("run-a", evalSetPath, "回答");
        assert.equal(single((await loadEvalReportInput([runFilePath])).report).agreement, undefined);
        await fs.rm(evalSetPath);
        const input = await loadEvalReportInput([runFilePath]);
        assert.equal(single(input.report).agreement, undefined);
        assert.equal(single(input.report).scoredCount, 4);
    });
});
