import path from "node:path";
import * as esbuild from "esbuild";
import {repoRoot} from "../../support/startEngineProcess";

/** The module the extension host loads as `extensionTestsPath`. */
export const inHostSuiteBundlePath = path.join(repoRoot, "dist", "test", "host", "suite", "index.cjs");

/**
 * Bundles test/host/suite into one CommonJS file for the extension host. Mocha is bundled in: the extension host
 * resolves modules from the bundle's folder, and mocha 12 is an ESM package the host should not have to load.
 */
export async function bundleInHostSuite(): Promise<string> {
    await esbuild.build({
        entryPoints: [path.join(repoRoot, "test", "host", "suite", "index.ts")],
        outfile: inHostSuiteBundlePath,
        bundle: true,
        platform: "node",
        format: "cjs",
        target: "node20",
        external: ["vscode"],
        sourcemap: "inline",
        logLevel: "error"
    });
    return inHostSuiteBundlePath;
}
