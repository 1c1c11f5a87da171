import assert from "node:assert/strict";
import {describeCudaGpus, detectCudaGpus, parseNvidiaSmiGpus} from "../../extension/engine/detectCudaGpu";

// Recorded `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader[,nounits]` outputs: this machine has no GPU
describe("parseNvidiaSmiGpus", () => {
    it("reads one GPU and its memory in MiB (stand-in for a CUDA GPU: none on this machine)", () => {
        assert.deepEqual(parseNvidiaSmiGpus("NVIDIA GeForce RTX 4090, 24564\n"), [{name: "NVIDIA GeForce RTX 4090", memoryMebibytes: 24564}]);
    });

    it("reads several GPUs, with units and Windows line ends (stand-in for a CUDA GPU: none on this machine)", () => {
        assert.deepEqual(parseNvidiaSmiGpus("NVIDIA H100 80GB HBM3, 81559 MiB\r\nNVIDIA GeForce RTX 3060, 12288 MiB\r\n"), [
            {name: "NVIDIA H100 80GB HBM3", memoryMebibytes: 81559},
            {name: "NVIDIA GeForce RTX 3060", memoryMebibytes: 12288}
        ]);
    });

    it("keeps a GPU whose memory nvidia-smi cannot report (stand-in for a CUDA GPU: none on this machine)", () => {
        assert.deepEqual(parseNvidiaSmiGpus("NVIDIA GH200 480GB, [N/A]\n"), [{name: "NVIDIA GH200 480GB", memoryMebibytes: null}]);
    });

    it("finds no GPU in nvidia-smi's messages for a missing driver or device", () => {
        assert.equal(parseNvidiaSmiGpus("No devices were found\n"), null);
        assert.equal(parseNvidiaSmiGpus("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n"), null);
        assert.equal(parseNvidiaSmiGpus(""), null);
    });

    it("describes the first GPU with its memory in GB, and how many more there are", () => {
        assert.equal(describeCudaGpus([{name: "NVIDIA GeForce RTX 4090", memoryMebibytes: 24564}]), "NVIDIA GeForce RTX 4090, 24 GB");
        assert.equal(describeCudaGpus([{name: "A", memoryMebibytes: null}, {name: "B", memoryMebibytes: 1024}]), "A + 1");
    });
});

describe("detectCudaGpus", () => {
    it("finds no CUDA GPU where nvidia-smi cannot be run", async () => {
        assert.equal(await detectCudaGpus({nvidiaSmi: "/nonexistent/nvidia-smi", timeoutMs: 2000}), null);
    });
});
