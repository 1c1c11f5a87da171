import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
    evalSamplingDefaults, evalSamplingLimits, evalSamplingSettingIds, parseEvalSamplingInput, readEvalSamplingSettings, type EvalSamplingKey
} from "../../extension/config/evalSamplingSettings";
import {repoRoot} from "../support/startEngineProcess";

const readFrom = (values: Record<string, unknown>) => (settingId: string) => values[settingId];

describe("eval sampling settings", () => {
    it("are the defaults when nothing is set: greedy answers, 1024 answer tokens, 384 judge tokens", () => {
        assert.deepEqual(readEvalSamplingSettings(readFrom({})), {
            settings: {temperature: 0, topP: 1, maxTokens: 1024, judgeMaxTokens: 384},
            invalid: []
        });
    });

    it("take every value in range, the ends included", () => {
        const values = {"eval.temperature": 2, "eval.topP": 0, "eval.maxTokens": 1, "eval.judgeMaxTokens": 1_000_000};
        assert.deepEqual(readEvalSamplingSettings(readFrom(values)), {
            settings: {temperature: 2, topP: 0, maxTokens: 1, judgeMaxTokens: 1_000_000},
            invalid: []
        });
        assert.equal(readEvalSamplingSettings(readFrom({"eval.temperature": 0.7})).settings.temperature, 0.7);
    });

    it("replace a value out of range, mistyped or a fraction of a token by its default and name the setting", () => {
        const values = {"eval.temperature": 2.5, "eval.topP": "0.9", "eval.maxTokens": 512.5, "eval.judgeMaxTokens": -1};
        const {settings, invalid} = readEvalSamplingSettings(readFrom(values));
        assert.deepEqual(settings, evalSamplingDefaults);
        assert.deepEqual(invalid, [
            {key: "temperature", settingId: "belle.eval.temperature", value: 2.5, fallback: 0},
            {key: "topP", settingId: "belle.eval.topP", value: "0.9", fallback: 1},
            {key: "maxTokens", settingId: "belle.eval.maxTokens", value: 512.5, fallback: 1024},
            {key: "judgeMaxTokens", settingId: "belle.eval.judgeMaxTokens", value: -1, fallback: 384}
        ]);
    });

    it("replace NaN, Infinity, an object and a boolean without throwing, and keep the valid ones beside them", () => {
        for (const value of [Number.NaN, Number.POSITIVE_INFINITY, {value: 1}, [], true, ""]) {
            const {settings, invalid} = readEvalSamplingSettings(readFrom({"eval.temperature": value, "eval.maxTokens": 2048}));
            assert.deepEqual(settings, {...evalSamplingDefaults, maxTokens: 2048}, String(value));
            assert.deepEqual(invalid.map((entry) => entry.key), ["temperature"]);
        }
    });

    it("read what is typed in the wizard, full-width digits included, and refuse the rest", () => {
        const accepted: Array<[EvalSamplingKey, string, number]> = [
            ["temperature", "0.7", 0.7], ["temperature", " 1 ", 1], ["temperature", ".5", 0.5], ["temperature", "０．７", 0.7],
            ["topP", "0.95", 0.95], ["topP", "1.", 1], ["maxTokens", "512", 512], ["judgeMaxTokens", "１０２４", 1024]
        ];
        for (const [key, text, value] of accepted) assert.equal(parseEvalSamplingInput(key, text), value, `${key} ${text}`);
        const refused: Array<[EvalSamplingKey, string]> = [
            ["temperature", ""], ["temperature", "2.1"], ["temperature", "-0.1"], ["temperature", "abc"], ["temperature", "1e0"],
            ["topP", "1.5"], ["maxTokens", "0"], ["maxTokens", "12.5"], ["maxTokens", "1000001"], ["judgeMaxTokens", "0x10"]
        ];
        for (const [key, text] of refused) assert.equal(parseEvalSamplingInput(key, text), null, `${key} ${text}`);
    });

    it("have the defaults and ranges package.json declares", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
            contributes: {configuration: {properties: Record<string, {type: string, default: unknown, minimum?: number, maximum?: number}>}}
        };
        const properties = manifest.contributes.configuration.properties;
        for (const key of Object.keys(evalSamplingDefaults) as EvalSamplingKey[]) {
            const declared = properties[`belle.${evalSamplingSettingIds[key]}`];
            assert.ok(declared != null, `package.json declares belle.${evalSamplingSettingIds[key]}`);
            const limit = evalSamplingLimits[key];
            assert.deepEqual([declared.default, declared.minimum, declared.maximum, declared.type],
                [evalSamplingDefaults[key], limit.min, limit.max, limit.wholeNumber ? "integer" : "number"], key);
        }
    });
});
