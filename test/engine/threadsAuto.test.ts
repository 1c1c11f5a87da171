import assert from "node:assert/strict";
import {spawn, type ChildProcess} from "node:child_process";
import os from "node:os";
import {ensureEmbeddedModel} from "../../models/generate/ensureGeneratedModel";
import {startEngineProcess, type EngineProcess} from "../support/startEngineProcess";

async function threadsInUse(engine: EngineProcess): Promise<number> {
    const response = await fetch(`${engine.baseUrl}/health`, {headers: {Authorization: `Bearer ${engine.ready.token}`}});
    return ((await response.json()) as {threadsInUse: number}).threadsInUse;
}

describe("engine: --threads auto on a loaded machine", function () {
    this.timeout(180_000);
    let engine: EngineProcess;
    const spinners: ChildProcess[] = [];

    before(async () => {
        engine = await startEngineProcess(["--model", await ensureEmbeddedModel(), "--threads", "auto"]);
    });
    after(async () => {
        await Promise.all(spinners.map((spinner) => new Promise((resolve) => {
            spinner.once("exit", resolve);
            spinner.kill("SIGKILL");
        })));
        await engine?.stop();
    });

    it("uses one thread while other processes keep every core busy, and says so in its log", async () => {
        assert.ok(engine.ready.threads >= 1);
        for (let index = 0; index < os.availableParallelism(); index++)
            spinners.push(spawn(process.execPath, ["-e", "for (;;) {}"], {stdio: "ignore"}));

        // the engine samples the load every 500 ms; allow a loaded test machine plenty of intervals
        const deadline = Date.now() + 20_000;
        let threads = await threadsInUse(engine);
        while (threads !== 1 && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            threads = await threadsInUse(engine);
        }
        assert.equal(threads, 1);
        if (engine.ready.threads > 1)
            assert.match(engine.stderr(), new RegExp(`\\[engine\\] 1 of ${engine.ready.threads} threads while other processes keep cores busy`));
    });
});
