import {execFile} from "node:child_process";
import {promisify} from "node:util";
import type {Browser} from "playwright-core";
import {repoRoot} from "../../support/startEngineProcess";
import {installVscodeHost} from "./installVscodeHost";
import {launchChromium} from "./launchChromium";

/**
 * What every workbench test file needs first: code-server installed (cached), the extension, engine and webview
 * bundles built into dist/ (the host loads them from there), and Chromium.
 */
export async function prepareWorkbenchTests(): Promise<{entryPath: string, browser: Browser}> {
    const entryPath = await installVscodeHost();
    await promisify(execFile)(process.execPath, ["esbuild.mjs"], {cwd: repoRoot});
    return {entryPath, browser: await launchChromium()};
}
