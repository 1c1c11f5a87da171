import assert from "node:assert/strict";
import {JsonSyntaxError} from "../../server/eval/evalErrors";
import {JsonScanner} from "../../server/eval/JsonScanner";

function scan(text: string): unknown {
    const scanner = new JsonScanner(text);
    const value = scanner.parseValue().value;
    scanner.expectEnd("the value");
    return value;
}

describe("JsonScanner", () => {
    it("accepts and rejects exactly what JSON.parse does, with the same values", () => {
        const samples = [
            "{\"question\": \"中文\\n换行\\u4e2d\\\"引号\\\\\", \"n\": -1.5e3, \"ok\": [true, false, null], \"o\": {}}",
            "[]", " [ 1 , 2 ] ", "0", "-0", "1E+2", "\"\\ud83d\\ude00\"", "{\"__proto__\": {\"x\": 1}}",
            "{\"a\": 1, \"a\": 2}", "\"\u3000全角空格\"",
            "{'a': 1}", "{a: 1}", "[1,]", "{\"a\": 1,}", "01", "1.", ".5", "+1", "NaN", "\"\\x41\"", "\"a\nb\"",
            "\"\\u12\"", "[1 2]", "{\"a\" 1}", "tru", "[", "{\"a\": 1", "\"open", "", " ", "\u00a0[]", "\ufeff[]", "1 2"
        ];
        for (const sample of samples) {
            let expected: unknown;
            let parseFailed = false;
            try {
                expected = JSON.parse(sample);
            } catch {
                parseFailed = true;
            }
            if (parseFailed)
                assert.throws(() => scan(sample), JsonSyntaxError, `should reject ${JSON.stringify(sample)}`);
            else
                assert.deepEqual(scan(sample), expected, `should read ${JSON.stringify(sample)} as JSON.parse does`);
        }
    });

    it("keeps __proto__ as an ordinary field, as JSON.parse does", () => {
        const value = scan("{\"__proto__\": {\"polluted\": true}}") as Record<string, unknown>;
        assert.equal(Object.getPrototypeOf(value), Object.prototype);
        assert.deepEqual(Object.keys(value), ["__proto__"]);
    });

    it("records the offsets of field names and values", () => {
        const text = "{\"问题\": \"你好\", \"n\": 12}";
        const node = new JsonScanner(text).parseValue();
        assert.equal(node.kind, "object");
        if (node.kind !== "object") return;
        const [question, number] = node.properties;
        assert.equal(text.slice(question!.keyStart, question!.keyEnd), "\"问题\"");
        assert.equal(text.slice(question!.value.start, question!.value.end), "\"你好\"");
        assert.equal(text.slice(number!.value.start, number!.value.end), "12");
        assert.deepEqual([node.start, node.end], [0, text.length]);
    });

    it("points an unclosed string's error at its line break and says how to fix it", () => {
        const text = "{\"question\": \"没有结束引号\n}";
        assert.throws(() => scan(text), (error: unknown) =>
            error instanceof JsonSyntaxError && error.offset === text.indexOf("\n") && /closing '"' is missing/.test(error.message));
    });

    it("names unquoted field names in its message", () => {
        assert.throws(() => scan("{question: \"你好\"}"), /write "question"/);
    });
});
