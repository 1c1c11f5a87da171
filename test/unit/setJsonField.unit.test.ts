import assert from "node:assert/strict";
import {JsonScanner, type JsonNode} from "../../server/eval/JsonScanner";
import {setJsonField, type TextEdit} from "../../server/eval/annotation/setJsonField";

type ObjectNode = Extract<JsonNode, {kind: "object"}>;

/** The object of the item at `index` in a JSONL text or a JSON array text. */
function itemNode(text: string, index: number): ObjectNode {
    if (text.trimStart().startsWith("[")) {
        const array = new JsonScanner(text).parseValue();
        assert.equal(array.kind, "array");
        return (array as Extract<JsonNode, {kind: "array"}>).elements[index] as ObjectNode;
    }
    const lines = text.split("\n");
    const offset = lines.slice(0, index).reduce((sum, line) => sum + line.length + 1, 0);
    return new JsonScanner(text, {offset, end: offset + lines[index]!.length}).parseValue() as ObjectNode;
}

function apply(text: string, edit: TextEdit): string {
    return text.slice(0, edit.start) + edit.newText + text.slice(edit.end);
}

/** Everything outside the edit is unchanged, byte for byte. */
function assertOnlyEditChanged(before: string, edit: TextEdit) {
    const after = apply(before, edit);
    assert.equal(after.slice(0, edit.start), before.slice(0, edit.start));
    assert.equal(after.slice(edit.start + edit.newText.length), before.slice(edit.end));
    return after;
}

describe("setJsonField (annotation edits that keep the file as it is)", () => {
    const jsonl = [
        "{\"question\": \"中国的首都是哪里？🏯\", \"std_answer\": \"北京\", \"class\": \"open qa\"}",
        "{\"question\":\"1+1=?\",\"std_answer\":\"2\",\"class\":\"math\",\"annotation\":{\"note\":\"易\"}}",
        ""
    ].join("\n");

    it("adds an annotation object to a JSONL item in the line's own spacing, keeping key order", () => {
        const edit = setJsonField(jsonl, itemNode(jsonl, 0), ["annotation", "human_score"], 0.8);
        const after = assertOnlyEditChanged(jsonl, edit);
        const line = after.split("\n")[0]!;
        assert.equal(line, "{\"question\": \"中国的首都是哪里？🏯\", \"std_answer\": \"北京\", \"class\": \"open qa\", \"annotation\": {\"human_score\": 0.8}}");
        assert.deepEqual(Object.keys(JSON.parse(line) as object), ["question", "std_answer", "class", "annotation"]);
        assert.equal(after.split("\n")[1], jsonl.split("\n")[1]);
    });

    it("sets a field inside an existing annotation, compact where the line is compact", () => {
        const edit = setJsonField(jsonl, itemNode(jsonl, 1), ["annotation", "verdict"], "good");
        const after = assertOnlyEditChanged(jsonl, edit);
        assert.equal(after.split("\n")[1], "{\"question\":\"1+1=?\",\"std_answer\":\"2\",\"class\":\"math\",\"annotation\":{\"note\":\"易\",\"verdict\":\"good\"}}");
    });

    it("replaces an existing value in place", () => {
        const after = assertOnlyEditChanged(jsonl, setJsonField(jsonl, itemNode(jsonl, 0), ["class"], "closed qa"));
        assert.equal((JSON.parse(after.split("\n")[0]!) as {class: string}).class, "closed qa");
        const note = assertOnlyEditChanged(jsonl, setJsonField(jsonl, itemNode(jsonl, 1), ["annotation", "note"], "难：需要\"引号\""));
        assert.equal((JSON.parse(note.split("\n")[1]!) as {annotation: {note: string}}).annotation.note, "难：需要\"引号\"");
    });

    it("writes new fields of a pretty-printed CRLF array with its indentation and line breaks", () => {
        const array = "[\r\n    {\r\n        \"question\": \"写一首诗\",\r\n        \"std_answer\": \"\",\r\n        \"class\": \"generation\"\r\n    },\r\n    {\r\n        \"question\": \"列出三种水果\",\r\n        \"std_answer\": \"\",\r\n        \"class\": \"brainstorming\"\r\n    }\r\n]\r\n";
        const edit = setJsonField(array, itemNode(array, 1), ["annotation", "difficulty"], "hard");
        const after = assertOnlyEditChanged(array, edit);
        assert.ok(after.includes("        \"class\": \"brainstorming\",\r\n        \"annotation\": {\r\n            \"difficulty\": \"hard\"\r\n        }\r\n    }"), after);
        assert.ok(!/[^\r]\n/.test(after), "only CRLF line breaks");
        assert.deepEqual((JSON.parse(after) as unknown[])[1], {question: "列出三种水果", std_answer: "", class: "brainstorming", annotation: {difficulty: "hard"}});
    });

    it("fills an empty object, and refuses to write through a field that is not an object", () => {
        const empty = "{}\n";
        assert.equal(apply(empty, setJsonField(empty, itemNode(empty, 0), ["class"], "math")), "{\"class\": \"math\"}\n");
        const odd = "{\"question\": \"q\", \"annotation\": \"todo\"}";
        assert.throws(() => setJsonField(odd, itemNode(odd, 0), ["annotation", "note"], "x"), /"annotation" holds a string, not an object/);
    });
});
