import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {repoRoot, startEngineProcess, type EngineProcess} from "../support/startEngineProcess";

const execFileAsync = promisify(execFile);
const cjk = /[\u4e00-\u9fff]/u;
const docPath = path.join(repoRoot, "docs", "openai-endpoint.md");
const doc = fs.readFileSync(docPath, "utf8");

/** The bodies of the doc's fenced code blocks in `language`, in order. */
function codeBlocks(language: string): string[] {
    return [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((match) => match[1] === language).map((match) => match[2]!);
}

describe("docs/openai-endpoint.md, run against a real engine on the generated model", function () {
    let engine: EngineProcess;
    /** What "BELLE: Copy Endpoint Info" copies, as the doc tells the reader to set it. */
    let env: NodeJS.ProcessEnv;

    before(async function () {
        this.timeout(180_000);
        engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--parallel", "1", "--ctx-size", "512"]);
        env = {...process.env, OPENAI_BASE_URL: `${engine.baseUrl}/v1`, OPENAI_API_KEY: engine.ready.token, BELLE_MODEL: engine.ready.model};
    });

    after(async () => {
        await engine?.stop();
    });

    const javaScriptBlocks = codeBlocks("js");

    it("has a plain and a streaming example for the openai npm SDK", () => {
        assert.equal(javaScriptBlocks.length, 2);
        assert.ok(javaScriptBlocks.every((block) => block.includes("from \"openai\"")));
        assert.ok(javaScriptBlocks.some((block) => block.includes("stream: true")));
    });

    javaScriptBlocks.forEach((block, index) => {
        it(`runs JavaScript example ${index + 1} as written, printing the model's Chinese answer`, async function () {
            this.timeout(60_000);
            // run from the repository so that `import "openai"` finds the SDK the project depends on
            const {stdout} = await execFileAsync(process.execPath, ["--input-type=module", "--eval", block], {cwd: repoRoot, env, timeout: 50_000});
            assert.match(stdout, cjk);
        });
    });

    it("runs the curl example as written", async function () {
        this.timeout(60_000);
        const [curl] = codeBlocks("bash").filter((block) => block.startsWith("curl "));
        assert.ok(curl != null, "the doc has a curl example");
        const {stdout} = await execFileAsync("bash", ["-c", curl], {env, timeout: 50_000});
        const reply = JSON.parse(stdout) as {choices: Array<{message: {content: string}}>};
        assert.match(reply.choices[0]!.message.content, cjk);
    });

    it("lists exactly the routes the engine answers", async () => {
        const documented = [...doc.matchAll(/^\| `(GET|POST) (\/[\w/]+)` \|/gm)].map((match) => `${match[1]} ${match[2]}`).sort();
        // an unknown route's 404 names every route there is
        const response = await fetch(`${engine.baseUrl}/no-such-route`, {headers: {Authorization: `Bearer ${engine.ready.token}`}});
        assert.equal(response.status, 404);
        const {error} = await response.json() as {error: {message: string}};
        const served = /Routes: (.*)\.$/.exec(error.message)?.[1]?.split(", ").sort();
        assert.deepEqual(documented, served);
    });

    it("tells the truth about the limits: the token is needed for /health too, and a foreign Origin is refused", async () => {
        assert.equal((await fetch(`${engine.baseUrl}/health`)).status, 401);
        const fromPage = await fetch(`${engine.baseUrl}/health`, {headers: {Authorization: `Bearer ${engine.ready.token}`, Origin: "https://example.com"}});
        assert.equal(fromPage.status, 403);
        assert.match(doc, /`\/health` included/);
    });
});
