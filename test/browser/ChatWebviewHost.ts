import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import {chromium, type Browser, type Page} from "playwright-core";
import {buildChatHtml} from "../../webview/protocol/buildChatHtml";
import {
    isWebviewToExtensionMessage, type ExtensionToWebviewMessage, type NotificationMap, type RequestMap,
    type WebviewToExtensionMessage
} from "../../webview/protocol/chatProtocol";
import {uiStrings} from "../../webview/protocol/uiStrings";
import {repoRoot} from "../support/startEngineProcess";
import {defaultSettings, readyEngine} from "./chatFixtures";

export const chromiumPath = "/usr/bin/chromium";

const contentTypes: Record<string, string> = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".ttf": "font/ttf",
    ".html": "text/html; charset=utf-8"
};

/** Served at /webview/ as the extension serves it through asWebviewUri (localResourceRoots = this folder only). */
const webviewDist = path.join(repoRoot, "dist", "webview");

// What VS Code injects, minus VS Code: postMessage goes to the test, and state lives in sessionStorage so that it
// survives page.reload() like a webview's state survives a reload. Calling acquireVsCodeApi twice throws, as in VS Code.
const fakeVsCodeApi = `(() => {
    const stateKey = "belle-test-webview-state";
    let acquired = false;
    window.acquireVsCodeApi = () => {
        if (acquired) throw new Error("acquireVsCodeApi may be called only once");
        acquired = true;
        return {
            postMessage: (message) => window.__belleToExtension(JSON.parse(JSON.stringify(message))),
            getState: () => { const stored = sessionStorage.getItem(stateKey); return stored == null ? undefined : JSON.parse(stored); },
            setState: (state) => { sessionStorage.setItem(stateKey, JSON.stringify(state)); }
        };
    };
    document.addEventListener("securitypolicyviolation", (event) => {
        window.__belleCspViolation(event.violatedDirective + " " + event.blockedURI);
    });
})();`;

type MessageOf<K extends WebviewToExtensionMessage["method"]> = Extract<WebviewToExtensionMessage, {method: K}>;

/**
 * One webview page in Chromium with the extension's side played by the test: everything the webview posts is
 * recorded (and checked against the protocol), and the test posts notifications and responses to it.
 */
export class ChatWebviewPage {
    public readonly received: WebviewToExtensionMessage[] = [];
    public readonly malformed: unknown[] = [];
    public readonly requestedUrls: string[] = [];
    public readonly cspViolations: string[] = [];
    public readonly pageErrors: string[] = [];
    private readonly _taken = new Set<WebviewToExtensionMessage>();
    private readonly _waiters = new Set<() => void>();

    public constructor(public readonly page: Page, public readonly origin: string) {}

    public receive(message: unknown): void {
        if (!isWebviewToExtensionMessage(message)) {
            this.malformed.push(message);
            return;
        }
        this.received.push(message);
        for (const waiter of this._waiters) waiter();
    }

    public messagesOf<K extends WebviewToExtensionMessage["method"]>(method: K): Array<MessageOf<K>> {
        return this.received.filter((message): message is MessageOf<K> => message.method === method);
    }

    /** The oldest message of `method` no earlier call returned; waits for it. */
    public nextMessage<K extends WebviewToExtensionMessage["method"]>(method: K, timeoutMs = 5_000): Promise<MessageOf<K>> {
        return new Promise((resolve, reject) => {
            const check = () => {
                const message = this.messagesOf(method).find((candidate) => !this._taken.has(candidate));
                if (message == null) return false;
                this._taken.add(message);
                resolve(message);
                return true;
            };
            if (check()) return;
            const waiter = () => {
                if (!check()) return;
                this._waiters.delete(waiter);
                clearTimeout(timer);
            };
            const timer = setTimeout(() => {
                this._waiters.delete(waiter);
                reject(new Error(`the webview sent no "${method}" within ${timeoutMs} ms; got: ${this.received.map((m) => m.method).join(", ")}`));
            }, timeoutMs);
            this._waiters.add(waiter);
        });
    }

    /** Marks everything received so far as seen, so nextMessage waits for new messages only. */
    public takeAll(): void {
        for (const message of this.received) this._taken.add(message);
    }

    public async post(message: ExtensionToWebviewMessage): Promise<void> {
        // In the page, as VS Code delivers a message from the extension: a MessageEvent on window.
        await this.page.evaluate((data) => {
            (globalThis as unknown as {postMessage(data: unknown, targetOrigin: string): void}).postMessage(data, "*");
        }, message);
    }

    public async notify<K extends keyof NotificationMap>(method: K, params: NotificationMap[K]): Promise<void> {
        await this.post({kind: "notification", method, params} as ExtensionToWebviewMessage);
    }

    public async respond<K extends keyof RequestMap>(method: K, requestId: string, result: RequestMap[K]["result"]): Promise<void> {
        await this.post({kind: "response", method, requestId, ok: true, result} as ExtensionToWebviewMessage);
    }

    /** Sends `init` as the extension does after `ready`; English strings unless `strings` says otherwise. */
    public async init(overrides: Partial<NotificationMap["init"]> = {}): Promise<void> {
        await this.notify("init", {
            locale: "en", strings: {...uiStrings}, defaultSettings, engine: readyEngine, conversation: null, needsModel: false,
            ...overrides
        });
    }

    /** Opens the page and answers its `ready` with `init`. */
    public async load(initOverrides: Partial<NotificationMap["init"]> = {}): Promise<MessageOf<"ready">> {
        await this.page.goto(`${this.origin}/`);
        const ready = await this.nextMessage("ready");
        await this.init(initOverrides);
        return ready;
    }

    public async reload(): Promise<void> {
        this.takeAll();
        await this.page.reload();
    }
}

/** A local HTTP server for dist/webview + the HTML from buildChatHtml, and the Chromium that loads it. */
export class ChatWebviewHost {
    private constructor(private readonly _browser: Browser, private readonly _server: http.Server, public readonly origin: string) {}

    public static async start(): Promise<ChatWebviewHost> {
        if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: install Debian's chromium package (.ci/run does)`);
        const server = http.createServer((request, response) => serve(request, response, origin));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const {port} = server.address() as {port: number};
        const origin = `http://127.0.0.1:${port}`;
        const browser = await chromium.launch({
            executablePath: chromiumPath,
            args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-quic"]
        });
        return new ChatWebviewHost(browser, server, origin);
    }

    public async open(): Promise<ChatWebviewPage> {
        const context = await this._browser.newContext({locale: "zh-CN"});
        const page = await context.newPage();
        const webview = new ChatWebviewPage(page, this.origin);
        await page.exposeFunction("__belleToExtension", (message: unknown) => webview.receive(message));
        await page.exposeFunction("__belleCspViolation", (violation: string) => { webview.cspViolations.push(violation); });
        await page.addInitScript(fakeVsCodeApi);
        page.on("request", (request) => { webview.requestedUrls.push(request.url()); });
        page.on("pageerror", (error) => { webview.pageErrors.push(error.message); });
        page.on("console", (message) => { if (message.type() === "error") webview.pageErrors.push(message.text()); });
        page.on("response", (response) => { if (response.status() >= 400) webview.pageErrors.push(`${response.status()} ${response.url()}`); });
        return webview;
    }

    public async close(): Promise<void> {
        await this._browser.close();
        await new Promise<void>((resolve) => this._server.close(() => resolve()));
    }
}

function serve(request: http.IncomingMessage, response: http.ServerResponse, origin: string): void {
    const url = new URL(request.url ?? "/", origin);
    if (url.pathname === "/") {
        response.writeHead(200, {"content-type": contentTypes[".html"]!});
        response.end(buildChatHtml({
            cspSource: origin,
            nonce: crypto.randomBytes(16).toString("base64"),
            scriptUri: `${origin}/webview/main.js`,
            styleUri: `${origin}/webview/main.css`,
            codiconsUri: `${origin}/webview/codicons/codicon.css`,
            lang: "en",
            title: "BELLE Chat"
        }));
        return;
    }
    if (url.pathname === "/favicon.ico") {
        response.writeHead(204).end(); // Chromium asks for one; a webview has none
        return;
    }
    const file = path.join(webviewDist, path.normalize(decodeURIComponent(url.pathname.slice("/webview/".length))));
    if (url.pathname.startsWith("/webview/") && file.startsWith(`${webviewDist}${path.sep}`) && fs.statSync(file, {throwIfNoEntry: false})?.isFile()) {
        response.writeHead(200, {"content-type": contentTypes[path.extname(file)] ?? "application/octet-stream"});
        fs.createReadStream(file).pipe(response);
        return;
    }
    response.writeHead(404).end();
}
