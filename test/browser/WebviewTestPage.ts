import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import {chromium, type Browser, type Page} from "playwright-core";
import {repoRoot} from "../support/startEngineProcess";
import {chromiumPath} from "./ChatWebviewHost";

/**
 * A webview (the report, the training view) in a plain Chromium page, the extension's side played by a test: a local
 * server gives the page the webview's own HTML (with its CSP) and its files from dist/webview, and a fake
 * `acquireVsCodeApi` hands its messages to the test.
 */
const webviewDist = path.join(repoRoot, "dist", "webview");
const contentTypes: Record<string, string> = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".map": "application/json"};

/**
 * The page's `acquireVsCodeApi`: once only, as in VS Code; messages go to `__belleToExtension`, CSP violations to
 * `__belleCspViolation`. With `stateKey`, the state survives reloads of the page (in sessionStorage), as VS Code keeps it.
 */
export function fakeVsCodeApi(stateKey?: string): string {
    const state = stateKey == null ? `getState: () => undefined, setState: () => undefined`
        : `getState: () => JSON.parse(sessionStorage.getItem(${JSON.stringify(stateKey)}) ?? "null") ?? undefined,
            setState: (state) => sessionStorage.setItem(${JSON.stringify(stateKey)}, JSON.stringify(state))`;
    return `(() => {
    let acquired = false;
    window.acquireVsCodeApi = () => {
        if (acquired) throw new Error("acquireVsCodeApi may be called only once");
        acquired = true;
        return {
            postMessage: (message) => window.__belleToExtension(JSON.parse(JSON.stringify(message))),
            ${state}
        };
    };
    document.addEventListener("securitypolicyviolation", (event) => window.__belleCspViolation(event.violatedDirective + " " + event.blockedURI));
})();`;
}

export type WebviewTestServer = {origin: string, close(): Promise<void>};

/** Serves `html(origin)` at `/` and dist/webview's files under `/webview/` on 127.0.0.1. */
export async function startWebviewTestServer(html: (origin: string) => string): Promise<WebviewTestServer> {
    let origin = "";
    const server = http.createServer((request, response) => {
        const url = new URL(request.url ?? "/", origin);
        if (url.pathname === "/") {
            response.writeHead(200, {"content-type": "text/html; charset=utf-8"});
            response.end(html(origin));
            return;
        }
        const file = path.join(webviewDist, path.normalize(decodeURIComponent(url.pathname.slice("/webview/".length))));
        if (url.pathname.startsWith("/webview/") && file.startsWith(webviewDist + path.sep) && fs.existsSync(file)) {
            response.writeHead(200, {"content-type": contentTypes[path.extname(file)] ?? "application/octet-stream"});
            fs.createReadStream(file).pipe(response);
            return;
        }
        response.writeHead(url.pathname === "/favicon.ico" ? 204 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as {port: number}).port}`;
    return {origin, close: () => new Promise<void>((resolve) => server.close(() => resolve()))};
}

export function launchTestChromium(): Promise<Browser> {
    assert.ok(fs.existsSync(chromiumPath), `${chromiumPath} is missing`);
    return chromium.launch({executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]});
}

/** What a test records of its page: the messages it could not read, CSP violations, page and console errors. */
export interface WebviewPageRecorder {
    readonly errors: string[],
    readonly csp: string[],
    readonly malformed: unknown[],
    receive(message: unknown): void
}

/** Wires a new page to its recorder and the fake API, before the page loads. */
export async function wireWebviewPage(page: Page, recorder: WebviewPageRecorder, apiScript: string): Promise<void> {
    await page.exposeFunction("__belleToExtension", (message: unknown) => recorder.receive(message));
    await page.exposeFunction("__belleCspViolation", (violation: string) => { recorder.csp.push(violation); });
    await page.addInitScript(apiScript);
    page.on("pageerror", (error) => { recorder.errors.push(error.message); });
    page.on("console", (message) => { if (message.type() === "error") recorder.errors.push(message.text()); });
}

/** After a passing test: no page error, no message outside the protocol, no CSP violation. */
export function assertCleanWebviewPage(recorder: WebviewPageRecorder): void {
    assert.deepEqual(recorder.errors, [], "page errors");
    assert.deepEqual(recorder.malformed, [], "messages outside the protocol");
    assert.deepEqual(recorder.csp, [], "CSP violations");
}
