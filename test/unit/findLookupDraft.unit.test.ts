import assert from "node:assert/strict";
import {findLookupDraft} from "../../server/engine/native/findLookupDraft";

describe("findLookupDraft (prompt lookup)", () => {
    it("drafts what followed the latest earlier occurrence of the last 3 tokens", () => {
        // 1 2 3 appears twice before the end; the later one (followed by 7 8) wins
        assert.deepEqual(findLookupDraft([1, 2, 3, 4, 5, 9, 1, 2, 3, 7, 8, 0, 1, 2, 3], 2), [7, 8]);
    });

    it("falls back to the last 2 tokens, and stops at the history's end or the limit", () => {
        assert.deepEqual(findLookupDraft([5, 2, 3, 6, 7, 8, 9, 2, 3], 3), [6, 7, 8]);
        assert.deepEqual(findLookupDraft([2, 3, 6, 2, 3], 10), [6, 2, 3]);
        assert.deepEqual(findLookupDraft([1, 2, 3, 4, 1, 2, 3], 0), []);
    });

    it("drafts nothing when the last tokens occur nowhere before, or the history is too short", () => {
        assert.deepEqual(findLookupDraft([1, 2, 3, 4, 5, 6], 4), []);
        assert.deepEqual(findLookupDraft([1, 2], 4), []);
        assert.deepEqual(findLookupDraft([], 4), []);
    });
});
