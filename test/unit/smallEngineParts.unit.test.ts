import assert from "node:assert/strict";
import type {Token} from "node-llama-cpp";
import {QueueFullError} from "../../server/engine/engineErrors";
import {IncrementalDetokenizer} from "../../server/engine/IncrementalDetokenizer";
import {SequencePool} from "../../server/engine/SequencePool";
import {StopStringMatcher} from "../../server/engine/StopStringMatcher";
import {parseCgroupV2CpuMax, resolveThreadCount} from "../../server/engine/resolveThreadCount";

describe("StopStringMatcher", () => {
    it("holds back text that may start a stop string and releases it when it does not", () => {
        const matcher = new StopStringMatcher(["<|end|>"]);
        assert.equal(matcher.push("你好<|e"), "你好");
        assert.equal(matcher.push("nd? no"), "<|end? no");
        assert.equal(matcher.flush(), "");
        assert.equal(matcher.stopped, false);
    });

    it("cuts at the earliest stop string even when it arrives split over chunks", () => {
        const matcher = new StopStringMatcher(["\n\nHuman:", "。"]);
        assert.equal(matcher.push("第一句\n\nHu"), "第一句");
        assert.equal(matcher.push("man: 下一轮"), "");
        assert.equal(matcher.stopped, true);
        assert.equal(matcher.push("more"), "");

        const sentence = new StopStringMatcher(["\n\nHuman:", "。"]);
        assert.equal(sentence.push("你好。\n\nHuman:"), "你好");
    });

    it("returns held text at the end when generation stops for another reason", () => {
        const matcher = new StopStringMatcher(["STOP"]);
        assert.equal(matcher.push("abcST"), "abc");
        assert.equal(matcher.flush(), "ST");
    });
});

describe("SequencePool", () => {
    it("hands out the free item the caller scores highest (the sequence holding the longest prompt prefix)", async () => {
        const pool = new SequencePool(["chat-a", "judge", "chat-b"], 4);
        const prefixOf: Record<string, number> = {"chat-a": 3, judge: 40, "chat-b": 0};
        assert.equal(await pool.acquire(undefined, (item) => prefixOf[item]!), "judge");
        assert.equal(await pool.acquire(undefined, (item) => prefixOf[item]!), "chat-a");
        assert.equal(await pool.acquire(), "chat-b");
    });

    it("hands out items, queues callers in order when none is free, and rejects past the queue bound", async () => {
        const pool = new SequencePool(["a"], 1);
        const first = await pool.acquire();
        const waiting = pool.acquire();
        assert.equal(pool.queued, 1);
        await assert.rejects(pool.acquire(), QueueFullError);
        pool.release(first);
        assert.equal(await waiting, "a");
        assert.equal(pool.busy, 1);
    });

    it("drops a waiter whose signal aborts, so it never takes a sequence", async () => {
        const pool = new SequencePool([1], 4);
        const held = await pool.acquire();
        const controller = new AbortController();
        const waiting = pool.acquire(controller.signal);
        controller.abort(new Error("gone"));
        await assert.rejects(waiting, /gone/);
        assert.equal(pool.queued, 0);
        pool.release(held);
        assert.equal(pool.busy, 0);
    });
});

describe("resolveThreadCount", () => {
    it("never uses more threads than the CPUs the affinity mask and the cgroup quota allow", () => {
        assert.equal(resolveThreadCount("auto", {affinityCpus: 2, quotaCpus: null}), 2);
        assert.equal(resolveThreadCount("auto", {affinityCpus: 16, quotaCpus: 2}), 2);
        assert.equal(resolveThreadCount("auto", {affinityCpus: 16, quotaCpus: 1.5}), 1);
        assert.equal(resolveThreadCount("auto", {affinityCpus: 4, quotaCpus: 0.5}), 1);
        assert.equal(resolveThreadCount(3, {affinityCpus: 1, quotaCpus: null}), 3, "an explicit count is the user's choice");
        assert.throws(() => resolveThreadCount(0), RangeError);
    });

    it("reads cgroup v2 cpu.max", () => {
        assert.equal(parseCgroupV2CpuMax("max 100000\n"), null);
        assert.equal(parseCgroupV2CpuMax("200000 100000\n"), 2);
        assert.equal(parseCgroupV2CpuMax("50000 100000"), 0.5);
    });
});

describe("IncrementalDetokenizer", () => {
    /** A byte-level BPE vocabulary (as Qwen2's): each token is some bytes, which need not end on a character boundary. */
    function byteLevel(pieces: readonly number[][]) {
        const detokenize = (tokens: readonly Token[]) => Buffer.from(tokens.flatMap((token) => pieces[token]!)).toString("utf8");
        return {tokens: pieces.map((_, index) => index as Token), detokenizer: new IncrementalDetokenizer(detokenize)};
    }

    it("holds a character over a run of tokens that each end mid-character, however long, and loses none", () => {
        const text = "你好世界🌏";
        const bytes = [...Buffer.from(text, "utf8")];
        // 1 byte, then 3 at a time from the second: every token ends inside a character until the last
        const pieces = [bytes.slice(0, 1), ...Array.from({length: Math.ceil((bytes.length - 1) / 3)}, (_, index) => bytes.slice(1 + index * 3, 4 + index * 3))];
        assert.ok(pieces.length > 4, "a run longer than the old four-token limit");
        assert.ok(pieces.slice(0, -1).every((piece) => Buffer.from(piece).toString("utf8").endsWith("\uFFFD")), "every token but the last ends mid-character");
        const {tokens, detokenizer} = byteLevel(pieces);
        const emitted = tokens.map((token) => detokenizer.push(token));
        emitted.push(detokenizer.flush());
        assert.equal(emitted.join(""), text);
        assert.ok(emitted.every((piece) => !piece.includes("\uFFFD")), JSON.stringify(emitted));
        // Each character goes out as soon as its last byte arrives, not at the end of the run
        assert.deepEqual(emitted, ["", "你", "好", "世", "界", "🌏", ""]);
    });

    it("lets invalid bytes through as U+FFFD once a later token ends on a character boundary", () => {
        const {tokens, detokenizer} = byteLevel([[0x80], [0x41], [0xe4, 0xbd], [0xa0]]);
        const emitted = tokens.map((token) => detokenizer.push(token));
        emitted.push(detokenizer.flush());
        assert.equal(emitted.join(""), "\uFFFDA你");
    });

    it("gives what is still held at the end, an incomplete character as U+FFFD", () => {
        const {tokens, detokenizer} = byteLevel([[0x41], [0xe4, 0xbd]]);
        assert.deepEqual([detokenizer.push(tokens[0]!), detokenizer.push(tokens[1]!), detokenizer.flush()], ["A", "", "\uFFFD"]);
    });
});
