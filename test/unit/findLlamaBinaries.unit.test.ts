import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {findLlamaBinaries, llamaBinaryPackageFolder, pickLlamaBinaries} from "../../server/train/llama/findLlamaBinaries";

// The file names in node-llama-cpp 3.21.1's prebuilt packages (bins/<folder>/), as listed from the packages themselves
const packageFiles = {
    "linux-x64": ["llama-addon.node", "libllama.v0.4.0.so", "libllama-common.so", "libggml.v0.4.0.so", "libggml-base.so", "libggml-cpu-x64.so"],
    "win-x64": ["llama.v0.4.0.dll", "llama-common.dll", "llama-addon.node", "llama-addon.lib", "ggml.v0.4.0.dll", "ggml-base.dll", "ggml-cpu-x64.dll"],
    "mac-x64": ["llama-addon.node", "libllama.v0.4.0.dylib", "libllama-common.dylib", "libggml.v0.4.0.dylib", "libggml-base.dylib"],
    "mac-arm64-metal": ["llama-addon.node", "libllama.metal.v0.4.0.dylib", "libllama-common.dylib", "libggml.metal.v0.4.0.dylib", "libggml-base.dylib"]
};

describe("findLlamaBinaries (the llama.cpp libraries the trainer loads, per platform)", () => {
    it("names node-llama-cpp's package folder for each VS Code platform", () => {
        assert.equal(llamaBinaryPackageFolder("linux", "x64"), "linux-x64");
        assert.equal(llamaBinaryPackageFolder("linux", "arm64"), "linux-arm64");
        assert.equal(llamaBinaryPackageFolder("win32", "x64"), "win-x64");
        assert.equal(llamaBinaryPackageFolder("darwin", "x64"), "mac-x64");
        assert.equal(llamaBinaryPackageFolder("darwin", "arm64"), "mac-arm64-metal");
    });

    for (const [folder, platform] of [["linux-x64", "linux"], ["win-x64", "win32"], ["mac-x64", "darwin"], ["mac-arm64-metal", "darwin"]] as const) {
        it(`picks ggml-base, ggml and llama, not llama-common nor a backend, from ${folder}`, () => {
            const binaries = pickLlamaBinaries(`/bins/${folder}`, packageFiles[folder], platform);
            const names = [binaries.ggmlBase, binaries.ggml, binaries.llama].map((file) => path.basename(file));
            const stemOf = (name: string) => name.replace(/^lib/, "").replace(/\..*$/, "");
            assert.deepEqual(names.map(stemOf), ["ggml-base", "ggml", "llama"]);
            for (const name of names) assert.ok(packageFiles[folder].includes(name), name);
        });
    }

    it("says which file is missing from which folder", () => {
        assert.throws(() => pickLlamaBinaries("/bins/linux-x64", ["libggml-base.so", "libggml.v0.4.0.so"], "linux"),
            /no file matching .*llama.*\.so\$\/ in \/bins\/linux-x64/);
    });

    it("finds the installed build on this machine, files that exist", () => {
        const binaries = findLlamaBinaries();
        for (const file of [binaries.ggmlBase, binaries.ggml, binaries.llama]) assert.ok(fs.existsSync(file), file);
    });
});
