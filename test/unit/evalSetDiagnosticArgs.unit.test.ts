import assert from "node:assert/strict";
import fs from "node:fs";
import {mkdtemp, rm, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {evalSetMessages, jsonSyntaxMessages, localizeEvalSetDiagnostic, type Localizer} from "../../extension/evalSet/evalSetMessages";
import {looksLikeEvalSet} from "../../extension/evalSet/looksLikeEvalSet";
import {evalSetDiagnosticCodes, type EvalSetDiagnostic} from "../../server/eval/EvalSetDiagnostic";
import {EvalSetReader} from "../../server/eval/EvalSetReader";
import {jsonSyntaxReasons} from "../../server/eval/JsonScanner";
import {parseEvalSet, readEvalSetFile} from "../../server/eval/readEvalSet";
import {repoRoot} from "../support/startEngineProcess";

const item = (fields: Record<string, unknown>) => JSON.stringify({question: "中国的首都是哪里？", std_answer: "北京", class: "open qa", ...fields});
const itemWithout = (field: string, extra: Record<string, unknown> = {}) => {
    const fields: Record<string, unknown> = {question: "中国的首都是哪里？", std_answer: "北京", class: "open qa", ...extra};
    delete fields[field];
    return JSON.stringify(fields);
};
const parse = (text: string, maxDiagnostics?: number) => parseEvalSet(text, {filePath: "set.jsonl", maxDiagnostics}).diagnostics;
const argsOf = (diagnostics: readonly EvalSetDiagnostic[]) => diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.args]);

/** vscode.l10n's formatting (one pass of `{key}`; a template is left as it is when there are no arguments). */
function format(template: string, args: ReadonlyArray<string | number>): string {
    if (args.length === 0) return template;
    const values: ReadonlyMap<string, string | number> = new Map(args.map((value, index) => [String(index), value]));
    return template.replace(/\{([^}]+)\}/g, (match, key: string) => String(values.get(key) ?? match));
}

const english: Localizer = {t: (message, ...args) => format(message, args)};

/** Speaks the Chinese bundle, failing on a message it has no translation for, and records the templates used. */
function chineseLocalizer(used: Set<string>): Localizer {
    const bundle = JSON.parse(fs.readFileSync(path.join(repoRoot, "l10n", "bundle.l10n.zh-cn.json"), "utf8")) as Record<string, string>;
    return {t: (message, ...args) => {
        assert.ok(typeof bundle[message] === "string", `no zh-cn translation for "${message}"`);
        used.add(message);
        return format(bundle[message], args);
    }};
}

/**
 * A JSONL line for each way the JSON scanner can fail, each variant at least once; field names are Chinese so that
 * an English word left in a translated message stands out.
 */
const brokenJsonlLines = [
    `{"问题": `, `{"问题": }`, `{"问题": '北京'}`, `{"问题": beijing}`, `{"问题": NaN}`, `{"数": 01}`, `{"数": 1.}`, `{"数": 1.2.3}`,
    `{"问题": "北京", 5}`, `{'问题': "北京"}`, `{question: "北京"}`, `{"问题" "北京"}`, `{"问题": "北京" ;}`, `[1 ;]`,
    `{"问题": "北京" "类别": "math"}`, `[1 "北京"]`, `{"问题": "北京",}`, `[1,]`, `{"问题": "北京"`, `[1, 2`, `{"问题": "北京`,
    `{"问题": "北京\\`, `{"问题": "北\u0001京"}`, `{"问题": "\\x41"}`, `{"问题": "\\u12"}`, `{"问题": "北京"} x`, `{"问题": "北京"}\t{`
];

/** Every kind of problem the parser reports, each variant of each code at least once. */
async function malformedEvalSetDiagnostics(): Promise<EvalSetDiagnostic[]> {
    const valid = item({});
    const diagnostics = [
        // JSONL
        ...parse(`{"question": "a", "std_answer": "b"\n`),
        ...parse(`{"question": "a" "std_answer": "", "class": "math"}\n`),
        ...parse(["[1, 2]", "\"一个问题\"", "5", "true", "null"].join("\n")),
        ...parse([itemWithout("class"), itemWithout("std_answer"), itemWithout("question", {qestion: "q"}),
            itemWithout("question", {q: "q", a: "a"})].join("\n")),
        ...parse([item({question: 5}), item({std_answer: null}), item({question: ["a", "b"]}), item({class: false}),
            item({question: {text: "q"}}), item({question: null})].join("\n")),
        ...parse(item({question: "  "})),
        ...parse([item({class: "poetry"}), item({question: "另一个问题", class: ""})].join("\n")),
        ...parse([valid, valid].join("\n")),
        ...parse("\n \n"),
        ...parse(["1", "2", "3"].join("\n"), 1),
        ...parse(brokenJsonlLines.join("\n")),
        // a JSON array
        ...parse(`[${valid}`),
        ...parse(`[${valid},]`),
        ...parse(`[${valid} ${valid}]`),
        ...parse(`[${valid}; ${valid}]`),
        ...parse(`[${valid}] x`),
        ...parse(`[${valid}]\u0001`),
        ...parse(`[${valid}]\ufeff`),
        ...parse(`[{'question': 'a'}, ${valid}]`),
        ...parse(`[{"question": "换\n行"}, {"question": `),
        ...new EvalSetReader("set.json").readJsonArray("{}").flatMap((entry) => entry.kind === "diagnostic" ? [entry.diagnostic] : []),
        ...new EvalSetReader("set.json").readJsonArray("").flatMap((entry) => entry.kind === "diagnostic" ? [entry.diagnostic] : [])
    ];

    // Encodings can only be wrong in a file
    const folder = await mkdtemp(path.join(os.tmpdir(), "belle-eval-set-args-"));
    try {
        const utf16Path = path.join(folder, "utf16.jsonl");
        await writeFile(utf16Path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, "utf16le")]));
        const badLinePath = path.join(folder, "gbk.jsonl");
        await writeFile(badLinePath, Buffer.concat([Buffer.from(valid + "\n"), Buffer.from([0x7b, 0xc4, 0xe3, 0x7d, 0x0a])]));
        const badArrayPath = path.join(folder, "gbk.json");
        await writeFile(badArrayPath, Buffer.concat([Buffer.from(`[${valid}, {"question": "`), Buffer.from([0xc4, 0xe3]), Buffer.from("\"}]")]));
        for (const filePath of [utf16Path, badLinePath, badArrayPath]) diagnostics.push(...(await readEvalSetFile(filePath)).diagnostics);
    } finally {
        await rm(folder, {recursive: true, force: true});
    }
    return diagnostics;
}

describe("eval-set diagnostic arguments", () => {
    let diagnostics: EvalSetDiagnostic[];

    before(async () => {
        diagnostics = await malformedEvalSetDiagnostics();
    });

    it("are reported for every code the parser has", () => {
        const reported = new Set(diagnostics.map((diagnostic) => diagnostic.code));
        assert.deepEqual(evalSetDiagnosticCodes.filter((code) => !reported.has(code)), []);
    });

    it("name the field, the type found and its value for a missing field or a wrong type", () => {
        assert.deepEqual(argsOf(parse([itemWithout("class"), itemWithout("question", {q: "q", a: "a"})].join("\n"))), [
            ["missing_field", {field: "class", otherFields: "", otherFieldCount: 0}],
            ["missing_field", {field: "question", otherFields: "\"q\", \"a\"", otherFieldCount: 2}]
        ]);
        assert.deepEqual(argsOf(parse([item({question: 5}), item({std_answer: null}), item({class: ["a"]})].join("\n"))), [
            ["wrong_type", {field: "question", foundType: "number", foundValue: "5"}],
            ["wrong_type", {field: "std_answer", foundType: "null", foundValue: ""}],
            ["wrong_type", {field: "class", foundType: "array", foundValue: ""}]
        ]);
        assert.deepEqual(argsOf(parse("true\n")), [["not_an_object", {foundType: "boolean", foundValue: "true"}]]);
        assert.deepEqual(argsOf(parse(item({question: ""}))), [["empty_question", {field: "question"}]]);
    });

    it("name the class, the line of the first duplicate and the counts of what was left out", () => {
        const [unknownClass] = parse(item({class: "poetry"}));
        assert.deepEqual(unknownClass!.args, {className: "poetry", knownClasses: "open qa, closed qa, brainstorming, rewrite, generation, math, classification, summarization, code, extract, translation"});
        assert.deepEqual(parse(["", item({}), item({})].join("\n")).map((diagnostic) => [diagnostic.code, diagnostic.line, diagnostic.args]),
            [["duplicate_question", 3, {firstLine: 2}]]);
        const tooMany = parse(["1", "2", item({class: "x"})].join("\n"), 1).at(-1)!;
        assert.deepEqual([tooMany.code, tooMany.severity, tooMany.args], ["too_many_diagnostics", "error", {count: 2, errors: 1, warnings: 1}]);
    });

    it("say why JSON is invalid, with the character found where it stopped", () => {
        assert.deepEqual(argsOf(parse(`{"question": "a"\n`)), [["invalid_json", {
            reason: "syntax", syntax: "unclosed_object", region: "line", hint: "one_item_per_line"
        }]]);
        assert.deepEqual(argsOf(parse(`{"question" 1}\n{"question": "a",}\n{"q": "\\x"}\n{"question": "a"} {`)), [
            ["invalid_json", {reason: "syntax", syntax: "expected_colon", region: "line", hint: "", key: "question", found: "1"}],
            ["invalid_json", {reason: "syntax", syntax: "trailing_comma", region: "line", hint: "", container: "object"}],
            ["invalid_json", {reason: "syntax", syntax: "bad_escape", region: "line", hint: "", letter: "x"}],
            ["invalid_json", {reason: "syntax", syntax: "text_after_value", region: "line", hint: "one_item_per_line", found: "{", what: "the item"}]
        ]);
        assert.deepEqual(argsOf(parse(`[{"question": "a\nb"}]`)), [
            ["invalid_json", {reason: "syntax", syntax: "line_break_in_string", region: "file", hint: ""}]
        ]);
        const valid = item({});
        assert.deepEqual(argsOf(parse(`[${valid};\n${valid},]x`)), [
            ["invalid_json", {reason: "unexpected_after_item", found: ";"}],
            ["duplicate_question", {firstLine: 1}],
            ["invalid_json", {reason: "trailing_comma"}],
            ["invalid_json", {reason: "text_after_array", found: "x"}]
        ]);
    });

    it("have a message for every code and for every reason JSON is invalid", () => {
        for (const code of evalSetDiagnosticCodes) assert.equal(typeof evalSetMessages[code], "function", code);
        for (const reason of jsonSyntaxReasons) assert.equal(typeof jsonSyntaxMessages[reason], "function", reason);
    });

    it("are reported for every reason the JSON scanner gives, in a line and in a file", () => {
        const syntax = diagnostics.filter((diagnostic) => diagnostic.args.reason === "syntax");
        const missing = (region: string) => jsonSyntaxReasons.filter((reason) =>
            !syntax.some((diagnostic) => diagnostic.args.syntax === reason && diagnostic.args.region === region));
        assert.deepEqual(missing("line"), ["line_break_in_string"], "a JSONL line cannot hold a line break");
        assert.ok(syntax.some((diagnostic) => diagnostic.args.region === "file" && diagnostic.args.syntax === "line_break_in_string"));
        assert.ok(syntax.some((diagnostic) => diagnostic.args.region === "file" && diagnostic.args.syntax === "unexpected_end"));
    });

    it("read in Chinese with no English word left, bar JSON's own words and what the file itself holds", () => {
        const chinese = chineseLocalizer(new Set());
        // Codes that choose a sentence rather than fill one in
        const notShown = new Set(["reason", "syntax", "region", "hint", "container", "flaw", "what"]);
        for (const diagnostic of diagnostics) {
            let message = localizeEvalSetDiagnostic(diagnostic, chinese);
            assert.notEqual(message, diagnostic.message);
            for (const [name, value] of Object.entries(diagnostic.args))
                if (!notShown.has(name) && value !== "") message = message.split(String(value)).join("");
            const leftOver = message
                .replace(/\bJSONL?\b|\bnull\b|\bUTF-(8|16)\b|\bGBK\b|\bGB18030\b|\bVS Code\b|\bBELLE\b|U\+[0-9A-F]{4}/g, "")
                .replace(/\\(u[0-9a-fA-FX]{0,4}|[a-z])/g, "")
                .replace(/"(question|std_answer|class|open qa)"|\{"question", "std_answer", "class"\}/g, "");
            assert.doesNotMatch(leftOver, /[A-Za-z]{2,}/, `${diagnostic.code} ${JSON.stringify(diagnostic.args)}: ${localizeEvalSetDiagnostic(diagnostic, chinese)}`);
        }
    });

    it("render in English exactly the parser's own message", () => {
        for (const diagnostic of diagnostics)
            assert.equal(localizeEvalSetDiagnostic(diagnostic, english), diagnostic.message, `${diagnostic.code} ${JSON.stringify(diagnostic.args)}`);
        // JSON.parse and the scanner never disagree on a real line, so this one is made up
        const notJson = {...diagnostics[0]!, code: "invalid_json" as const, args: {reason: "not_json", detail: "Unexpected token"}};
        assert.equal(localizeEvalSetDiagnostic(notJson, english), "This line is not valid JSON (Unexpected token). This item is skipped.");
    });

    it("render in Chinese through l10n/bundle.l10n.zh-cn.json with every placeholder filled", () => {
        const used = new Set<string>();
        const chinese = chineseLocalizer(used);
        for (const diagnostic of diagnostics) {
            const message = localizeEvalSetDiagnostic(diagnostic, chinese);
            assert.match(message, /[\u4e00-\u9fff]/u, message);
            assert.doesNotMatch(message, /\{\d+\}/, message);
        }
        assert.ok(used.size > 30, `only ${used.size} templates were used`);
        const duplicate = diagnostics.find((diagnostic) => diagnostic.code === "duplicate_question")!;
        assert.equal(localizeEvalSetDiagnostic(duplicate, chinese),
            `与第 ${duplicate.args.firstLine} 行条目的问题相同：两条都会保留并各自评分，相当于这个问题的权重加倍。除非有意如此，请删除其中一条。`);
    });
});

describe("looksLikeEvalSet", () => {
    it("recognises an eval set by the fields of its first item, in JSONL or in an array", () => {
        assert.equal(looksLikeEvalSet(`\ufeff\n${item({})}\n{"other": 1}\n`), true);
        assert.equal(looksLikeEvalSet(`{"question": "q", "class": "math"}`), true);
        assert.equal(looksLikeEvalSet(`[\n  {\n    "question": "q",\n    "std_answer": "a"\n  }\n]`), true);
    });

    it("recognises one whose first item is broken, by its field names", () => {
        assert.equal(looksLikeEvalSet(`{"question": "q" "std_answer": "a"}\n`), true);
        assert.equal(looksLikeEvalSet(`[{"question": 'q', "class": "math"}]`), true);
    });

    it("leaves other JSON alone", () => {
        for (const text of ["", "{}", `{"name": "belle", "question": "q"}`, `{\n  "question": "q",\n  "class": "math"\n}`,
            `[1, {"question": "q", "class": "math"}]`, `{"questions": [{"question": "q", "class": "math"}]}`, "# not json"])
            assert.equal(looksLikeEvalSet(text), false, text);
    });
});
