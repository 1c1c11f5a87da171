import assert from "node:assert/strict";
import {DraftBackoff} from "../../server/engine/DraftBackoff";

/** Which of the next `steps` steps may draft, each drafting step's draft missing. */
function pattern(backoff: DraftBackoff, steps: number): string {
    let result = "";
    for (let step = 0; step < steps; step++) {
        const drafts = backoff.mayDraft();
        result += drafts ? "d" : ".";
        if (drafts) backoff.record(false);
    }
    return result;
}

describe("DraftBackoff (prompt lookup)", () => {
    it("pauses after two missed drafts in a row, for 1, 2, 4… steps", () => {
        assert.equal(pattern(new DraftBackoff(), 16), "dd.dd..dd....dd.");
    });

    it("never pauses more than 64 steps", () => {
        const backoff = new DraftBackoff();
        pattern(backoff, 2000);
        const tail = pattern(backoff, 300);
        const longest = Math.max(...tail.split("d").map((run) => run.length));
        assert.equal(longest, 64);
    });

    it("ends the pause and starts over once a draft's first token is kept", () => {
        const backoff = new DraftBackoff();
        pattern(backoff, 7); // two pauses in: the next would be 4 steps
        assert.ok(backoff.mayDraft());
        backoff.record(true);
        assert.equal(pattern(backoff, 5), "dd.dd");
    });
});
