import path from "node:path";
import * as esbuild from "esbuild";
import {repoRoot} from "../../support/startEngineProcess";

/** The module the extension host loads as `extensionTestsPath`. */
export const inHostSuiteBundlePath = path.join(repoRoot, "dist", "test", "host", "suite", "index.cjs");

/**
 * Bundles test/host/suite into one CommonJS file for the extension host. Mocha is bundled in: the extension host
 * resolves modules from the bundle's folder, and mocha 12 is an ESM package the host should not have to load.
 * Another entry exporting `run()` (a bench's in-host half) bundles the same way into its own `outfile`.
 */
export async function bundleInHostSuite({entryPoint = path.join(repoRoot, "test", "host", "suite", "index.ts"), outfile = inHostSuiteBundlePath}: {
    entryPoint?: string,
    outfile?: string
} = {}): Promise<string> {
    await esbuild.build({
        entryPoints: [entryPoint],
        outfile,
        bundle: true,
        platform: "node",
        format: "cjs",
        target: "node20",
        external: ["vscode"],
        sourcemap: "inline",
        logLevel: "error"
    });
    return outfile;
}
