// Runs the in-host suite (test/host/suite) in desktop VS Code through @vscode/test-electron, which downloads VS Code
// into .vscode-test/: for machines that can reach update.code.visualstudio.com. Not part of `npm test`, which runs
// the same suite in code-server (test/host/vscodeHost.test.ts) because it works offline.
//   node esbuild.mjs && node --import tsx test/host/runWithTestElectron.ts [--version <vscode version>]
// On Linux without a display, run it under `xvfb-run -a`.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {runTests} from "@vscode/test-electron";
import {repoRoot} from "../support/startEngineProcess";
import {bundleInHostSuite} from "./support/bundleInHostSuite";
import {createWorkspaceFolder} from "./support/createWorkspaceFolder";

async function main(): Promise<number> {
    const versionFlag = process.argv.indexOf("--version");
    const version = versionFlag === -1 ? "stable" : process.argv[versionFlag + 1];
    const extensionTestsPath = await bundleInHostSuite();
    const workspace = await createWorkspaceFolder({"belle.model": "embedded"});
    const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), "belle-test-electron-"));
    try {
        return await runTests({
            version,
            extensionDevelopmentPath: repoRoot,
            extensionTestsPath,
            launchArgs: [
                workspace.path,
                "--user-data-dir", path.join(profileDir, "user-data"),
                "--extensions-dir", path.join(profileDir, "extensions"),
                "--disable-extensions",
                "--disable-workspace-trust",
                "--skip-welcome",
                "--skip-release-notes"
            ]
        });
    } finally {
        await workspace.remove();
        await fs.rm(profileDir, {recursive: true, force: true});
    }
}

main().then((exitCode) => {
    process.exitCode = exitCode;
}, (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
