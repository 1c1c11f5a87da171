import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type {Locator} from "playwright-core";
import {uiStrings} from "../../webview/protocol/uiStrings";
import {repoRoot} from "../support/startEngineProcess";
import {ChatWebviewHost, type ChatWebviewPage} from "./ChatWebviewHost";
import {
    beijingTurns, blockBoundaryMarkdown, conversation, defaultSettings, imeText, longAnswerChunks, multiLineFirst,
    multiLineSecond, readyEngine, stoppedPartialChunks, streamedAnswer, streamedAnswerChunks, xssPayloads
} from "./chatFixtures";

/** uiStrings through the zh-cn bundle, as the extension's `vscode.l10n.t` would send them. */
function chineseStrings(): Record<string, string> {
    const bundle = JSON.parse(fs.readFileSync(path.join(repoRoot, "l10n", "bundle.l10n.zh-cn.json"), "utf8")) as Record<string, string>;
    return Object.fromEntries(Object.entries(uiStrings).map(([key, english]) => [key, bundle[english] ?? english]));
}

/** Splits `text` into chunks of 1..maxLength code points, the same way for the same seed. */
function seededChunks(text: string, seed: number, maxLength: number): string[] {
    let state = seed;
    const random = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const characters = [...text];
    const chunks: string[] = [];
    for (let start = 0; start < characters.length;) {
        const length = 1 + Math.floor(random() * maxLength);
        chunks.push(characters.slice(start, start + length).join(""));
        start += length;
    }
    return chunks;
}

// Runs in the page: dispatches each chunk synchronously, timing it and counting the nodes it added to the log.
const streamAndMeasure = `async (chunks) => {
    const log = document.querySelector("[role=log]");
    const observer = new MutationObserver(() => {});
    observer.observe(log, {childList: true, subtree: true, characterData: true});
    const costs = [];
    for (const content of chunks) {
        const started = performance.now();
        window.dispatchEvent(new MessageEvent("message", {data: {kind: "notification", method: "chat/chunk", params: {streamId: "long", content}}}));
        const ms = performance.now() - started;
        let nodes = 0;
        for (const record of observer.takeRecords())
            for (const node of record.addedNodes) nodes += 1 + (node.querySelectorAll ? node.querySelectorAll("*").length : 0);
        costs.push({ms, nodes});
    }
    observer.disconnect();
    // Read before any timer can run: every chunk must have been rendered by its own message, not batched for later.
    const answers = document.querySelectorAll(".turn-assistant .markdown");
    return {costs, renderedText: answers[answers.length - 1].textContent};
}`;

describe("chat webview in Chromium (extension side played by the test)", function () {
    let host: ChatWebviewHost;
    let webview: ChatWebviewPage;

    before(async function () {
        this.timeout(180_000);
        execFileSync(process.execPath, ["esbuild.mjs"], {cwd: repoRoot, stdio: "inherit"});
        host = await ChatWebviewHost.start();
    });
    after(async () => host?.close());

    beforeEach(async () => {
        webview = await host.open();
    });
    afterEach(async function () {
        await webview.page.context().close();
        if (this.currentTest?.state !== "passed") return;
        assert.deepEqual(webview.pageErrors, [], "errors in the page");
        assert.deepEqual(webview.malformed, [], "messages outside the protocol");
        assert.deepEqual(webview.cspViolations, [], "CSP violations");
    });

    const composer = () => webview.page.locator(".composer-input");
    const assistantTurns = () => webview.page.locator(".turn-assistant");
    const lastAnswer = () => assistantTurns().last().locator(".markdown");

    async function sendFromComposer(text: string) {
        await composer().fill(text);
        await composer().press("Enter");
        return webview.nextMessage("chat/send");
    }

    /** Sends `text`, then answers as the extension does: show the conversation with the user turn, start a stream. */
    async function startAnswer(conversationId: string, streamId: string, text = "北京有什么好吃的？") {
        const send = await sendFromComposer(text);
        assert.equal(send.params.text, text);
        await webview.notify("conversation/show", {conversation: conversation(conversationId, [{role: "user", content: text}])});
        await webview.notify("chat/started", {streamId, conversationId, turnIndex: 1});
    }

    it("sends ready first, with no conversation id on a fresh load, and nothing before it", async () => {
        const ready = await webview.load();
        assert.equal(webview.received[0], ready);
        assert.deepEqual(ready.params, {conversationId: null});
        await webview.page.locator(".chat-title").getByText("New conversation").waitFor();
        assert.equal(webview.received.length, 1);
    });

    it("renders streamed chunks incrementally and in order (Chinese, emoji, a code block split across chunks)", async () => {
        await webview.load();
        await startAnswer("c-stream", "s-stream");
        const expectedAfter = [
            "你好！👋 这是", "一个流式回答。", "下面是代码：", "下面是代码：", "下面是代码：", "print(\"北京", "欢迎你 🎉\")",
            "print(i)", "print(i)", "最后一段：", "谢谢！😊"
        ];
        let firstParagraph: Locator | undefined;
        for (const [index, content] of streamedAnswerChunks.entries()) {
            await webview.notify("chat/chunk", {streamId: "s-stream", content});
            await lastAnswer().getByText(expectedAfter[index]!, {exact: false}).first().waitFor();
            if (index === 2) {
                // The first paragraph is settled once the next block starts: mark its node and see it survive.
                firstParagraph = lastAnswer().locator("p").first();
                await firstParagraph.evaluate((node) => { node.setAttribute("data-test-kept", "yes"); });
            }
        }
        const text = await lastAnswer().innerText();
        const order = ["你好！👋", "流式", "下面是代码", "北京欢迎你 🎉", "range(3)", "最后一段", "谢谢！😊"].map((part) => text.indexOf(part));
        assert.ok(order.every((position, index) => position >= 0 && (index === 0 || position > order[index - 1]!)), `out of order: ${text}`);
        assert.equal(await lastAnswer().locator("strong").innerText(), "流式");
        assert.equal(await lastAnswer().locator("p[data-test-kept=yes]").count(), 1, "a settled paragraph was re-rendered");
        assert.equal(await assistantTurns().last().getAttribute("aria-busy"), "true");

        await webview.notify("chat/done", {streamId: "s-stream", turn: {
            role: "assistant", content: streamedAnswer,
            stats: {promptTokens: 12, completionTokens: 48, tokensPerSecond: 37.5, contextTokens: 60, contextSize: 4096}
        }});
        await assistantTurns().last().locator(".turn-stats").getByText("37.5 tokens/s · context 60 / 4,096 tokens").waitFor();
        assert.equal(await assistantTurns().last().getAttribute("aria-busy"), null);
        const code = lastAnswer().locator("pre code");
        assert.equal(await code.innerText(), "print(\"北京欢迎你 🎉\")\nfor i in range(3):\n    print(i)\n");
        assert.ok(await code.locator(".hljs-string").count() > 0, "the closed fence is highlighted");
        assert.equal(await lastAnswer().locator("p[data-test-kept=yes]").count(), 1);
    });

    it("renders a streamed answer exactly as the same text rendered at once, however it is chunked", async () => {
        await webview.load();
        const chunkings = [seededChunks(blockBoundaryMarkdown, 7, 1), seededChunks(blockBoundaryMarkdown, 11, 6), seededChunks(blockBoundaryMarkdown, 13, 40)];
        for (const [index, chunks] of chunkings.entries()) {
            const conversationId = `c-equal-${index}`;
            await webview.notify("conversation/show", {conversation: conversation(conversationId, [{role: "user", content: "格式测试"}])});
            await webview.notify("chat/started", {streamId: `s-equal-${index}`, conversationId, turnIndex: 1});
            for (const content of chunks) await webview.notify("chat/chunk", {streamId: `s-equal-${index}`, content});
            const turn = {role: "assistant" as const, content: blockBoundaryMarkdown};
            await webview.notify("chat/done", {streamId: `s-equal-${index}`, turn});
            const streamed = await lastAnswer().innerHTML();
            await webview.notify("conversation/show", {conversation: conversation(conversationId, [{role: "user", content: "格式测试"}, turn])});
            await webview.page.locator(".turn-assistant:not(.streaming)").first().waitFor();
            const atOnce = await lastAnswer().innerHTML();
            assert.equal(streamed, atOnce, `chunking ${index} renders differently`);
        }
        assert.equal(await lastAnswer().locator("ol li").count(), 4);
        assert.equal(await lastAnswer().locator("ol[start='3'] li").count(), 2);
        assert.equal(await lastAnswer().locator("table td").count(), 2);
        assert.equal(await lastAnswer().locator("h1").first().innerText(), "标题 🎯");
        assert.equal(await lastAnswer().locator(".code-block").count(), 3);
    });

    it("sends chat/stop with the stream id when Stop is clicked, and keeps the partial text", async () => {
        await webview.load();
        await startAnswer("c-stop", "s-stop");
        for (const content of stoppedPartialChunks) await webview.notify("chat/chunk", {streamId: "s-stop", content});
        const partial = stoppedPartialChunks.join("");
        await lastAnswer().getByText(partial).waitFor();
        await webview.page.locator(".stop-button").click();
        const stop = await webview.nextMessage("chat/stop");
        assert.deepEqual(stop.params, {streamId: "s-stop"});
        assert.equal(await lastAnswer().innerText(), partial);

        await webview.notify("chat/done", {streamId: "s-stop", turn: {role: "assistant", content: partial, stopped: true}});
        await assistantTurns().last().getByText("Stopped by you; the partial answer is kept.").waitFor();
        assert.equal(await lastAnswer().innerText(), partial);
        assert.ok(await webview.page.locator(".stop-button").isHidden());
        assert.ok(await webview.page.locator(".send-button").isVisible());
    });

    it("does not send on Enter during an IME composition, sends on Enter after compositionend, and Shift+Enter inserts a newline", async () => {
        await webview.load();
        const page = webview.page;
        await composer().focus();
        const cdp = await page.context().newCDPSession(page);
        // Between compositionstart and compositionend an Enter picks the candidate, even if the key event itself
        // looks plain (no isComposing, keyCode 13), as some IMEs and embedded browsers deliver it.
        await composer().fill(imeText);
        await composer().dispatchEvent("compositionstart", {data: ""});
        await page.keyboard.press("Enter");
        await composer().dispatchEvent("compositionend", {data: imeText});
        await page.waitForTimeout(100);
        assert.equal(webview.messagesOf("chat/send").length, 0, "an Enter between compositionstart and compositionend sent the message");
        await composer().fill("");
        // A real composition through Chromium's IME path: the candidate is still open when Enter comes.
        await cdp.send("Input.imeSetComposition", {text: "nihao", selectionStart: 5, selectionEnd: 5});
        await page.keyboard.press("Enter");
        // The same Enter as Safari reports it (after compositionend, keyCode 229) must not send either.
        await cdp.send("Input.insertText", {text: imeText});
        await cdp.send("Input.dispatchKeyEvent", {type: "rawKeyDown", key: "Enter", code: "Enter", windowsVirtualKeyCode: 229, nativeVirtualKeyCode: 229});
        await cdp.send("Input.dispatchKeyEvent", {type: "keyUp", key: "Enter", code: "Enter", windowsVirtualKeyCode: 229, nativeVirtualKeyCode: 229});
        await page.waitForTimeout(200);
        assert.equal(webview.messagesOf("chat/send").length, 0, "an Enter that confirms an IME candidate sent the message");
        assert.ok((await composer().inputValue()).includes(imeText));

        await page.keyboard.press("Enter");
        const send = await webview.nextMessage("chat/send");
        assert.equal(send.params.text.trim(), imeText);
        assert.equal(await composer().inputValue(), "");

        await composer().pressSequentially(multiLineFirst);
        await page.keyboard.press("Shift+Enter");
        await composer().pressSequentially(multiLineSecond);
        assert.equal(await composer().inputValue(), `${multiLineFirst}\n${multiLineSecond}`);
        assert.equal(webview.messagesOf("chat/send").length, 1);
        await page.keyboard.press("Enter");
        const second = await webview.nextMessage("chat/send");
        assert.equal(second.params.text, `${multiLineFirst}\n${multiLineSecond}`);
    });

    it("renders XSS payloads in model output inert, streamed or restored, even when their links are clicked", async () => {
        await webview.load({conversation: conversation("c-xss", [{role: "user", content: "<img src=x onerror=window.__pwned=1>"}, {role: "assistant", content: xssPayloads}])});
        await assistantTurns().first().waitFor();
        await webview.notify("chat/started", {streamId: "s-xss", conversationId: "c-xss", turnIndex: 2});
        for (const content of seededChunks(xssPayloads, 5, 8)) await webview.notify("chat/chunk", {streamId: "s-xss", content});
        await webview.notify("chat/done", {streamId: "s-xss", turn: {role: "assistant", content: xssPayloads}});
        await assistantTurns().nth(1).locator(".turn-body").getByText("点我 a", {exact: false}).waitFor();

        const log = webview.page.locator("[role=log]");
        for (const selector of ["script", "img", "svg", "iframe", "[onerror]", "[onload]", "[onclick]", "a[href^='javascript:' i]", "a[href^='data:' i]", "a[href^='command:' i]"])
            assert.equal(await log.locator(selector).count(), 0, `found ${selector}`);
        const hrefs = await log.locator("a[href]").evaluateAll((links) => links.map((link) => link.getAttribute("href")));
        assert.ok(hrefs.every((href) => /^(https?|mailto):/i.test(href ?? "")), `unexpected links: ${hrefs.join(", ")}`);
        assert.ok((await assistantTurns().first().innerText()).includes("<script>window.__pwned=1</script>"), "payload text is shown as text");

        const url = webview.page.url();
        for (const label of ["点我 x", "点我 a", "点我 data", "图片", "命令"])
            for (const target of await log.getByText(label, {exact: false}).all()) await target.click();
        for (const link of await log.locator("a").all()) await link.click({modifiers: []}).catch(() => undefined);
        await webview.page.waitForTimeout(200);
        assert.equal(webview.page.url(), url);
        assert.equal(await webview.page.evaluate("typeof window.__pwned"), "undefined");
    });

    it("restores the conversation after a reload: setState survives, ready carries the id, the re-sent conversation renders", async () => {
        await webview.load({conversation: conversation("c-restore", beijingTurns)});
        await assistantTurns().nth(1).waitFor();
        await composer().fill("草稿：上海呢？✏️");
        await webview.reload();
        const ready = await webview.nextMessage("ready");
        assert.deepEqual(ready.params, {conversationId: "c-restore"});
        assert.equal(webview.received.at(-1), ready, "the webview posted something besides ready before init");
        assert.equal(await composer().inputValue(), "草稿：上海呢？✏️");
        await webview.init({conversation: conversation("c-restore", beijingTurns)});
        await webview.page.locator(".chat-title").getByText("北京旅游攻略 🗺️").waitFor();
        assert.equal(await webview.page.locator(".turn").count(), 4);
        assert.equal(await assistantTurns().first().locator("ol li").count(), 3);
        assert.equal(await assistantTurns().last().innerText().then((text) => text.includes("70 公里")), true);
    });

    it("has a strict CSP and makes no request outside its own origin", async () => {
        await webview.load({conversation: conversation("c-csp", [
            {role: "user", content: "给我一张图"},
            {role: "assistant", content: "![远程图片](https://example.com/tracker.png) 和 [链接](https://example.com/page)\n\n```js\nconsole.log(1)\n```"}
        ])});
        await assistantTurns().first().locator(".code-block").waitFor();
        const csp = await webview.page.locator("meta[http-equiv='Content-Security-Policy']").getAttribute("content");
        assert.match(csp ?? "", /^default-src 'none'; style-src http:\/\/127\.0\.0\.1:\d+ 'nonce-[^']+'; font-src http:\/\/127\.0\.0\.1:\d+; img-src http:\/\/127\.0\.0\.1:\d+ data:; script-src 'nonce-[^']+'$/);
        assert.doesNotMatch(csp ?? "", /unsafe/);
        const script = webview.page.locator("script");
        assert.equal(await script.count(), 1);
        assert.equal(await script.getAttribute("type"), "module");
        assert.ok(((await script.getAttribute("src")) ?? "").startsWith(webview.origin));
        await webview.page.locator("vscode-toolbar-button[icon=history]").click(); // loads the codicon font too
        await webview.nextMessage("history/list");
        await webview.page.waitForTimeout(200);
        const outside = webview.requestedUrls.filter((url) => !url.startsWith(`${webview.origin}/`));
        assert.deepEqual(outside, []);
        assert.ok(webview.requestedUrls.some((url) => url.endsWith("/webview/codicons/codicon.css")));
    });

    it("shows Retry while the engine is down, which sends engine/retry, and keeps the conversation visible", async () => {
        const failed = {...readyEngine, state: "error" as const, error: "引擎进程退出（代码 1）"};
        await webview.load({engine: failed, conversation: conversation("c-engine", beijingTurns)});
        const banner = webview.page.locator(".engine-error-banner");
        await banner.getByText("引擎进程退出（代码 1）").waitFor();
        assert.equal(await webview.page.locator(".turn").count(), 4);
        await banner.locator("vscode-button").click();
        await webview.nextMessage("engine/retry");
        await webview.notify("engine/status", {engine: {...readyEngine, state: "starting"}});
        await banner.waitFor({state: "hidden"});
        assert.equal(await banner.count(), 0, "the hidden banner (role=alert) is still in the DOM");
        await webview.page.locator(".engine-status").getByText("Engine starting…").waitFor();

        await startAnswer("c-engine", "s-engine");
        await webview.notify("chat/chunk", {streamId: "s-engine", content: "半句"});
        await webview.notify("chat/error", {streamId: "s-engine", message: "模型无法连接", retryable: true, turn: {role: "assistant", content: "半句", error: "模型无法连接"}});
        await banner.getByText("模型无法连接").waitFor();
        await assistantTurns().last().getByText("The answer failed: 模型无法连接").waitFor();
        assert.equal(await lastAnswer().innerText(), "半句");
        await banner.locator("vscode-button").click();
        await webview.nextMessage("engine/retry");
    });

    it("keeps the cost per chunk flat over a long answer (2,000 chunks: linear overall, not quadratic)", async function () {
        this.timeout(120_000);
        await webview.load();
        await startAnswer("c-long", "long");
        const chunks = longAnswerChunks(2_000);
        assert.equal(chunks.length, 2_000);
        const {costs, renderedText} = await webview.page.evaluate(`(${streamAndMeasure})(${JSON.stringify(chunks)})`) as {
            costs: Array<{ms: number, nodes: number}>, renderedText: string
        };
        assert.ok(renderedText.replace(/\s+/g, "").endsWith("学而时习之。"), "the last chunks were not rendered as they arrived");
        const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
        const first = costs.slice(0, 200);
        const last = costs.slice(-200);
        const nodes = {first: average(first.map((cost) => cost.nodes)), last: average(last.map((cost) => cost.nodes))};
        const ms = {first: average(first.map((cost) => cost.ms)), last: average(last.map((cost) => cost.ms))};
        // Re-rendering the whole answer per chunk would add ~10x more nodes per chunk at the end than at the start.
        assert.ok(nodes.last <= nodes.first * 2 + 5, `nodes per chunk grew: ${JSON.stringify(nodes)}`);
        assert.ok(ms.last <= ms.first * 4 + 2, `time per chunk grew: ${JSON.stringify(ms)}`);
        await webview.notify("chat/done", {streamId: "long", turn: {role: "assistant", content: chunks.join("")}});
        assert.equal(await lastAnswer().locator(".code-block").count(), 100);
    });

    it("shows the first-run guide in the UI language when no model is set, and its button sends model/select", async () => {
        await webview.load({
            locale: "zh-cn", strings: chineseStrings(), needsModel: true,
            engine: {...readyEngine, state: "stopped", model: null, lastTokensPerSecond: null}
        });
        const guide = webview.page.locator(".first-run");
        await guide.getByText("欢迎使用 BELLE").waitFor();
        assert.match(await guide.innerText(), /选择你已有的模型文件（GGUF）/);
        assert.equal(await webview.page.locator("html").getAttribute("lang"), "zh-cn");
        assert.equal(await webview.page.locator(".send-button").innerText(), "发送");
        assert.equal(await composer().getAttribute("placeholder"), "向 BELLE 提问…（Enter 发送，Shift+Enter 换行）");
        await webview.page.locator(".engine-status").getByText("未选择模型").waitFor();
        await guide.locator("vscode-button").click();
        await webview.nextMessage("model/select");
        await webview.notify("engine/status", {engine: readyEngine});
        await guide.waitFor({state: "hidden"});
    });

    it("lists, searches, opens and deletes past conversations through history/list requests", async () => {
        await webview.load({conversation: conversation("c-2", beijingTurns)});
        await webview.page.locator("vscode-toolbar-button[icon=history]").click();
        const list = await webview.nextMessage("history/list");
        assert.equal(list.params.query, "");
        assert.match(list.requestId, /\S/);
        const summaries = [
            {id: "c-1", title: "上海美食 🍜", updatedAt: Date.UTC(2026, 0, 1), turnCount: 2},
            {id: "c-2", title: "北京旅游攻略 🗺️", updatedAt: Date.UTC(2026, 0, 2), turnCount: 4}
        ];
        await webview.respond("history/list", list.requestId, {conversations: summaries});
        const panel = webview.page.locator(".history-panel");
        await panel.getByText("上海美食 🍜").waitFor();
        assert.equal(await panel.locator(".history-open[aria-current]").innerText().then((text) => text.includes("北京")), true);

        await panel.locator("vscode-textfield input").fill("上海");
        const search = await webview.nextMessage("history/list");
        assert.equal(search.params.query, "上海");
        assert.notEqual(search.requestId, list.requestId);
        await webview.respond("history/list", search.requestId, {conversations: [summaries[0]!]});
        await panel.locator(".history-item").nth(1).waitFor({state: "detached"});

        await panel.locator(".history-delete").first().click();
        await panel.getByRole("button", {name: "Delete", exact: true}).click();
        const deleted = await webview.nextMessage("conversation/delete");
        assert.deepEqual(deleted.params, {conversationId: "c-1"});
        const refresh = await webview.nextMessage("history/list");
        await webview.respond("history/list", refresh.requestId, {conversations: [summaries[1]!]});
        await panel.getByText("北京旅游攻略 🗺️").click();
        const open = await webview.nextMessage("conversation/open");
        assert.deepEqual(open.params, {conversationId: "c-2"});
        await panel.waitFor({state: "hidden"});
    });

    it("regenerates the last answer, edits and resends a user turn, and sends code to copy or insert", async () => {
        await webview.load({conversation: conversation("c-actions", beijingTurns)});
        await assistantTurns().last().locator("vscode-toolbar-button[icon=refresh]").click();
        assert.deepEqual((await webview.nextMessage("chat/regenerate")).params, {conversationId: "c-actions"});
        assert.equal(await assistantTurns().first().locator("vscode-toolbar-button[icon=refresh]").isVisible(), false, "only the last answer regenerates");

        const codeBlock = assistantTurns().first().locator(".code-block");
        await codeBlock.locator("[data-code-action=copy]").click();
        assert.deepEqual((await webview.nextMessage("code/copy")).params, {code: "echo \"北京\"\n"});
        await codeBlock.locator("[data-code-action=insert]").click();
        assert.deepEqual((await webview.nextMessage("code/insert")).params, {code: "echo \"北京\"\n"});

        const firstUser = webview.page.locator(".turn-user").first();
        await firstUser.locator("vscode-toolbar-button[icon=edit]").click();
        await firstUser.locator("textarea").fill("上海有哪些必去的景点？");
        await firstUser.getByText("Save and resend").click();
        const edit = await webview.nextMessage("chat/editAndResend");
        assert.deepEqual(edit.params, {conversationId: "c-actions", turnIndex: 0, text: "上海有哪些必去的景点？"});
        assert.equal(await webview.page.locator(".turn").count(), 1);
        await webview.notify("chat/started", {streamId: "s-edit", conversationId: "c-actions", turnIndex: 1});
        await firstUser.locator("vscode-toolbar-button[icon=edit]").waitFor({state: "hidden"}); // no editing while an answer streams
    });

    it("sends per-conversation settings, and settings chosen before a conversation exists go with its first message", async () => {
        await webview.load();
        await webview.page.locator("vscode-toolbar-button[icon=settings-gear]").click();
        const panel = webview.page.locator(".settings-panel");
        await panel.locator("#settings-system-prompt textarea").fill("你是一位中文导游。");
        await panel.locator("#settings-temperature input").fill("3");
        await panel.getByRole("button", {name: "Apply"}).click();
        await panel.getByText("Check the values", {exact: false}).waitFor();
        await panel.locator("#settings-temperature input").fill("1.2");
        await panel.getByRole("button", {name: "Apply"}).click();
        const send = await sendFromComposer("介绍一下故宫");
        assert.deepEqual(send.params.settings, {...defaultSettings, systemPrompt: "你是一位中文导游。", temperature: 1.2});
        assert.equal(webview.messagesOf("conversation/updateSettings").length, 0);

        await webview.notify("conversation/show", {conversation: conversation("c-settings", [{role: "user", content: "介绍一下故宫"}])});
        // This extension ignored chat/send's settings (the conversation came back with defaults): they follow at once.
        const followUp = await webview.nextMessage("conversation/updateSettings");
        assert.deepEqual(followUp.params, {conversationId: "c-settings", settings: {...defaultSettings, systemPrompt: "你是一位中文导游。", temperature: 1.2}});
        await panel.locator("#settings-maxTokens input").fill("256");
        await panel.getByRole("button", {name: "Apply"}).click();
        const update = await webview.nextMessage("conversation/updateSettings");
        assert.deepEqual(update.params, {conversationId: "c-settings", settings: {...defaultSettings, systemPrompt: "你是一位中文导游。", temperature: 1.2, maxTokens: 256}});
    });

    it("puts input/fill text into the input, and sends it when asked to", async () => {
        await webview.load({conversation: conversation("c-fill", beijingTurns)});
        await webview.notify("input/fill", {text: "解释这段代码：\n```ts\nconst a = 1;\n```", send: false});
        assert.equal(await composer().inputValue(), "解释这段代码：\n```ts\nconst a = 1;\n```");
        assert.equal(webview.messagesOf("chat/send").length, 0);
        await webview.notify("input/fill", {text: "翻译成英文：你好世界 🌏", send: true});
        const send = await webview.nextMessage("chat/send");
        assert.deepEqual(send.params, {conversationId: "c-fill", text: "解释这段代码：\n```ts\nconst a = 1;\n```\n翻译成英文：你好世界 🌏"});
        assert.equal(await composer().inputValue(), "");
    });

    it("starts a new chat with conversation/new and an empty log", async () => {
        await webview.load({conversation: conversation("c-new", beijingTurns)});
        await webview.page.locator("vscode-toolbar-button[icon=add]").click();
        await webview.nextMessage("conversation/new");
        assert.equal(await webview.page.locator(".turn").count(), 0);
        await webview.page.getByText("Ask a question to start.", {exact: false}).waitFor();
        const send = await sendFromComposer("新问题");
        assert.equal(send.params.conversationId, null);
    });
});
