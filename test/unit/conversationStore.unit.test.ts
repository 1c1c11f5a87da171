import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {ConversationStore} from "../../extension/chat/ConversationStore";

const settings = {systemPrompt: "", temperature: 0.7, topP: 0.9, maxTokens: 256};

describe("ConversationStore", () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "belle-store-")); });
    afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

    it("saves a conversation atomically and reads it back in a new store", async () => {
        const store = new ConversationStore(dir);
        const conversation = store.create(settings);
        conversation.turns.push({role: "user", content: "你好，介绍一下北京 🏯"}, {role: "assistant", content: "北京是中国的首都。"});
        await store.save(conversation);
        const files = fs.readdirSync(path.join(dir, "conversations"));
        assert.deepEqual(files, [`${conversation.id}.json`], "no temporary file is left behind");

        const reread = await new ConversationStore(dir).get(conversation.id);
        assert.deepEqual(reread?.turns, conversation.turns);
        assert.equal(reread?.title, "你好，介绍一下北京 🏯");
    });

    it("titles a long first message by code points, never splitting an emoji", async () => {
        const store = new ConversationStore(dir);
        const conversation = store.create(settings);
        conversation.turns.push({role: "user", content: "😀".repeat(60)});
        await store.save(conversation);
        assert.equal(conversation.title, `${"😀".repeat(40)}…`);
    });

    it("lists newest first, searches titles and turn text, and skips empty conversations", async () => {
        const store = new ConversationStore(dir);
        const first = store.create(settings);
        first.turns.push({role: "user", content: "写一首关于春天的诗"}, {role: "assistant", content: "春眠不觉晓"});
        await store.save(first);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const second = store.create(settings);
        second.turns.push({role: "user", content: "Explain quicksort"});
        await store.save(second);
        await store.save(store.create(settings)); // no turns: not listed

        assert.deepEqual((await store.list()).map((summary) => summary.id), [second.id, first.id]);
        assert.deepEqual((await store.list("春眠")).map((summary) => summary.id), [first.id]);
        assert.deepEqual((await store.list("QUICKSORT")).map((summary) => summary.id), [second.id]);
    });

    it("deletes a conversation and refuses ids that could escape its folder", async () => {
        const store = new ConversationStore(dir);
        const conversation = store.create(settings);
        conversation.turns.push({role: "user", content: "hi"});
        await store.save(conversation);
        await store.delete(conversation.id);
        assert.deepEqual(await store.list(), []);
        assert.equal(await store.get("../../etc/passwd"), undefined);
    });
});
