import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type {AddressInfo} from "node:net";
import os from "node:os";
import path from "node:path";
import {readEvalRunFile} from "../../server/eval/EvalRunFile";
import {runEvalJob} from "../../server/eval/runEvalJob";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";

/**
 * The judge here is a stand-in for a paid GPT-4-class API (it cannot run offline): a local OpenAI-compatible
 * server that records the prompts BELLE's judge would receive and replies with the messy text such judges
 * write. The candidate is the real engine on the generated model.
 */
const judgeReplies: Record<string, string> = {
    "中国的首都是哪里？": "回答正确，与标准答案一致。\n得分：0.8",
    "写一首关于秋天的短诗。": "这首诗意境不错。得分: 1",
    "1+1 等于几？": "答案是对的，但没有解释。\n\n得分：０.７",
    "列出三种水果。": "只列出了两种。得分: 2/4",
    "判断情感：这部电影太好看了！": "得分: 7",
    "总结：小明今天去了公园，玩得很开心。": "我无法判断这个回答的质量。"
};

describe("eval jobs with BELLE's judge format (judge: a local stand-in for a paid GPT-4-class API; candidate: the real engine)", function () {
    let engine: EngineProcess;
    let judgeServer: http.Server;
    let dir: string;
    const judgePrompts: string[] = [];

    before(async function () {
        this.timeout(120_000);
        engine = await startEngineProcess(["--model", "embedded", "--parallel", "2"]);
        judgeServer = http.createServer((request, response) => {
            let body = "";
            request.setEncoding("utf8").on("data", (chunk: string) => { body += chunk; }).on("end", () => {
                const {messages} = JSON.parse(body) as {messages: Array<{content: string}>};
                const prompt = messages.at(-1)!.content;
                judgePrompts.push(prompt);
                const question = Object.keys(judgeReplies).find((text) => prompt.includes(text));
                const content = question == null ? "得分: 0" : judgeReplies[question]!;
                response.writeHead(200, {"Content-Type": "application/json"});
                response.end(JSON.stringify({
                    id: "stand-in", object: "chat.completion", created: 0, model: "gpt-4-stand-in",
                    choices: [{index: 0, message: {role: "assistant", content}, finish_reason: "stop"}],
                    usage: {prompt_tokens: 1, completion_tokens: 1, total_tokens: 2}
                }));
            });
        });
        await new Promise<void>((resolve) => judgeServer.listen(0, "127.0.0.1", resolve));
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "belle-judge-"));
    });
    after(async () => {
        await engine?.stop();
        judgeServer?.close();
        fs.rmSync(dir, {recursive: true, force: true});
    });

    it("reads 得分 from messy judge replies, and marks replies without a usable score as failed items, never 0", async function () {
        this.timeout(120_000);
        const items = [
            {question: "中国的首都是哪里？", std_answer: "北京", class: "open qa"},
            {question: "写一首关于秋天的短诗。", std_answer: "", class: "generation"},
            {question: "1+1 等于几？", std_answer: "2", class: "math"},
            {question: "列出三种水果。", std_answer: "", class: "brainstorming"},
            {question: "判断情感：这部电影太好看了！", std_answer: "正面", class: "classification"},
            {question: "总结：小明今天去了公园，玩得很开心。", std_answer: "小明在公园玩得开心。", class: "summarization"}
        ];
        const evalSetPath = path.join(dir, "eval_set.json");
        fs.writeFileSync(evalSetPath, items.map((item) => JSON.stringify(item)).join("\n") + "\n");
        const runFilePath = path.join(dir, "run.jsonl");
        const judgePort = (judgeServer.address() as AddressInfo).port;
        await runEvalJob({
            evalSetPath, runFilePath,
            candidate: {baseUrl: `${engine.baseUrl}/v1`, apiKey: engine.ready.token, model: engine.ready.model},
            judge: {baseUrl: `http://127.0.0.1:${judgePort}/v1`, apiKey: "sk-stand-in", model: "gpt-4-stand-in"},
            judgeMode: "belle", sampling: {temperature: 0, topP: 1, maxTokens: 12}, concurrency: 2
        });

        const {records} = await readEvalRunFile(runFilePath);
        const byQuestion = new Map(records.map((record) => [items[record.index]!.question, record]));
        assert.equal(byQuestion.get("中国的首都是哪里？")!.score, 0.8);
        assert.equal(byQuestion.get("写一首关于秋天的短诗。")!.score, 1);
        assert.equal(byQuestion.get("1+1 等于几？")!.score, 0.7);
        assert.equal(byQuestion.get("列出三种水果。")!.score, 0.5);
        for (const question of ["判断情感：这部电影太好看了！", "总结：小明今天去了公园，玩得很开心。"]) {
            const record = byQuestion.get(question)!;
            assert.equal(record.score, null, question);
            assert.match(record.error ?? "", /^judge: /, question);
            assert.equal(record.judgeRaw, judgeReplies[question]);
        }

        // BELLE's scorer: the class instruction, the question, the model's answer; the standard answer only for
        // classes judged against one (generation and brainstorming are judged on criteria alone)
        assert.equal(judgePrompts.length, items.length);
        const promptFor = (question: string) => judgePrompts.find((prompt) => prompt.includes(question))!;
        assert.ok(promptFor("中国的首都是哪里？").includes("北京"));
        assert.ok(promptFor("1+1 等于几？").includes(records.find((record) => record.index === 2)!.answer!));
        assert.match(promptFor("写一首关于秋天的短诗。"), /得分/);
    });
});
