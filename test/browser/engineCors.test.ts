import assert from "node:assert/strict";
import http from "node:http";
import type {Browser, Page} from "playwright-core";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {rawEngineRequest} from "../support/rawEngineRequest";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";
import {launchTestChromium} from "./WebviewTestPage";

/** A page server on its own port, so its origin is http://127.0.0.1:<port>. */
async function servePage(): Promise<{origin: string, close: () => Promise<void>}> {
    const server = http.createServer((_request, response) => {
        response.writeHead(200, {"Content-Type": "text/html; charset=utf-8"}).end("<!doctype html><title>page</title><p>page</p>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {origin: `http://127.0.0.1:${(server.address() as {port: number}).port}`, close: () => new Promise((resolve) => server.close(() => resolve()))};
}

type PageResult = {ok: true, status: number, body: string} | {ok: false, error: string};

/** fetch() from inside the page, as a web app calling the engine would. */
function fetchFromPage(page: Page, url: string, init: {method: string, headers: Record<string, string>, body?: string}): Promise<PageResult> {
    return page.evaluate(async ({url, init}) => {
        try {
            const response = await fetch(url, init);
            return {ok: true as const, status: response.status, body: await response.text()};
        } catch (error) {
            return {ok: false as const, error: String(error)};
        }
    }, {url, init});
}

describe("engine: --allow-origin from a real page in Chromium (CORS)", function () {
    let browser: Browser;
    let engine: EngineProcess;
    let allowed: {origin: string, close: () => Promise<void>};
    let other: {origin: string, close: () => Promise<void>};

    before(async function () {
        this.timeout(180_000);
        allowed = await servePage();
        other = await servePage();
        engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--ctx-size", "256", "--parallel", "1", "--allow-origin", allowed.origin]);
        browser = await launchTestChromium();
    });
    after(async () => {
        await browser?.close();
        await engine?.stop();
        await allowed?.close();
        await other?.close();
    });

    const chatInit = () => ({
        method: "POST",
        headers: {Authorization: `Bearer ${engine.ready.token}`, "Content-Type": "application/json", "X-Stainless-Lang": "js"},
        body: JSON.stringify({messages: [{role: "user", content: "你好"}], max_tokens: 4})
    });

    it("lets an allowed page call the API: the preflight is answered without a token, and the answer carries the CORS headers", async () => {
        const page = await browser.newPage();
        try {
            await page.goto(`${allowed.origin}/`);
            const chat = await fetchFromPage(page, `${engine.baseUrl}/v1/chat/completions`, chatInit());
            assert.ok(chat.ok, chat.ok ? "" : chat.error);
            assert.equal(chat.status, 200);
            assert.equal((JSON.parse(chat.body) as {choices: unknown[]}).choices.length, 1);
            const models = await fetchFromPage(page, `${engine.baseUrl}/v1/models`, {method: "GET", headers: {Authorization: `Bearer ${engine.ready.token}`}});
            assert.ok(models.ok && models.status === 200, JSON.stringify(models));
            // An error is readable by the page too, so it can show it
            const unauthorized = await fetchFromPage(page, `${engine.baseUrl}/v1/models`, {method: "GET", headers: {Authorization: "Bearer wrong"}});
            assert.ok(unauthorized.ok && unauthorized.status === 401, JSON.stringify(unauthorized));
        } finally {
            await page.close();
        }
    });

    it("keeps a page from another origin out", async () => {
        const page = await browser.newPage();
        try {
            await page.goto(`${other.origin}/`);
            const chat = await fetchFromPage(page, `${engine.baseUrl}/v1/chat/completions`, chatInit());
            assert.equal(chat.ok, false, "the browser refuses the answer");
            const preflight = await rawEngineRequest(engine, {method: "OPTIONS", token: false, headers: {
                Origin: other.origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"
            }});
            assert.equal(preflight.status, 403);
            assert.equal(preflight.headers["access-control-allow-origin"], undefined);
        } finally {
            await page.close();
        }
    });

    it("answers a preflight for an allowed origin with 204 and the methods and headers it allows", async () => {
        const preflight = await rawEngineRequest(engine, {method: "OPTIONS", token: false, headers: {
            Origin: allowed.origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-stainless-lang"
        }});
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers["access-control-allow-origin"], allowed.origin);
        assert.match(String(preflight.headers["access-control-allow-methods"]), /POST/);
        assert.match(String(preflight.headers["access-control-allow-headers"]), /authorization/i);
        assert.match(String(preflight.headers.vary), /Origin/);
    });
});
