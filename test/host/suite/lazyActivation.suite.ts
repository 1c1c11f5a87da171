import assert from "node:assert/strict";
import {activateBelleExtension, getBelleExtension} from "./belleExtension";
import {findEngineProcesses} from "./findEngineProcesses";

describe("activation", function () {
    it("starts no engine before any of its commands or views is used (it activates once startup finished, for the first-run walkthrough)", async () => {
        assert.deepEqual(findEngineProcesses(), [], "an engine runs before anything asked for one");
        const api = await activateBelleExtension();
        assert.equal(getBelleExtension().isActive, true);
        assert.equal(api.engine.status.state, "stopped");
    });

    it("starts no engine process when the extension activates", async () => {
        const api = await activateBelleExtension();
        assert.equal(getBelleExtension().isActive, true);
        assert.equal(api.engine.status.state, "stopped");
        assert.equal(api.engine.pid, undefined);
        assert.equal(api.engine.baseUrl, undefined);
        // An engine started asynchronously by activate() would have been forked by now: forking is immediate,
        // only the model load takes time.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.deepEqual(findEngineProcesses(), []);
        assert.equal(api.engine.status.state, "stopped");
    });
});
