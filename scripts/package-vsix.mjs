// Builds one platform-specific .vsix per target (`vsce package --no-dependencies --target <t>`) from a staging
// folder that holds only what the installed extension runs: the production bundles, the manifest and its l10n
// files, and under dist/node_modules node-llama-cpp with its runtime dependencies, koffi, and only the target's
// own prebuilt binaries (@node-llama-cpp/<platform>[-vulkan|-metal], @koromix/koffi-<platform>). CUDA binaries
// are not packed: they are hundreds of MB, and a CUDA machine fetches them on demand.
//
//   node scripts/package-vsix.mjs [--target <t>]... [--fetch-missing] [--allow-missing-metadata] [--out <dir>]
//
// --target          linux-x64, linux-arm64, darwin-arm64, darwin-x64, win32-x64 (repeatable; default: every target
//                   whose binary packages are at hand)
// --fetch-missing   fetch the binary packages npm did not install here (other platforms' optional dependencies)
//                   with `npm pack` from the registry into dist-vsix/.packages
// --allow-missing-metadata
//                   build even without the Marketplace's icon, LICENSE, CHANGELOG.md and repository (for tests:
//                   such a .vsix installs and runs, but must not be published)
// --out             where the .vsix files go (default dist-vsix/)
//
// Why dist/node_modules and not node_modules: with --no-dependencies vsce leaves out the top-level node_modules
// (it would otherwise run `npm list` over the repository's dev tree), and Node resolves `node-llama-cpp` from
// dist/engine.mjs by looking in dist/node_modules first.
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = (await import("node:module")).createRequire(import.meta.url);

/**
 * What each VS Code target carries. `llama`: node-llama-cpp's prebuilt packages (CPU first, then the GPU build that
 * needs no extra download); `koffi`: koffi's prebuilt package; `prune`: folders of it that belong to another
 * libc (VS Code's linux targets are glibc; Alpine has its own alpine-* targets).
 */
export const vsixTargets = {
    "linux-x64": {llama: ["linux-x64", "linux-x64-vulkan"], koffi: "koffi-linux-x64", prune: [/^musl_/]},
    "linux-arm64": {llama: ["linux-arm64"], koffi: "koffi-linux-arm64", prune: [/^musl_/]},
    "darwin-arm64": {llama: ["mac-arm64-metal"], koffi: "koffi-darwin-arm64", prune: []},
    "darwin-x64": {llama: ["mac-x64"], koffi: "koffi-darwin-x64", prune: []},
    "win32-x64": {llama: ["win-x64", "win-x64-vulkan"], koffi: "koffi-win32-x64", prune: []}
};

/** Files no runtime loads: type declarations, source maps, docs, C/C++ sources and build scripts. */
const prunedFile = /(\.d\.[cm]?ts|\.map|\.md|\.markdown|\.cc|\.hh|\.h|\.hpp|\.c|\.cpp|\.inc|\.S|\.asm|CMakeLists\.txt|\.gyp|\.gypi|\.tsbuildinfo)$/i;
/** Folders no runtime loads, relative to a package: llama.cpp's source bundle (we never build), koffi's sources. */
const prunedPackagePaths = {
    "node-llama-cpp": ["llama/gitRelease.bundle", "llama/llama.cpp", "llama/localBuilds", "llama/addon", "llama/cmake", "llama/xpack", "llama/toolchains", "llama/patches", "templates"],
    "koffi": ["vendor", "lib/native", "doc", "cnoke.cjs"]
};
/** Whose runtime dependencies go in, besides the per-target binaries. */
const runtimeRoots = ["node-llama-cpp", "koffi"];
/** Optional dependencies that are per-platform binaries: added per target, never by the dependency walk. */
const binaryScopes = /^@(node-llama-cpp|koromix)\//;

class PackagingError extends Error {
    name = "PackagingError";
}

function parseArguments(argv) {
    const options = {targets: [], fetchMissing: false, allowMissingMetadata: false, outDir: path.join(repoRoot, "dist-vsix")};
    for (let index = 0; index < argv.length; index++) {
        const argument = argv[index];
        if (argument === "--target") options.targets.push(...argv[++index].split(","));
        else if (argument.startsWith("--target=")) options.targets.push(...argument.slice("--target=".length).split(","));
        else if (argument === "--fetch-missing") options.fetchMissing = true;
        else if (argument === "--allow-missing-metadata") options.allowMissingMetadata = true;
        else if (argument === "--out") options.outDir = path.resolve(argv[++index]);
        else throw new PackagingError(`unknown argument ${argument}`);
    }
    for (const target of options.targets)
        if (!(target in vsixTargets)) throw new PackagingError(`unknown target ${target} (known: ${Object.keys(vsixTargets).join(", ")})`);
    return options;
}

function readJson(file) {
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The package folder Node would resolve `name` to from `fromDir`, or undefined. */
function resolvePackageDir(name, fromDir) {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, "node_modules", name);
        if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
        if (dir === repoRoot || path.dirname(dir) === dir) return undefined;
    }
}

/** node-llama-cpp's and koffi's runtime dependency closure: package folders of the repository's node_modules. */
function runtimeDependencyDirs() {
    const found = new Set();
    const visit = (name, fromDir, requiredBy) => {
        const dir = resolvePackageDir(name, fromDir);
        if (dir == null) throw new PackagingError(`${name} (needed by ${requiredBy}) is not installed: run npm ci`);
        if (found.has(dir)) return;
        found.add(dir);
        const manifest = readJson(path.join(dir, "package.json"));
        for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir, manifest.name);
        for (const dependency of Object.keys(manifest.optionalDependencies ?? {})) {
            if (binaryScopes.test(dependency)) continue;
            const optionalDir = resolvePackageDir(dependency, dir);
            if (optionalDir == null) continue;
            // A per-platform binary (ipull's @reflink/reflink-linux-x64-gnu, say) would be this machine's in every
            // target's .vsix; its users fall back without it (ipull copies instead of reflinking).
            const optional = readJson(path.join(optionalDir, "package.json"));
            if (optional.os != null || optional.cpu != null) continue;
            visit(dependency, dir, manifest.name);
        }
    };
    for (const name of runtimeRoots) visit(name, repoRoot, "package.json");
    return [...found];
}

/** The per-target binary packages and the versions node-llama-cpp and koffi pin them to. */
function binaryPackages(target) {
    const {llama, koffi} = vsixTargets[target];
    const llamaVersion = readJson(path.join(repoRoot, "node_modules/node-llama-cpp/package.json")).version;
    const koffiVersion = readJson(path.join(repoRoot, "node_modules/koffi/package.json")).version;
    return [
        ...llama.map((name) => ({name: `@node-llama-cpp/${name}`, version: llamaVersion})),
        {name: `@koromix/${koffi}`, version: koffiVersion}
    ];
}

const fetchedDir = (outDir) => path.join(outDir, ".packages");

/** Where a binary package is at hand: the repository's node_modules (this platform's) or a fetched copy. */
function locateBinaryPackage({name, version}, outDir) {
    const installed = path.join(repoRoot, "node_modules", name);
    if (fs.existsSync(path.join(installed, "package.json")) && readJson(path.join(installed, "package.json")).version === version) return installed;
    const fetched = path.join(fetchedDir(outDir), `${name.replace("/", "+")}@${version}`, "package");
    if (fs.existsSync(path.join(fetched, "package.json"))) return fetched;
    return undefined;
}

/** `npm pack` (the registry's tarball, as npm would install it) unpacked into dist-vsix/.packages. */
function fetchBinaryPackage({name, version}, outDir) {
    const destination = path.join(fetchedDir(outDir), `${name.replace("/", "+")}@${version}`);
    fs.rmSync(destination, {recursive: true, force: true});
    fs.mkdirSync(destination, {recursive: true});
    console.log(`[package] fetching ${name}@${version} from the npm registry`);
    try {
        const tarball = execFileSync("npm", ["pack", `${name}@${version}`, "--pack-destination", destination, "--loglevel=error"], {encoding: "utf8", stdio: ["ignore", "pipe", "pipe"]})
            .trim().split("\n").at(-1);
        execFileSync("tar", ["-xzf", path.join(destination, tarball), "-C", destination]);
        fs.rmSync(path.join(destination, tarball));
        return undefined;
    } catch (error) {
        fs.rmSync(destination, {recursive: true, force: true});
        // npm's own error lines: ETARGET (the registry has no such version), E404, a network error
        const npmErrors = String(error.stderr ?? "").split("\n").filter((line) => line.startsWith("npm error") && !/complete log/.test(line));
        const reason = npmErrors.slice(0, 2).map((line) => line.replace(/^npm error\s+/, "")).join(": ") || error.message.split("\n")[0];
        return `${name}@${version}: npm pack failed (${reason})`;
    }
}

/** Copies a package folder without its nested node_modules (copied on their own when needed) and pruned files. */
function copyPackage(sourceDir, destinationDir, packageName) {
    const prunedPaths = (prunedPackagePaths[packageName] ?? []).map((relative) => path.join(sourceDir, relative));
    fs.cpSync(sourceDir, destinationDir, {
        recursive: true,
        dereference: true,
        filter: (source) => {
            if (source === path.join(sourceDir, "node_modules") || prunedPaths.includes(source)) return false;
            return !(prunedFile.test(source) && fs.statSync(source).isFile());
        }
    });
}

function checkMetadata(manifest, allowMissing) {
    const missing = [];
    if (manifest.icon == null) missing.push("\"icon\" in package.json (media/icon.png)");
    else if (!fs.existsSync(path.join(repoRoot, manifest.icon))) missing.push(`the icon ${manifest.icon} (a 128×128 or larger PNG)`);
    if (!fs.existsSync(path.join(repoRoot, "LICENSE"))) missing.push("LICENSE");
    if (!fs.existsSync(path.join(repoRoot, "CHANGELOG.md"))) missing.push("CHANGELOG.md");
    if (manifest.repository == null) missing.push("\"repository\" in package.json");
    if (missing.length > 0 && !allowMissing)
        throw new PackagingError(`the Marketplace needs what is missing here:\n  - ${missing.join("\n  - ")}\n(--allow-missing-metadata builds a .vsix for tests anyway)`);
    for (const item of missing) console.warn(`[package] warning: missing ${item}; this .vsix must not be published`);
    return missing;
}

/** The installed extension's manifest: the repository's, without what only development uses. */
function stagedManifest(manifest, {iconAvailable}) {
    const {devDependencies, scripts, bin, allowScripts, ...rest} = manifest;
    if (!iconAvailable) delete rest.icon;
    return rest;
}

function stage(target, {manifest, buildDir, dependencyDirs, binaryDirs, stageDir, iconAvailable}) {
    fs.rmSync(stageDir, {recursive: true, force: true});
    fs.mkdirSync(stageDir, {recursive: true});
    fs.writeFileSync(path.join(stageDir, "package.json"), JSON.stringify(stagedManifest(manifest, {iconAvailable}), null, 4) + "\n");
    for (const file of fs.readdirSync(repoRoot))
        if (/^(package\.nls(\.[\w-]+)?\.json|README\.md|CHANGELOG\.md|LICENSE(\.\w+)?)$/.test(file)) fs.copyFileSync(path.join(repoRoot, file), path.join(stageDir, file));
    fs.copyFileSync(path.join(repoRoot, ".vscodeignore"), path.join(stageDir, ".vscodeignore"));
    if (manifest.l10n != null) fs.cpSync(path.join(repoRoot, manifest.l10n), path.join(stageDir, manifest.l10n), {recursive: true});
    // the icon and the walkthrough's pages and images
    if (fs.existsSync(path.join(repoRoot, "media"))) fs.cpSync(path.join(repoRoot, "media"), path.join(stageDir, "media"), {recursive: true});
    fs.cpSync(buildDir, path.join(stageDir, "dist"), {recursive: true, filter: (source) => !/\.map$|[\\/]meta\.json$/.test(source)});

    const modulesDir = path.join(stageDir, "dist", "node_modules");
    const repoModules = path.join(repoRoot, "node_modules");
    for (const dir of dependencyDirs) {
        const manifestOfDir = readJson(path.join(dir, "package.json"));
        copyPackage(dir, path.join(modulesDir, path.relative(repoModules, dir)), manifestOfDir.name);
    }
    for (const {name, dir} of binaryDirs) copyPackage(dir, path.join(modulesDir, name), name);
    for (const pattern of vsixTargets[target].prune) {
        const koffiDir = path.join(modulesDir, "@koromix", vsixTargets[target].koffi);
        for (const entry of fs.readdirSync(koffiDir))
            if (pattern.test(entry)) fs.rmSync(path.join(koffiDir, entry), {recursive: true});
    }

    // Every binary package must carry its native addon: a broken tarball must not become a silent CPU fallback.
    for (const {name} of binaryDirs) {
        const addons = listFiles(path.join(modulesDir, name)).filter((file) => file.endsWith(".node"));
        if (addons.length === 0) throw new PackagingError(`${name} has no .node addon in ${path.join(modulesDir, name)}`);
    }
}

function listFiles(dir) {
    return fs.readdirSync(dir, {recursive: true, withFileTypes: true})
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}

/** The zip's central directory: each entry's name and compressed size (no ZIP64: a .vsix stays far below 4 GB). */
export function readZipEntries(file) {
    const buffer = fs.readFileSync(file);
    let end = buffer.length - 22;
    while (end >= 0 && buffer.readUInt32LE(end) !== 0x06054b50) end--;
    if (end < 0) throw new PackagingError(`${file} is not a zip file`);
    const count = buffer.readUInt16LE(end + 10);
    let offset = buffer.readUInt32LE(end + 16);
    const entries = [];
    for (let index = 0; index < count; index++) {
        const nameLength = buffer.readUInt16LE(offset + 28);
        entries.push({
            name: buffer.toString("utf8", offset + 46, offset + 46 + nameLength),
            compressedBytes: buffer.readUInt32LE(offset + 20),
            bytes: buffer.readUInt32LE(offset + 24)
        });
        offset += 46 + nameLength + buffer.readUInt16LE(offset + 30) + buffer.readUInt16LE(offset + 32);
    }
    return entries;
}

/** A package under dist/node_modules, or the first two path segments: what a size is grouped by. */
function partOf(entryName) {
    const relative = entryName.replace(/^extension\//, "");
    const module = /^dist\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(relative);
    if (module != null) return module[1];
    return relative.split("/").slice(0, 2).join("/");
}

const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function summarize(target, vsixPath) {
    const entries = readZipEntries(vsixPath);
    const parts = new Map();
    for (const entry of entries) parts.set(partOf(entry.name), (parts.get(partOf(entry.name)) ?? 0) + entry.compressedBytes);
    const largest = [...parts].sort((a, b) => b[1] - a[1]).slice(0, 4);
    return {target, file: path.relative(repoRoot, vsixPath), bytes: fs.statSync(vsixPath).size, files: entries.length, largest};
}

async function main() {
    const options = parseArguments(process.argv.slice(2));
    const manifest = readJson(path.join(repoRoot, "package.json"));
    const missingMetadata = checkMetadata(manifest, options.allowMissingMetadata);
    const iconAvailable = manifest.icon != null && fs.existsSync(path.join(repoRoot, manifest.icon));

    // Which targets can be packed: their binary packages are installed (this platform's) or fetched.
    const requested = options.targets.length > 0 ? options.targets : Object.keys(vsixTargets);
    const targets = [];
    for (const target of requested) {
        let missing = binaryPackages(target).filter((item) => locateBinaryPackage(item, options.outDir) == null);
        let why = "not installed: npm installs only this platform's optional dependencies; --fetch-missing gets them from the registry";
        if (missing.length > 0 && options.fetchMissing) {
            why = missing.map((item) => fetchBinaryPackage(item, options.outDir)).filter((failure) => failure != null).join("; ");
            missing = binaryPackages(target).filter((item) => locateBinaryPackage(item, options.outDir) == null);
        }
        if (missing.length === 0) targets.push(target);
        else if (options.targets.length > 0)
            throw new PackagingError(`${target}: missing ${missing.map((item) => `${item.name}@${item.version}`).join(", ")} (${why})`);
        else console.log(`[package] skipping ${target}: missing ${missing.map((item) => `${item.name}@${item.version}`).join(", ")} (${why})`);
    }
    if (targets.length === 0) throw new PackagingError("no target has its binary packages at hand");

    const workDir = path.join(options.outDir, ".work");
    const buildDir = path.join(workDir, "build");
    fs.rmSync(buildDir, {recursive: true, force: true});
    console.log("[package] node esbuild.mjs --production");
    execFileSync(process.execPath, ["esbuild.mjs", "--production", `--outdir=${buildDir}`], {cwd: repoRoot, stdio: "inherit"});
    const dependencyDirs = runtimeDependencyDirs();

    const vsce = require.resolve("@vscode/vsce/vsce");
    const summaries = [];
    for (const target of targets) {
        const stageDir = path.join(workDir, target);
        const binaryDirs = binaryPackages(target).map((item) => ({name: item.name, dir: locateBinaryPackage(item, options.outDir)}));
        stage(target, {manifest, buildDir, dependencyDirs, binaryDirs, stageDir, iconAvailable});
        const vsixPath = path.join(options.outDir, `${manifest.name}-${target}-${manifest.version}.vsix`);
        fs.rmSync(vsixPath, {force: true});
        const vsceArgs = [vsce, "package", "--no-dependencies", "--target", target, "--out", vsixPath];
        if (missingMetadata.length > 0) {
            vsceArgs.push("--skip-license");
            // relative README links need a base; a test build has no published one
            if (manifest.repository == null) vsceArgs.push("--allow-missing-repository", "--baseContentUrl", "https://example.invalid/", "--baseImagesUrl", "https://example.invalid/");
        }
        console.log(`[package] vsce package --target ${target}`);
        execFileSync(process.execPath, vsceArgs, {cwd: stageDir, stdio: ["ignore", "inherit", "inherit"]});
        summaries.push(summarize(target, vsixPath));
        fs.rmSync(stageDir, {recursive: true, force: true});
    }
    fs.rmSync(workDir, {recursive: true, force: true});

    console.log("\n| target | .vsix | files | largest parts (compressed) |\n|---|---|---|---|");
    for (const {target, bytes, files, largest} of summaries)
        console.log(`| ${target} | ${megabytes(bytes)} | ${files} | ${largest.map(([part, size]) => `${part} ${megabytes(size)}`).join(", ")} |`);
    for (const {file} of summaries) console.log(file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    try {
        await main();
    } catch (error) {
        console.error(`[package] ${error instanceof PackagingError ? error.message : error?.stack ?? error}`);
        process.exitCode = 1;
    }
}
