import assert from "node:assert/strict";
import * as vscode from "vscode";
import {activateBelleExtension, getBelleExtension} from "./belleExtension";

type Manifest = {contributes: {commands: Array<{command: string}>, views?: Record<string, Array<{id: string}>>}};

describe("commands", function () {
    let manifest: Manifest;
    let registered: string[];

    before(async () => {
        await activateBelleExtension();
        manifest = getBelleExtension().packageJSON as Manifest;
        // VS Code itself registers `<view id>.focus`, `.resetViewLocation`, ... for each contributed view.
        const viewIds = Object.values(manifest.contributes.views ?? {}).flat().map((view) => view.id);
        registered = (await vscode.commands.getCommands(true))
            .filter((command) => command.startsWith("belle."))
            .filter((command) => !viewIds.some((viewId) => command.startsWith(`${viewId}.`)));
    });

    it("registers every command that package.json contributes", () => {
        const contributed = manifest.contributes.commands.map((entry) => entry.command);
        const missing = contributed.filter((command) => !registered.includes(command));
        assert.deepEqual(missing, [], `contributed in package.json but not registered: ${missing.join(", ")}`);
    });

    it("registers no belle.* command that package.json does not contribute", () => {
        const contributed = new Set(manifest.contributes.commands.map((entry) => entry.command));
        const extra = registered.filter((command) => !contributed.has(command));
        assert.deepEqual(extra, [], `registered but missing from package.json: ${extra.join(", ")}`);
    });
});
