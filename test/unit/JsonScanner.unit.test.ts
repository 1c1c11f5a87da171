import assert from "node:assert/strict";
import {JsonSyntaxError} from "../../server/eval/evalErrors";
import {describeJsonSyntaxProblem, JsonScanner, jsonSyntaxReasons, type JsonSyntaxProblem} from "../../server/eval/JsonScanner";

function scan(text: string, region: "file" | "line" = "file"): unknown {
    const scanner = new JsonScanner(text, {region});
    const value = scanner.parseValue().value;
    scanner.expectEnd("the value");
    return value;
}

function syntaxErrorOf(text: string, region: "file" | "line" = "file"): JsonSyntaxError {
    try {
        scan(text, region);
    } catch (error) {
        if (error instanceof JsonSyntaxError) return error;
        throw error;
    }
    assert.fail(`${JSON.stringify(text)} should not scan`);
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

    it("gives each error a reason and the parts of its message as data", () => {
        const cases: Array<[string, JsonSyntaxProblem]> = [
            ["", {reason: "unexpected_end"}],
            ["[1, }", {reason: "expected_value", found: "}"}],
            ["[1, #]", {reason: "expected_value", found: "#"}],
            ["['a']", {reason: "single_quoted_string"}],
            ["[yes]", {reason: "unquoted_text", word: "yes"}],
            ["[Infinity]", {reason: "not_a_json_value", word: "Infinity"}],
            ["[01]", {reason: "bad_number", token: "01", flaw: "leading_zero"}],
            ["[1.]", {reason: "bad_number", token: "1.", flaw: "digit_after_point"}],
            ["[1e]", {reason: "bad_number", token: "1e", flaw: ""}],
            ["{\"a\": 1, 2}", {reason: "expected_field_name", found: "2"}],
            ["{'a': 1}", {reason: "single_quoted_field_name"}],
            ["{a: 1}", {reason: "unquoted_field_name", word: "a"}],
            ["{\"问题\"\t1}", {reason: "expected_colon", key: "问题", found: "1"}],
            ["{\"a\": 1 ;}", {reason: "expected_comma_or_close", container: "object", key: "a", found: ";"}],
            ["[1 ;]", {reason: "expected_comma_or_close", container: "array", found: ";"}],
            ["{\"a\": 1 \"b\": 2}", {reason: "missing_comma", container: "object", key: "a"}],
            ["[1 [2]]", {reason: "missing_comma", container: "array"}],
            ["{\"a\": 1,}", {reason: "trailing_comma", container: "object"}],
            ["[1,]", {reason: "trailing_comma", container: "array"}],
            ["{\"a\": 1", {reason: "unclosed_object"}],
            ["[1", {reason: "unclosed_array"}],
            ["\"open", {reason: "unclosed_string"}],
            ["\"open\\", {reason: "unclosed_escape"}],
            ["\"a\nb\"", {reason: "line_break_in_string"}],
            ["\"a\u0007b\"", {reason: "control_character_in_string", found: "\u0007"}],
            ["\"\\x41\"", {reason: "bad_escape", letter: "x"}],
            ["\"\\u12\"", {reason: "bad_unicode_escape"}],
            ["{} 😀", {reason: "text_after_value", found: "😀", what: "the value"}]
        ];
        for (const [text, problem] of cases) {
            const error = syntaxErrorOf(text);
            assert.deepEqual(error.problem, problem, JSON.stringify(text));
            assert.equal(error.region, "file");
            assert.equal(error.message, describeJsonSyntaxProblem(problem, "file"));
        }
        assert.deepEqual(jsonSyntaxReasons.filter((reason) => !cases.some(([, problem]) => problem.reason === reason)), [],
            "every reason has a case");
    });

    it("says the same in English as before the reasons were data", () => {
        const messages: Array<[string, "file" | "line", string]> = [
            ["", "line", "Expected a value, but the line ends here."],
            ["{\"a\": 1 \"b\": 2}", "file", "Missing comma: add ',' after the value of \"a\"."],
            ["{\"a\" 1}", "file", "Expected ':' after the field name \"a\" but found '1'."],
            ["{\"a\": 1", "line", "The object that starts here is not closed: add '}' (the line ends first)."],
            ["{\"a\": 1 ", "file", "The object that starts here is not closed: add '}' (the file ends first)."],
            ["[1 ;]", "file", "Expected ',' or ']' after an element but found ';'."],
            ["{\"a\": 1,}", "file", "Trailing comma before '}': remove the comma after the last field."],
            ["[1.]", "file", "'1.' is not a JSON number (a digit must follow '.')."],
            ["[NaN]", "file", "NaN is not valid JSON; use null or a string."],
            ["\"a\u0001\"", "file", "control character U+0001 inside a string must be written as an escape such as \\t or \\u00XX."],
            ["\"\\q\"", "file", "'\\q' is not a JSON escape; write '\\\\' for a backslash."],
            ["\"\\u12\"", "file", "'\\u' must be followed by four hex digits, as in \\u4e2d."],
            ["\"\\", "line", "The string is not closed: the line ends after '\\'."],
            ["[1]\ufeff", "file", "Unexpected a byte-order mark (U+FEFF) after the end of the value."],
            ["[1] [", "line", "Unexpected '[' after the end of the value."]
        ];
        for (const [text, region, message] of messages) assert.equal(syntaxErrorOf(text, region).message, message, JSON.stringify(text));
    });
});
