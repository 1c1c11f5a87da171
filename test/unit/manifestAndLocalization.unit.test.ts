import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {commandIds} from "../../extension/commandIds";
import {uiStrings} from "../../webview/protocol/uiStrings";
import {reportStrings} from "../../webview/report/reportStrings";
import {repoRoot} from "../support/startEngineProcess";

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, file), "utf8")) as Record<string, unknown>;
const manifest = readJson("package.json") as {contributes: {commands: Array<{command: string, title: string, category: string}>}};

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(path.join(repoRoot, dir), {withFileTypes: true, recursive: true})
        .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
        .map((entry) => path.join(entry.parentPath, entry.name));
}

describe("manifest and localization", () => {
    it("declares exactly the commands the extension registers, all under the BELLE category", () => {
        const declared = manifest.contributes.commands.map((command) => command.command).sort();
        assert.deepEqual(declared, Object.values(commandIds).sort());
        for (const command of manifest.contributes.commands) assert.equal(command.category, "BELLE", command.command);
    });

    it("has an English and a Chinese text for every %key% of package.json", () => {
        const keys = [...fs.readFileSync(path.join(repoRoot, "package.json"), "utf8").matchAll(/"%([^%"]+)%"/g)].map((match) => match[1]!);
        assert.ok(keys.length > 20);
        const english = readJson("package.nls.json");
        const chinese = readJson("package.nls.zh-cn.json");
        for (const key of keys) {
            assert.ok(typeof english[key] === "string", `package.nls.json lacks ${key}`);
            assert.ok(typeof chinese[key] === "string", `package.nls.zh-cn.json lacks ${key}`);
        }
        assert.deepEqual(Object.keys(chinese).sort(), Object.keys(english).sort());
    });

    it("translates every runtime string of the extension and the webview into Chinese", () => {
        const bundle = readJson("l10n/bundle.l10n.zh-cn.json");
        const messages = new Set<string>([...Object.values(uiStrings), ...Object.values(reportStrings)]);
        for (const file of sourceFiles("extension")) {
            const source = fs.readFileSync(file, "utf8");
            for (const match of source.matchAll(/l10n\.t\(\s*"((?:[^"\\]|\\.)*)"/g))
                messages.add(JSON.parse(`"${match[1]}"`) as string);
        }
        assert.ok(messages.size > 30);
        const missing = [...messages].filter((message) => typeof bundle[message] !== "string");
        assert.deepEqual(missing, [], "strings without a zh-cn translation in l10n/bundle.l10n.zh-cn.json");
        for (const [english, chinese] of Object.entries(bundle)) {
            const placeholders = (text: string) => [...text.matchAll(/\{\d+\}/g)].map((match) => match[0]).sort();
            assert.deepEqual(placeholders(chinese as string), placeholders(english), `placeholders differ for "${english}"`);
        }
    });
});
