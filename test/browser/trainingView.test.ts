import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type {Browser, Page} from "playwright-core";
import {buildTrainingViewHtml} from "../../webview/protocol/buildTrainingViewHtml";
import {
    isTrainingViewToExtensionMessage, type ExtensionToTrainingViewMessage, type TrainingViewAction, type TrainingViewEvent,
    type TrainingViewState, type TrainingViewToExtensionMessage
} from "../../webview/protocol/trainProtocol";
import {createTrainingViewState} from "../../webview/protocol/trainingViewState";
import {trainingViewStrings} from "../../webview/train/trainingViewStrings";
import {repoRoot} from "../support/startEngineProcess";
import {applyDarkModernColours} from "./darkModernColours";
import {assertCleanWebviewPage, fakeVsCodeApi, launchTestChromium, startWebviewTestServer, wireWebviewPage, type WebviewTestServer} from "./WebviewTestPage";

const screenshotPath = path.join(repoRoot, "docs", "screenshots", "training-view.png");


const xss = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
const allActions: TrainingViewAction[] = ["cancel", "chat", "evaluate", "reveal"];

/** A loss curve as the built-in trainer draws it: falling, noisy, a running mean that restarts each epoch. */
function trainEvents(fromStep: number, toStep: number, stepsPerEpoch: number): TrainingViewEvent[] {
    const events: TrainingViewEvent[] = [];
    for (let step = fromStep; step <= toStep; step++) {
        // The running mean of the epoch so far: its noise shrinks as 1/√(batches into the epoch)
        const noise = (Math.sin(step * 12.9898) * 43758.5453 % 1) * 0.25 / Math.sqrt(1 + (step - 1) % stepsPerEpoch);
        const loss = 0.9 + 2.6 * Math.exp(-step / 1400) + noise;
        events.push({
            kind: "train", point: {step, epoch: step / stepsPerEpoch, loss, accuracy: Math.min(0.95, 0.2 + 0.5 * (1 - Math.exp(-step / 1500)))},
            learningRate: 1e-4 * (1 - step / (3 * stepsPerEpoch) * 0.9), tokensPerSecond: 1830 + (step % 7)
        });
    }
    return events;
}

class TrainingViewPage {
    public readonly received: TrainingViewToExtensionMessage[] = [];
    public readonly malformed: unknown[] = [];
    public readonly errors: string[] = [];
    public readonly csp: string[] = [];
    public constructor(public readonly page: Page) {}

    public receive(message: unknown): void {
        if (isTrainingViewToExtensionMessage(message)) this.received.push(message);
        else this.malformed.push(message);
    }

    public async waitFor(method: TrainingViewToExtensionMessage["method"], count = 1): Promise<TrainingViewToExtensionMessage> {
        const found = () => this.received.filter((message) => message.method === method)[count - 1];
        for (let tries = 0; tries < 100 && found() == null; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
        const message = found();
        if (message == null) throw new Error(`no ${method}; got ${this.received.map((m) => m.method).join(", ")}`);
        return message;
    }

    public async post(message: ExtensionToTrainingViewMessage): Promise<void> {
        await this.page.evaluate((data) => { (globalThis as unknown as {postMessage(d: unknown, o: string): void}).postMessage(data, "*"); }, message);
    }

    /** Posts the events as the panel does: in messages of at most `perMessage`, with the elapsed time. */
    public async events(events: TrainingViewEvent[], elapsedMs: number, perMessage = 500): Promise<void> {
        for (let start = 0; start < events.length; start += perMessage)
            await this.post({kind: "notification", method: "train/events", params: {events: events.slice(start, start + perMessage), elapsedMs}});
    }

    public text(selector: string): Promise<string> {
        return this.page.locator(selector).first().innerText();
    }
}

describe("training view webview in Chromium (extension side played by the test)", function () {
    let browser: Browser;
    let server: WebviewTestServer | undefined;
    let origin = "";
    let webview: TrainingViewPage;

    before(async function () {
        this.timeout(180_000);
        execFileSync(process.execPath, ["esbuild.mjs"], {cwd: repoRoot, stdio: "inherit"});
        server = await startWebviewTestServer((origin) => buildTrainingViewHtml({cspSource: origin, nonce: crypto.randomBytes(16).toString("base64"),
                    scriptUri: `${origin}/webview/train.js`, styleUri: `${origin}/webview/train.css`, lang: "en", title: "Training"}));
        origin = server.origin;
        browser = await launchTestChromium();
    });
    after(async () => {
        await browser?.close();
        await server?.close();
    });

    beforeEach(async () => {
        const page = await (await browser.newContext({viewport: {width: 900, height: 860}})).newPage();
        webview = new TrainingViewPage(page);
        await wireWebviewPage(page, webview, fakeVsCodeApi());
    });
    afterEach(async function () {
        await webview.page.context().close();
        if (this.currentTest?.state !== "passed") return;
        assertCleanWebviewPage(webview);
    });

    /** Loads the page, checks that `ready` comes first, and answers it with the state. */
    async function open(state: TrainingViewState, {strings = {...trainingViewStrings} as Record<string, string>, actions = allActions} = {}): Promise<void> {
        await webview.page.goto(`${origin}/`);
        assert.deepEqual(await webview.waitFor("ready"), {kind: "command", method: "ready", params: {}});
        assert.equal(webview.received.length, 1, "ready comes first, alone");
        await webview.post({kind: "notification", method: "train/state", params: {state, strings, actions}});
        await webview.page.locator(".train").waitFor();
    }

    function planned(name = "belle-7b-tuned"): TrainingViewState {
        return {...createTrainingViewState(name), epochs: 2, stepsPerEpoch: 2500};
    }

    const polylinePoints = async (selector: string): Promise<number[][]> => {
        const points = await webview.page.locator(selector).getAttribute("points") ?? "";
        return points.trim().split(/\s+/).filter((pair) => pair !== "").map((pair) => pair.split(",").map(Number));
    };

    it("draws 5,000 steps as one bounded polyline with axes, ticks and a legend, and shows step, epoch, tokens/s and ETA", async () => {
        await open(planned());
        assert.equal(await webview.text(".train-status"), "Starting");
        await webview.events(trainEvents(1, 4000, 2500), 60_000);
        assert.equal(await webview.text(".train-status"), "Training");
        assert.equal(await webview.text("[data-figure=step]"), "4000 / 5000");
        assert.equal(await webview.text("[data-figure=epoch]"), "1.60 / 2");
        assert.equal(await webview.text("[data-figure=tokensPerSecond]"), String(1830 + 4000 % 7));
        assert.equal(await webview.text("[data-figure=elapsed]"), "1:00");
        assert.equal(await webview.text("[data-figure=eta]"), "0:15", "60 s for 4,000 steps: 15 s for the last 1,000");
        assert.match(await webview.text("[data-figure=learningRate]"), /^\d\.\d\de-5$/);

        await webview.events(trainEvents(4001, 5000, 2500), 75_000);
        const points = await polylinePoints(".loss-chart .series-train polyline");
        assert.ok(points.length > 100 && points.length <= 600, `${points.length} points drawn for 5,000 steps`);
        const xs = points.map(([x]) => x!);
        assert.deepEqual(xs, [...xs].sort((a, b) => a - b), "drawn left to right");
        assert.ok(Math.max(...xs) > 600, "the curve reaches the right end: the job's last step");
        assert.ok(await webview.page.locator(".loss-chart .chart-axis text").count() >= 6, "tick labels on both axes");
        assert.ok(await webview.page.locator(".loss-chart .chart-grid line").count() >= 6, "grid lines at the ticks");
        assert.deepEqual(await webview.page.locator(".train-chart-section").first().locator(".chart-legend li").allInnerTexts(), ["Training loss"]);
        assert.equal(await webview.page.locator(".accuracy-chart .series-train polyline").count(), 1, "the accuracy chart");
        assert.equal(await webview.page.locator(".loss-chart polyline").count(), 1, "no validation curve without validation");
    });

    it("adds the validation curve with a marker per point and a legend entry", async () => {
        const state = planned();
        await open({...state, validation: true});
        assert.deepEqual(await webview.page.locator(".chart-legend").first().locator("li").allInnerTexts(), ["Training loss", "Validation loss"]);
        const validation = (step: number, loss: number): TrainingViewEvent =>
            ({kind: "validation", point: {step, epoch: step / 2500, loss, accuracy: 0.4}});
        await webview.events([...trainEvents(1, 2500, 2500), validation(2500, 1.9), ...trainEvents(2501, 5000, 2500), validation(5000, 1.6)], 10_000);
        assert.equal(await webview.page.locator(".loss-chart .series-validation circle").count(), 2);
        const points = await polylinePoints(".loss-chart .series-validation polyline");
        assert.equal(points.length, 2);
        assert.ok(points[1]![1]! > points[0]![1]!, "the second, lower loss is drawn lower down (a larger SVG y)");
    });

    it("asks the extension to cancel, then shows the end: Cancel goes, the saved model's buttons come", async () => {
        await open(planned());
        await webview.events(trainEvents(1, 10, 2500), 1_000);
        const cancel = webview.page.locator("button[data-action=cancel]");
        assert.equal(await cancel.isEnabled(), true);
        for (const action of ["chat", "evaluate", "reveal"])
            assert.equal(await webview.page.locator(`button[data-action=${action}]`).isDisabled(), true, `${action} before the model is saved`);
        await cancel.click();
        assert.deepEqual(await webview.waitFor("train/action"), {kind: "command", method: "train/action", params: {action: "cancel"}});
        assert.equal(await cancel.isDisabled(), true, "no second cancel while the first is under way");

        await webview.events([{kind: "status", status: "saved", message: null, outputPath: "/work/models/belle-7b-tuned.gguf"}], 2_000);
        assert.equal(await cancel.isHidden(), true);
        assert.equal(await webview.text(".train-status"), "Saved");
        assert.equal(await webview.text(".train-message"), "Saved to /work/models/belle-7b-tuned.gguf");
        for (const action of ["chat", "evaluate", "reveal"] as const) {
            await webview.page.locator(`button[data-action=${action}]`).click();
            assert.deepEqual(await webview.waitFor("train/action", action === "chat" ? 2 : action === "evaluate" ? 3 : 4),
                {kind: "command", method: "train/action", params: {action}});
        }
        assert.equal(await webview.text("[data-figure=eta]"), "—");
    });

    it("shows no Evaluate It button when the host cannot evaluate", async () => {
        await open(planned(), {actions: ["cancel", "chat", "reveal"]});
        assert.deepEqual(await webview.page.locator(".train-actions button").allInnerTexts(), ["Cancel", "Chat with It", "Reveal in Explorer"]);
    });

    it("shows a failure as an alert with the trainer's message", async () => {
        await open(planned());
        await webview.events([...trainEvents(1, 20, 2500),
            {kind: "status", status: "failed", message: "FineTuneError: llama.cpp could not load base.gguf", outputPath: null}], 3_000);
        assert.equal(await webview.text(".train-status"), "Failed");
        assert.equal(await webview.text("[role=alert]"), "The job failed: FineTuneError: llama.cpp could not load base.gguf");
        assert.equal(await webview.page.locator("button[data-action=cancel]").isHidden(), true);
        assert.equal(await webview.page.locator("button[data-action=chat]").isDisabled(), true);
    });

    it("renders notes, the job's name and messages as text only", async () => {
        await open(planned(`job ${xss}`));
        await webview.events([{kind: "note", text: xss}, {kind: "note", text: "Slurm job 42: RUNNING"},
            {kind: "status", status: "failed", message: xss, outputPath: null}], 0);
        assert.deepEqual(await webview.page.locator(".train-notes li").allInnerTexts(), [xss, "Slurm job 42: RUNNING"]);
        assert.equal(await webview.text("h1"), `job ${xss}`);
        assert.equal(await webview.page.locator("img, .train script").count(), 0);
        assert.equal(await webview.page.evaluate(() => (globalThis as unknown as {__pwned?: number}).__pwned), undefined);
    });

    it("uses the strings the extension sends (Chinese), and a reload asks for the state again", async () => {
        const bundle = JSON.parse(fs.readFileSync(path.join(repoRoot, "l10n", "bundle.l10n.zh-cn.json"), "utf8")) as Record<string, string>;
        const chinese = Object.fromEntries(Object.entries(trainingViewStrings).map(([key, english]) => [key, bundle[english] ?? english]));
        const state = {...planned("中文模型"), validation: true};
        await open(state, {strings: chinese});
        await webview.events(trainEvents(1, 100, 2500), 5_000);
        assert.equal(await webview.text(".train-status"), "训练中");
        assert.deepEqual(await webview.page.locator(".chart-legend").first().locator("li").allInnerTexts(), ["训练损失", "验证损失"]);
        assert.equal(await webview.text("button[data-action=cancel]"), "取消");

        await webview.page.reload();
        await webview.waitFor("ready", 2);
        assert.equal(await webview.text(".train-waiting"), trainingViewStrings.waiting, "English until the state with its strings comes");
    });

    it("looks like this in the Dark Modern theme (docs/screenshots/training-view.png)", async () => {
        const stepsPerEpoch = 1800;
        await open({...createTrainingViewState("belle-7b-2m-zh-tuned"), epochs: 3, stepsPerEpoch, validation: true});
        // Through the CSSOM, which the CSP allows (a <style> element it would block), as VS Code sets them on <html>
        await webview.page.evaluate(applyDarkModernColours);
        const validation = (step: number, loss: number, accuracy: number): TrainingViewEvent =>
            ({kind: "validation", point: {step, epoch: step / stepsPerEpoch, loss, accuracy}});
        await webview.events([
            {kind: "note", text: "The F16 base model was converted to F32 for training."},
            {kind: "note", text: "1800 training windows of 512 tokens, 90 validation windows"},
            ...trainEvents(1, stepsPerEpoch, stepsPerEpoch), validation(stepsPerEpoch, 1.86, 0.52),
            ...trainEvents(stepsPerEpoch + 1, 2 * stepsPerEpoch, stepsPerEpoch), validation(2 * stepsPerEpoch, 1.52, 0.58),
            ...trainEvents(2 * stepsPerEpoch + 1, 4520, stepsPerEpoch)
        ], 2_470_000);
        fs.mkdirSync(path.dirname(screenshotPath), {recursive: true});
        await webview.page.screenshot({path: screenshotPath, fullPage: true});
        assert.ok(fs.statSync(screenshotPath).size > 10_000);
    });
});
