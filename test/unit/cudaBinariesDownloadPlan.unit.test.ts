import assert from "node:assert/strict";
import path from "node:path";
import {cudaBinariesRoot, planCudaBinariesDownload, staleCudaBinaryVersions} from "../../extension/engine/cudaBinariesDownloadPlan";

const machine = {
    cudaGpuDetected: true,
    nodeLlamaCppVersion: "3.22.1",
    globalStoragePath: path.join("/home/u/.vscode/globalStorage", "belle-group.belle-vscode"),
    nodeLlamaCppDir: path.join("/home/u/.vscode/extensions", "belle-group.belle-vscode-0.1.0-linux-x64", "dist", "node_modules", "node-llama-cpp")
};

describe("planCudaBinariesDownload", () => {
    it("fetches node-llama-cpp's linux-x64 CUDA package and its -ext fallback of the same version into global storage", () => {
        const plan = planCudaBinariesDownload({...machine, platform: "linux", arch: "x64"});
        assert.deepEqual(plan, {
            packageName: "@node-llama-cpp/linux-x64-cuda",
            version: "3.22.1",
            packages: [{
                packageName: "@node-llama-cpp/linux-x64-cuda",
                packumentUrl: "https://registry.npmjs.org/@node-llama-cpp%2flinux-x64-cuda",
                tarballUrl: "https://registry.npmjs.org/@node-llama-cpp/linux-x64-cuda/-/linux-x64-cuda-3.22.1.tgz",
                unpack: "all"
            }, {
                packageName: "@node-llama-cpp/linux-x64-cuda-ext",
                packumentUrl: "https://registry.npmjs.org/@node-llama-cpp%2flinux-x64-cuda-ext",
                tarballUrl: "https://registry.npmjs.org/@node-llama-cpp/linux-x64-cuda-ext/-/linux-x64-cuda-ext-3.22.1.tgz",
                unpack: "bins"
            }],
            packageDir: path.join(machine.globalStoragePath, "node-llama-cpp-cuda", "3.22.1", "linux-x64-cuda"),
            binsDir: path.join(machine.globalStoragePath, "node-llama-cpp-cuda", "3.22.1", "linux-x64-cuda", "bins", "linux-x64-cuda"),
            linkPath: path.join(machine.nodeLlamaCppDir, "bins", "linux-x64-cuda")
        });
    });

    it("names the Windows package with node-llama-cpp's platform name, win", () => {
        const plan = planCudaBinariesDownload({...machine, platform: "win32", arch: "x64", registryUrl: "https://registry.npmmirror.com"});
        assert.equal(plan?.packageName, "@node-llama-cpp/win-x64-cuda");
        assert.equal(plan?.packages[0]?.tarballUrl, "https://registry.npmmirror.com/@node-llama-cpp/win-x64-cuda/-/win-x64-cuda-3.22.1.tgz");
        assert.equal(plan?.packages[1]?.packageName, "@node-llama-cpp/win-x64-cuda-ext");
        assert.equal(path.basename(plan!.linkPath), "win-x64-cuda");
    });

    it("plans nothing without a CUDA GPU, on macOS, or on arm64, where no CUDA build is published", () => {
        assert.equal(planCudaBinariesDownload({...machine, cudaGpuDetected: false, platform: "linux", arch: "x64"}), undefined);
        assert.equal(planCudaBinariesDownload({...machine, platform: "darwin", arch: "arm64"}), undefined);
        assert.equal(planCudaBinariesDownload({...machine, platform: "linux", arch: "arm64"}), undefined);
    });

    it("keeps one version folder: the others under its root are stale", () => {
        assert.equal(cudaBinariesRoot(machine.globalStoragePath), path.join(machine.globalStoragePath, "node-llama-cpp-cuda"));
        assert.deepEqual(staleCudaBinaryVersions(["3.21.1", "3.22.1", "3.22.0"], "3.22.1"), ["3.21.1", "3.22.0"]);
    });
});
