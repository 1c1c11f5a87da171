import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import type {Browser, BrowserContext, Page} from "playwright-core";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import {uiStrings} from "../../webview/protocol/uiStrings";
import {repoRoot} from "../support/startEngineProcess";
import {createWorkspaceFolder, type WorkspaceFolder} from "./support/createWorkspaceFolder";
import {findProcessesInGroup} from "./support/findProcessesInGroup";
import {findWebviewFrame} from "./support/findWebviewFrame";
import {installVscodeHost} from "./support/installVscodeHost";
import {launchChromium} from "./support/launchChromium";
import {runPaletteCommand} from "./support/runPaletteCommand";
import {startCodeServer, type CodeServer} from "./support/startCodeServer";

// What a user installs: `npm run package`'s linux-x64 .vsix, installed with `code-server --install-extension` and
// run from the extensions folder (no extensionDevelopmentPath, so nothing resolves into the repository).

const cjk = /[\u4e00-\u9fff]/u;
const target = "linux-x64";
/** Test builds go beside the real ones: they may lack the Marketplace's icon, LICENSE and CHANGELOG. */
const vsixOutDir = path.join(repoRoot, "dist-vsix", "test");
/** The only native files a linux-x64 .vsix may hold: node-llama-cpp's CPU and Vulkan builds, koffi's glibc build. */
const ownBinaryDirs = [
    "dist/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/",
    "dist/node_modules/@node-llama-cpp/linux-x64-vulkan/bins/linux-x64-vulkan/",
    "dist/node_modules/@koromix/koffi-linux-x64/linux_x64/"
];
const nativeFile = /\.(node|so(\.\d+)*|dylib|dll|metal|exe)$/;
/** The embedded model may have to be generated into the cache first. */
const answerTimeoutMs = 120_000;

describe(`the packaged ${target} .vsix, installed into a real VS Code host (code-server and Chromium)`, function () {
    let server: CodeServer | undefined;
    let workspace: WorkspaceFolder | undefined;
    let browser: Browser | undefined;
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    let extensionDir: string;

    before(async function () {
        if (process.platform !== "linux" || process.arch !== "x64") this.skip();
        this.timeout(10 * 60_000);
        const entryPath = await installVscodeHost();
        const {stdout} = await promisify(execFile)(process.execPath, [
            path.join(repoRoot, "scripts", "package-vsix.mjs"), "--target", target, "--allow-missing-metadata", "--out", vsixOutDir
        ], {cwd: repoRoot, maxBuffer: 16 * 1024 * 1024}).catch((error: Error & {stdout?: string, stderr?: string}) => {
            throw new Error(`npm run package failed: ${error.message}\n${error.stdout ?? ""}${error.stderr ?? ""}`);
        });
        const vsixPath = path.join(repoRoot, stdout.trim().split("\n").at(-1)!);
        workspace = await createWorkspaceFolder({"belle.model": "embedded", "belle.maxTokens": 48});
        server = await startCodeServer(entryPath, {installVsix: [vsixPath]});
        const extensionsDir = path.join(server.dataDir, "extensions");
        const installed = (await fs.readdir(extensionsDir)).filter((name) => name.startsWith("belle-group.belle-vscode-"));
        assert.equal(installed.length, 1, `one installed BELLE extension in ${extensionsDir}: ${installed.join(", ")}`);
        extensionDir = path.join(extensionsDir, installed[0]!);
        browser = await launchChromium();
    });

    after(async () => {
        await context?.close();
        await browser?.close();
        await server?.stop();
        await workspace?.remove();
    });

    it("holds no other platform's node-llama-cpp or koffi binaries, and no CUDA build", async function () {
        const files = (await fs.readdir(extensionDir, {recursive: true, withFileTypes: true}))
            .filter((entry) => entry.isFile())
            .map((entry) => path.relative(extensionDir, path.join(entry.parentPath, entry.name)));
        const natives = files.filter((file) => nativeFile.test(file));
        const foreign = natives.filter((file) => !ownBinaryDirs.some((dir) => file.startsWith(dir)));
        assert.deepEqual(foreign, [], "native files outside this platform's binary folders");
        for (const dir of ownBinaryDirs)
            assert.ok(natives.some((file) => file.startsWith(dir) && file.endsWith(".node")), `no .node addon in ${dir}`);
        assert.deepEqual((await fs.readdir(path.join(extensionDir, "dist/node_modules/@node-llama-cpp"))).sort(), ["linux-x64", "linux-x64-vulkan"]);
        assert.deepEqual(await fs.readdir(path.join(extensionDir, "dist/node_modules/@koromix")), ["koffi-linux-x64"]);
        assert.ok(!files.some((file) => /^(src|server|extension|webview|test)\/|\.ts$|\.map$/.test(file)), "sources, tests or source maps were packed");
    });

    it("trains the tiny model with the installed engine bundle and worker (koffi and llama.cpp from the .vsix)", async function () {
        this.timeout(120_000);
        const folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-vsix-train-"));
        try {
            const records = ["中国的首都是哪里？|北京。", "1+1 等于几？|2。"].map((pair) => {
                const [instruction, output] = pair.split("|");
                return JSON.stringify({instruction, input: "", output});
            });
            await fs.writeFile(path.join(folder, "train.jsonl"), Array.from({length: 8}, () => records).flat().join("\n") + "\n");
            const specPath = path.join(folder, "job.json");
            await fs.writeFile(specPath, JSON.stringify({version: 1, baseModel: await ensureGeneratedModel({shape: "tiny", type: "F32"}),
                trainingFile: "train.jsonl", output: "tuned.gguf", epochs: 1, learningRate: 0.003, contextTokens: 256}));
            // From a folder outside the repository, so nothing can resolve into its node_modules
            const {stdout} = await promisify(execFile)(process.execPath, [path.join(extensionDir, "dist", "server.cjs"), "train", "run", specPath], {cwd: folder});
            assert.match(stdout, /^epoch 1\/1: loss \d+\.\d+/m);
            assert.equal((await fs.readFile(path.join(folder, "tuned.gguf"))).subarray(0, 4).toString("latin1"), "GGUF");
        } finally {
            await fs.rm(folder, {recursive: true, force: true});
        }
    });

    it("answers 你好 in the chat from an engine that the installed extension started", async function () {
        this.timeout(answerTimeoutMs + 90_000);
        assert.ok(server != null && browser != null && workspace != null);
        context = await browser.newContext({viewport: {width: 1280, height: 800}});
        page = await context.newPage();
        const payload = JSON.stringify([["skipWelcome", "true"]]);
        await page.goto(`${server.baseUrl}/?folder=${encodeURIComponent(workspace.path)}&payload=${encodeURIComponent(payload)}`);
        await page.locator(".monaco-workbench").waitFor({timeout: 30_000});

        await runPaletteCommand(page, "BELLE: Open Chat", {timeoutMs: 60_000});
        const chat = await findWebviewFrame(page, (frame) => frame.getByRole("textbox", {name: uiStrings.inputLabel, exact: true}));
        const input = chat.getByRole("textbox", {name: uiStrings.inputLabel, exact: true});
        await input.fill("你好");
        await input.press("Enter");
        await chat.getByRole("article", {name: uiStrings.userRole, exact: true}).filter({hasText: "你好"}).waitFor({timeout: 10_000});
        const answers = chat.getByRole("article", {name: uiStrings.assistantRole, exact: true});
        try {
            await answers.filter({hasText: cjk}).first().waitFor({timeout: answerTimeoutMs});
            // Streaming turns are aria-busy until their last chunk.
            await answers.and(chat.locator("[aria-busy='true']")).waitFor({state: "detached", timeout: answerTimeoutMs});
        } catch (error) {
            throw new Error(`${(error as Error).message}\ncode-server output:\n${server.output().slice(-4000)}`);
        }
        assert.match(await answers.last().innerText(), cjk);

        const engines = findProcessesInGroup(path.join(extensionDir, "dist", "server.cjs"), server.pid);
        assert.ok(engines.length > 0, `no engine process runs ${path.join(extensionDir, "dist", "server.cjs")}`);
        // and the llama.cpp it mapped is the installed extension's own
        const mapped = await fs.readFile(`/proc/${engines[0]}/maps`, "utf8");
        assert.ok(mapped.includes(path.join(extensionDir, "dist/node_modules/@node-llama-cpp/")), `the engine mapped no llama.cpp binary from ${extensionDir}`);
        assert.deepEqual(findProcessesInGroup(path.join(repoRoot, "dist", "server.cjs"), server.pid), [], "an engine from the repository's dist/ ran");
    });
});
