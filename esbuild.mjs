// Builds the three bundles: extension (node, cjs, `vscode` external), server (node: dist/server.cjs, which
// loads the esm dist/engine.mjs; node-llama-cpp external: native binaries, loaded only by the engine) and webview (browser: the chat, and the evaluation report
// as dist/webview/report.js + report.css).
//   node esbuild.mjs [--watch] [--production] [--outdir=<dir>]   (default dist; scripts/package-vsix.mjs builds elsewhere)
import fs from "node:fs";
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");
const outDir = process.argv.find((arg) => arg.startsWith("--outdir="))?.slice("--outdir=".length) ?? "dist";

const common = {
    bundle: true,
    sourcemap: !production,
    minify: production,
    metafile: true,
    logLevel: "warning",
    legalComments: "none"
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
    {
        ...common,
        entryPoints: ["server/main.ts"],
        outfile: "dist/engine.mjs",
        platform: "node",
        format: "esm",
        target: "node20",
        external: ["node-llama-cpp", "@node-llama-cpp/*", "koffi"],
        // some bundled CommonJS dependencies call require(): give the ESM bundle one
        banner: {js: "import {createRequire as __belleCreateRequire} from 'node:module'; const require = __belleCreateRequire(import.meta.url);"}
    },
    {
        // the engine's native token loop: a worker thread that decodes and samples through llama.cpp's C API (koffi)
        ...common,
        entryPoints: ["server/engine/native/nativeTokenLoopWorker.ts"],
        outfile: "dist/nativeTokenLoopWorker.mjs",
        platform: "node",
        format: "esm",
        target: "node20",
        external: ["koffi", "node-llama-cpp", "@node-llama-cpp/*"],
        banner: {js: "import {createRequire as __belleCreateRequire} from 'node:module'; const require = __belleCreateRequire(import.meta.url);"}
    },
    {
        // the engine's entry point: sizes the libuv pool before any ES module loads (server/launch.ts)
        ...common,
        entryPoints: ["server/launch.ts"],
        outfile: "dist/server.cjs",
        platform: "node",
        format: "cjs",
        target: "node20"
    },
    {
        // the built-in trainer's worker process (`belle train run`): llama.cpp's training API through koffi
        ...common,
        entryPoints: ["server/train/trainer/trainWorker.ts"],
        outfile: "dist/trainWorker.mjs",
        platform: "node",
        format: "esm",
        target: "node20",
        // node-llama-cpp only for the chat template (readGgufFileInfo, resolveChatWrapper): its native addon is never loaded here
        external: ["koffi", "node-llama-cpp", "@node-llama-cpp/*"],
        banner: {js: "import {createRequire as __belleCreateRequire} from 'node:module'; const require = __belleCreateRequire(import.meta.url);"}
    },
    {
        ...common,
        entryPoints: ["extension/extension.ts"],
        outfile: "dist/extension.cjs",
        platform: "node",
        format: "cjs",
        target: "node20",
        external: ["vscode"]
    },
    {
        ...common,
        entryPoints: ["webview/main.ts"],
        outfile: "dist/webview/main.js",
        platform: "browser",
        format: "esm",
        target: "es2022"
    },
    {
        ...common,
        entryPoints: ["webview/report/main.ts"],
        outfile: "dist/webview/report.js",
        platform: "browser",
        format: "esm",
        target: "es2022"
    },
    {
        // the training view (live loss curves): dist/webview/train.js + train.css
        ...common,
        entryPoints: ["webview/train/main.ts"],
        outfile: "dist/webview/train.js",
        platform: "browser",
        format: "esm",
        target: "es2022"
    }
].filter((options) => options.entryPoints.every((entry) => fs.existsSync(entry)))
    .map((options) => ({...options, outfile: options.outfile.replace(/^dist\//, `${outDir}/`)}));

/** Codicons for `<vscode-icon>`: the webview may load files only from dist/webview (localResourceRoots). */
function copyWebviewAssets() {
    if (!fs.existsSync("webview/main.ts")) return;
    fs.mkdirSync(`${outDir}/webview/codicons`, {recursive: true});
    for (const file of ["codicon.css", "codicon.ttf"])
        fs.copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `${outDir}/webview/codicons/${file}`);
}

if (watch) {
    copyWebviewAssets();
    for (const options of builds)
        await (await esbuild.context(options)).watch();
    console.log("[esbuild] watching");
} else {
    const results = await Promise.all(builds.map((options) => esbuild.build(options)));
    copyWebviewAssets();
    fs.mkdirSync(outDir, {recursive: true});
    fs.writeFileSync(`${outDir}/meta.json`, JSON.stringify(results.map((result) => result.metafile)));
}
