import {format} from "node:util";
import type {Browser} from "playwright-core";
import {extractInHostReport} from "./inHostReport";
import type {CodeServer} from "./startCodeServer";

export type InHostSuiteResult = {
    /** 0 when every in-host test passed; what `run()`'s promise settled to, as the workbench reports it. */
    exitCode: number,
    /** Mocha's report from inside the host (spec reporter lines). */
    report: string[],
    /** Everything the workbench logged, the report among it, as `[level] message` lines. */
    logs: string[]
};

/**
 * URL of a workbench window that loads the extension from `extensionDevelopmentPath` and, when
 * `extensionTestsPath` is given, runs that module's `run()` in the extension host: code-server's CLI refuses
 * `--extensionTestsPath`, but the workbench takes the same options from its `payload` query parameter.
 */
export function workbenchUrl(server: CodeServer, {folder, extensionDevelopmentPath, extensionTestsPath}: {
    folder: string,
    extensionDevelopmentPath: string,
    extensionTestsPath?: string
}): string {
    const remote = (absolutePath: string) => `vscode-remote://127.0.0.1:${server.port}${absolutePath}`;
    const payload = [
        ["extensionDevelopmentPath", remote(extensionDevelopmentPath)],
        ...(extensionTestsPath == null ? [] : [["extensionTestsPath", remote(extensionTestsPath)]]),
        ["skipWelcome", "true"]
    ];
    return `${server.baseUrl}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Runs a bundled in-host mocha suite (a module exporting `run()`) in a real extension host and waits for the
 * workbench to report how it ended through `codeAutomationExit`; its console output arrives through
 * `codeAutomationLog`.
 */
export async function runInHostSuite(server: CodeServer, browser: Browser, options: {
    folder: string,
    extensionDevelopmentPath: string,
    extensionTestsPath: string,
    timeoutMs: number
}): Promise<InHostSuiteResult> {
    const logs: string[] = [];
    const context = await browser.newContext();
    try {
        const page = await context.newPage();
        let reportExit: (exitCode: number) => void = () => {};
        const exited = new Promise<number>((resolve) => { reportExit = resolve; });
        // The extension host's console calls arrive as their argument lists, format string first.
        await page.exposeFunction("codeAutomationLog", (level: string, message: unknown) => {
            logs.push(`[${level}] ${Array.isArray(message) ? format(...message) : String(message)}`);
        });
        await page.exposeFunction("codeAutomationExit", (exitCode: number) => reportExit(exitCode));
        page.on("pageerror", (error) => logs.push(`[page error] ${error.message}`));

        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the in-host suite did not finish within ${options.timeoutMs} ms`)), options.timeoutMs);
        });
        try {
            await page.goto(workbenchUrl(server, options));
            const exitCode = await Promise.race([exited, timedOut]);
            return {exitCode, report: extractInHostReport(logs), logs};
        } catch (error) {
            throw new Error(`${(error as Error).message}\nworkbench log:\n${logs.join("\n")}\ncode-server output:\n${server.output()}`);
        } finally {
            clearTimeout(timer);
        }
    } finally {
        await context.close();
    }
}
