import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {annotationSidecarPath, parseAnnotationSidecar, sidecarKey} from "../../server/eval/annotation/AnnotationSidecar";
import {readEvalSetAnnotations} from "../../server/eval/annotation/readEvalSetAnnotations";

describe("annotation sidecar (belle.annotationStorage = sidecar)", () => {
    it("sits beside the eval set, named after it", () => {
        assert.equal(annotationSidecarPath(path.join("data", "eval_set.json")), path.join("data", "eval_set.annotations.jsonl"));
        assert.equal(annotationSidecarPath("my.eval.jsonl"), "my.eval.annotations.jsonl");
    });

    it("reads one annotation per question, the last line winning, skipping lines that are not entries", () => {
        const entries = parseAnnotationSidecar([
            JSON.stringify({question: "中国的首都是哪里？", annotation: {difficulty: "easy"}}),
            "not json",
            JSON.stringify({question: "1+1 等于几？", annotation: [1]}),
            "",
            JSON.stringify({question: "中国的首都是哪里？ ", annotation: {human_score: 0.5, extra: true}})
        ].join("\r\n"));
        assert.deepEqual([...entries.keys()], [sidecarKey("中国的首都是哪里？")]);
        const entry = entries.get("中国的首都是哪里？")!;
        assert.equal(entry.line, 5);
        assert.deepEqual(entry.raw, {human_score: 0.5, extra: true});
        assert.deepEqual(entry.annotation, {humanScore: 0.5});
    });

    it("gives the report the sidecar's annotation over the item's own", async () => {
        const folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-sidecar-"));
        try {
            const evalSetPath = path.join(folder, "eval_set.json");
            await fs.writeFile(evalSetPath, [
                JSON.stringify({question: "甲", std_answer: "", class: "generation", annotation: {verdict: "bad"}}),
                JSON.stringify({question: "乙", std_answer: "", class: "generation", annotation: {verdict: "bad"}})
            ].join("\n") + "\n");
            await fs.writeFile(annotationSidecarPath(evalSetPath), JSON.stringify({question: "乙", annotation: {verdict: "good"}}) + "\n");
            const annotations = [...(await readEvalSetAnnotations(evalSetPath)).values()];
            assert.deepEqual(annotations, [{verdict: "bad"}, {verdict: "good"}]);
        } finally {
            await fs.rm(folder, {recursive: true, force: true});
        }
    });
});
