import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import {promisify} from "node:util";
import type {Browser, BrowserContext, Frame, Page} from "playwright-core";
import {uiStrings} from "../../webview/protocol/uiStrings";
import {repoRoot} from "../support/startEngineProcess";
import {createWorkspaceFolder, type WorkspaceFolder} from "./support/createWorkspaceFolder";
import {findWebviewFrame} from "./support/findWebviewFrame";
import {installVscodeHost} from "./support/installVscodeHost";
import {launchChromium} from "./support/launchChromium";
import {workbenchUrl} from "./support/runInHostSuite";
import {runPaletteCommand} from "./support/runPaletteCommand";
import {startCodeServer, type CodeServer} from "./support/startCodeServer";

// A person's journeys through the workbench (code-server + Chromium, the extension from this repository): sequences
// of palette commands, clicks, closed tabs and an offline machine, checked by what the person sees. Each journey
// was a bug a new user hit in the first hour that tests of single commands did not catch (issue 17).

const cjk = /[\u4e00-\u9fff]/u;
const screenshotsDir = path.join(repoRoot, "test-results", "screenshots");
const firstAnswerTimeoutMs = 180_000;
const darkTheme = {
    "workbench.colorTheme": "Default Dark Modern",
    "workbench.preferredDarkColorTheme": "Default Dark Modern",
    "workbench.preferredLightColorTheme": "Default Light Modern"
};

describe("A user's journeys in a real VS Code host (code-server and Chromium)", function () {
    let entryPath: string;
    let browser: Browser;

    before(async function () {
        this.timeout(15 * 60_000);
        entryPath = await installVscodeHost();
        await promisify(execFile)(process.execPath, ["esbuild.mjs"], {cwd: repoRoot});
        browser = await launchChromium();
        await fs.mkdir(screenshotsDir, {recursive: true});
    });

    after(async () => {
        await browser?.close();
    });

    /** A workbench on a fresh workspace with `settings`; closed after the journey. */
    function workbench(settings: Record<string, unknown>, userSettings: Record<string, unknown> = {}) {
        const opened: {server?: CodeServer, workspace?: WorkspaceFolder, context?: BrowserContext, page?: Page} = {};
        before(async function () {
            this.timeout(90_000);
            opened.workspace = await createWorkspaceFolder(settings);
            opened.server = await startCodeServer(entryPath, {userSettings: {...darkTheme, ...userSettings}});
            opened.context = await browser.newContext({viewport: {width: 1280, height: 800}});
            opened.page = await opened.context.newPage();
            await opened.page.goto(workbenchUrl(opened.server, {folder: opened.workspace.path, extensionDevelopmentPath: repoRoot}));
            await opened.page.locator(".monaco-workbench").waitFor({timeout: 30_000});
        });
        afterEach(async function () {
            if (this.currentTest?.state !== "failed" || opened.page == null) return;
            const name = `failed-journey-${this.currentTest.title.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 80)}.png`;
            await opened.page.screenshot({path: path.join(screenshotsDir, name)}).catch(() => undefined);
            const messages = await opened.page.locator(".notification-toast .notification-list-item-message, .monaco-dialog-box .dialog-message-row")
                .allInnerTexts().catch(() => []);
            console.log(`      at the failure (test-results/screenshots/${name}): ${messages.join(" | ") || "no notification"}`);
        });
        after(async () => {
            await opened.context?.close();
            await opened.server?.stop();
            await opened.workspace?.remove();
        });
        return opened;
    }

    const notification = (page: Page, text: string | RegExp) => page.locator(".notification-toast", {hasText: text});

    describe("a new user on an offline machine", function () {
        const opened = workbench({});

        it("sees the walkthrough open by itself on the first start", async function () {
            this.timeout(60_000);
            const page = opened.page!;
            await page.locator(".gettingStartedContainer", {hasText: "Get Started with BELLE"}).first().waitFor({timeout: 45_000});
            assert.match(await page.locator(".gettingStartedContainer").first().innerText(), /needs the network/i);
            await page.screenshot({path: path.join(screenshotsDir, "journey-walkthrough-dark.png")});
        });

        it("tries to download a model, is told the machine seems offline, and picks the demo model from that message", async function () {
            this.timeout(120_000);
            const page = opened.page!;
            await runPaletteCommand(page, "BELLE: Download Model");
            await page.locator(".quick-input-widget .quick-input-list .monaco-list-row").first().click();
            const offline = notification(page, "seems to be offline");
            await offline.waitFor({timeout: 60_000});
            assert.doesNotMatch(await offline.innerText(), /getaddrinfo|ENOTFOUND|Run the command again/);
            await page.screenshot({path: path.join(screenshotsDir, "journey-offline-download-dark.png")});
            await offline.getByRole("button", {name: "Use the Demo Model"}).click();
            // the status bar names the model as the picker does
            await page.locator(".statusbar-item", {hasText: "Demo model"}).first().waitFor({timeout: 15_000});
            const userSettings = JSON.parse(await fs.readFile(path.join(opened.server!.dataDir, "user-data", "User", "settings.json"), "utf8")) as Record<string, unknown>;
            assert.equal(userSettings["belle.model"], "embedded");
        });
    });

    describe("chatting: close the chat tab, reopen it, ask", function () {
        const opened = workbench({"belle.model": "embedded"});
        let chat: Frame;

        const openChat = async () => {
            await runPaletteCommand(opened.page!, "BELLE: Open Chat");
            const errorDialog = opened.page!.locator(".monaco-dialog-box .dialog-message-row");
            return Promise.race([
                findWebviewFrame(opened.page!, (frame) => frame.getByRole("textbox", {name: uiStrings.inputLabel, exact: true})),
                errorDialog.first().waitFor({timeout: 35_000}).then(async () => {
                    throw new Error(`the workbench showed an error: ${(await errorDialog.allInnerTexts()).join(" | ")}`);
                })
            ]);
        };

        it("opens the chat, closes its tab, and opens it again from the palette", async function () {
            this.timeout(120_000);
            const page = opened.page!;
            chat = await openChat();
            const tab = page.locator(".tabs-container .tab", {hasText: "BELLE Chat"});
            await tab.hover();
            await tab.locator(".tab-actions .action-label").click();
            await tab.waitFor({state: "detached", timeout: 10_000});
            // "Webview is disposed" came here: the panel was never forgotten
            chat = await openChat();
            await tab.waitFor({timeout: 10_000});
            assert.equal(await page.locator(".monaco-dialog-box").count(), 0);
        });

        it("gets a Chinese answer of the demo model's short default length, with a note that it stopped at the limit", async function () {
            this.timeout(firstAnswerTimeoutMs + 30_000);
            const input = chat.getByRole("textbox", {name: uiStrings.inputLabel, exact: true});
            await input.fill("你好");
            await input.press("Enter");
            const answers = chat.getByRole("article", {name: uiStrings.assistantRole, exact: true});
            await answers.filter({hasText: cjk}).first().waitFor({timeout: firstAnswerTimeoutMs});
            await answers.and(chat.locator("[aria-busy='true']")).waitFor({state: "detached", timeout: firstAnswerTimeoutMs});
            // the demo model fills any limit with random characters: 128 tokens, said so under the answer
            await answers.last().locator(".turn-truncated", {hasText: "limit of 128 tokens"}).waitFor({timeout: 5_000});
            await opened.page!.screenshot({path: path.join(screenshotsDir, "journey-chat-reopened-dark.png")});
        });
    });

    describe("an eval set: open BELLE's eval_set.json, evaluate an item, cancel, close, evaluate again", function () {
        // A limit the user set: long enough to cancel half-way on the demo model
        const opened = workbench({"belle.model": "embedded", "belle.maxTokens": 400});

        before(async () => {
            await fs.writeFile(path.join(opened.workspace!.path, "eval_set.json"), [
                {question: "中国的首都是哪里？", std_answer: "北京", class: "open qa"},
                {question: "写一首关于春天的诗。", std_answer: "", class: "generation"}
            ].map((item) => JSON.stringify(item)).join("\n") + "\n");
        });

        const resultText = async (page: Page) => {
            const lines = page.locator(".editor-group-container", {has: page.locator(".tab.active", {hasText: "BELLE evaluation"})})
                .locator(".monaco-editor .view-lines").first();
            return (await lines.innerText().catch(() => "")).replace(/\u00a0/g, " ");
        };

        it("opens as JSON Lines: no problem reported, no ambiguous-character banner", async function () {
            this.timeout(60_000);
            const page = opened.page!;
            await page.keyboard.press("Control+P");
            await page.locator(".quick-input-widget .quick-input-box input").fill("eval_set.json");
            await page.locator(".quick-input-widget .quick-input-list .monaco-list-row", {hasText: "eval_set.json"}).first().click();
            await page.locator(".tabs-container .tab", {hasText: "eval_set.json"}).waitFor();
            await page.locator(".statusbar-item", {hasText: "JSON Lines"}).first().waitFor({timeout: 15_000});
            await page.keyboard.press("Control+Shift+M");
            const problems = page.locator(".markers-panel-container, .markers-panel");
            await problems.first().waitFor({timeout: 10_000});
            await page.waitForTimeout(1_500);
            assert.doesNotMatch(await problems.first().innerText(), /End of file expected/);
            assert.equal(await page.locator(".unicode-highlight").count(), 0, "ambiguous characters are highlighted");
            await page.screenshot({path: path.join(screenshotsDir, "journey-eval-set-jsonl-dark.png")});
        });

        it("evaluates the item under the cursor with progress, and Cancel stops it", async function () {
            this.timeout(firstAnswerTimeoutMs);
            const page = opened.page!;
            await page.locator(".editor-instance .monaco-editor .view-line", {hasText: "中国的首都是哪里"}).first().click();
            await runPaletteCommand(page, "BELLE: Evaluate Selection");
            const progress = notification(page, "BELLE: evaluating");
            await progress.waitFor({timeout: 30_000});
            // cancel once the answer streams
            for (const deadline = Date.now() + firstAnswerTimeoutMs - 30_000; !cjk.test((await resultText(page)).split("## Model answer")[1] ?? "");) {
                assert.ok(Date.now() < deadline, "no answer streamed");
                await page.waitForTimeout(200);
            }
            await progress.getByRole("button", {name: "Cancel"}).click();
            for (const deadline = Date.now() + 15_000; !/Cancelled\./.test(await resultText(page));) {
                assert.ok(Date.now() < deadline, `the evaluation did not stop:\n${await resultText(page)}`);
                await page.waitForTimeout(200);
            }
            await progress.waitFor({state: "detached", timeout: 10_000});
        });

        it("stops an evaluation whose document is closed", async function () {
            this.timeout(120_000);
            const page = opened.page!;
            await page.locator(".tabs-container .tab", {hasText: "eval_set.json"}).click();
            await page.locator(".editor-instance .monaco-editor .view-line", {hasText: "中国的首都是哪里"}).first().click();
            await runPaletteCommand(page, "BELLE: Evaluate Selection");
            const progress = notification(page, "BELLE: evaluating");
            await progress.waitFor({timeout: 30_000});
            const tab = page.locator(".tabs-container .tab.active", {hasText: "BELLE evaluation"});
            await tab.waitFor();
            await tab.hover();
            await tab.locator(".tab-actions .action-label").click();
            await progress.waitFor({state: "detached", timeout: 15_000});
        });

        it("evaluates again to the end: the reference judge scores it (not the model itself), and the item's CodeLens shows the score", async function () {
            this.timeout(firstAnswerTimeoutMs);
            const page = opened.page!;
            await page.locator(".tabs-container .tab", {hasText: "eval_set.json"}).click();
            await page.locator(".editor-instance .monaco-editor .view-line", {hasText: "中国的首都是哪里"}).first().click();
            await runPaletteCommand(page, "BELLE: Evaluate Selection");
            let text = "";
            for (const deadline = Date.now() + firstAnswerTimeoutMs - 20_000; !/\*\*Reference F1 \d/.test(text);) {
                assert.ok(Date.now() < deadline, `no verdict:\n${text}`);
                await page.waitForTimeout(300);
                text = await resultText(page);
            }
            assert.match(text, /Judge: reference/);
            const evalEditor = page.locator(".editor-instance", {has: page.locator(".view-line", {hasText: "中国的首都是哪里"})}).first();
            await evalEditor.locator(".codelens-decoration", {hasText: /open qa · score \d/}).first().waitFor({timeout: 20_000});
            await page.screenshot({path: path.join(screenshotsDir, "journey-evaluate-selection-dark.png")});
        });
    });
});
