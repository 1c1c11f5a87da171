import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {buildVocabulary} from "../../models/generate/buildVocabulary";
import {ensureGeneratedModel} from "../../models/generate/ensureGeneratedModel";
import {chatMlTemplate, modelShapes} from "../../models/generate/generateLlamaModel";
import {formatGgufSummary, inspectGguf, type GgufInspection} from "../../models/gguf/inspectGguf";

/** Parameters of the generator's llama layout: embeddings, output, output norm, and per block attention + FFN. */
function expectedParameterCount(vocabularySize: number): number {
    const {embeddingLength: embd, blockCount, headCount, headCountKv, feedForwardLength: ff} = modelShapes.tiny;
    const kvLength = (embd / headCount) * headCountKv;
    const perBlock = embd + embd * embd + 2 * embd * kvLength + embd * embd + embd + 3 * embd * ff;
    return 2 * vocabularySize * embd + embd + blockCount * perBlock;
}

describe("inspectGguf on the generated tiny model", function () {
    this.timeout(10_000);

    let modelPath: string;
    let inspection: GgufInspection;
    const vocabularySize = buildVocabulary().tokens.length;

    before(async function () {
        this.timeout(60_000);
        modelPath = await ensureGeneratedModel({shape: "tiny"});
        inspection = await inspectGguf(modelPath);
    });

    it("reads the architecture, shape and vocabulary the generator wrote", () => {
        const {tiny} = modelShapes;
        assert.equal(inspection.architecture, "llama");
        assert.equal(inspection.blockCount, tiny.blockCount);
        assert.equal(inspection.embeddingLength, tiny.embeddingLength);
        assert.equal(inspection.headCount, tiny.headCount);
        assert.equal(inspection.headCountKv, tiny.headCountKv);
        assert.equal(inspection.feedForwardLength, tiny.feedForwardLength);
        assert.equal(inspection.contextLengthTrained, tiny.contextLength);
        assert.equal(inspection.vocabularySize, vocabularySize);
        assert.ok(vocabularySize > 21_000 && vocabularySize < 22_000, `vocabulary of ${vocabularySize}`);
        assert.equal(inspection.tokenizerModel, "llama");
        assert.equal(inspection.offloadableLayers, tiny.blockCount + 1);
    });

    it("counts parameters from the tensor shapes, matching the known layout", () => {
        assert.equal(inspection.parameterCount, expectedParameterCount(vocabularySize));
        assert.equal(inspection.tensorCount, 2 + 1 + 9 * modelShapes.tiny.blockCount);
    });

    it("names the file type and the tensor type of most weights", () => {
        assert.equal(inspection.fileType, "MOSTLY_F16");
        assert.equal(inspection.dominantTensorType, "F16");
        assert.equal(inspection.ggufVersion, 3);
        assert.equal(inspection.fileSizeBytes, fs.statSync(modelPath).size);
    });

    it("finds the chat template and gives its text", () => {
        assert.equal(inspection.hasChatTemplate, true);
        assert.equal(inspection.chatTemplate, chatMlTemplate);
    });

    it("estimates more memory for a larger context, and none on the GPU without offloaded layers", () => {
        const small = inspection.estimateMemory({contextSize: 512});
        const medium = inspection.estimateMemory({contextSize: 2048});
        const large = inspection.estimateMemory({contextSize: 4096});

        assert.ok(small.modelRamBytes > 0 && small.contextRamBytes > 0);
        assert.ok(small.totalRamBytes < medium.totalRamBytes && medium.totalRamBytes < large.totalRamBytes);
        assert.equal(large.totalVramBytes, 0);
        assert.equal(large.totalRamBytes, large.modelRamBytes + large.contextRamBytes);
        // The model's weights alone are at least as big as its F16 matrices
        assert.ok(small.modelRamBytes >= 2 * inspection.parameterCount - 4096);
    });

    it("moves memory to the GPU as layers are offloaded, and grows with the number of sequences", () => {
        const offloaded = inspection.estimateMemory({contextSize: 2048, gpuLayers: inspection.offloadableLayers});
        assert.ok(offloaded.modelVramBytes > 0 && offloaded.contextVramBytes > 0);
        assert.ok(offloaded.modelRamBytes < inspection.estimateMemory({contextSize: 2048}).modelRamBytes);

        const four = inspection.estimateMemory({contextSize: 2048, sequences: 4, gpuLayers: inspection.offloadableLayers});
        assert.ok(four.totalVramBytes > offloaded.totalVramBytes);
    });

    it("plans no GPU layers without VRAM and every layer with plenty", () => {
        assert.equal(inspection.planGpuLayers({freeVramBytes: 0, contextSize: 4096}), 0);
        assert.equal(inspection.planGpuLayers({freeVramBytes: 1024 ** 4, contextSize: 4096, sequences: 4}), inspection.offloadableLayers);
    });

    it("plans exactly as many layers as the estimates say fit", () => {
        const twoLayers = inspection.estimateMemory({contextSize: 4096, gpuLayers: 2}).totalVramBytes;
        const threeLayers = inspection.estimateMemory({contextSize: 4096, gpuLayers: 3}).totalVramBytes;
        assert.ok(twoLayers < threeLayers);
        assert.equal(inspection.planGpuLayers({freeVramBytes: twoLayers, contextSize: 4096, vramPaddingBytes: 0}), 2);
        assert.equal(inspection.planGpuLayers({freeVramBytes: threeLayers - 1, contextSize: 4096, vramPaddingBytes: 0}), 2);
        assert.equal(inspection.planGpuLayers({freeVramBytes: threeLayers, contextSize: 4096, vramPaddingBytes: 0}), 3);
    });

    it("formats a summary for the command line", () => {
        const text = formatGgufSummary(inspection);
        assert.match(text, new RegExp(`^${path.basename(modelPath).replace(/\./g, "\\.")} \\(`));
        assert.match(text, /architecture\s+llama/);
        const parameterCount = expectedParameterCount(vocabularySize);
        assert.match(text, new RegExp(`parameters\\s+${(parameterCount / 1e6).toFixed(2)}M \\(${parameterCount}\\)`));
        assert.match(text, /layers\s+2 blocks/);
        assert.match(text, new RegExp(`vocabulary\\s+${vocabularySize} tokens \\(llama tokenizer\\)`));
        assert.match(text, /chat template\s+yes/);
        assert.match(text, /memory, CPU\s+[\d.]+ MiB RAM for 4096 tokens x 1 sequence\n/);
    });

    it("says when a model has no chat template", async function () {
        this.timeout(60_000);
        const withoutTemplate = await inspectGguf(await ensureGeneratedModel({shape: "tiny", withoutChatTemplate: true}));
        assert.equal(withoutTemplate.hasChatTemplate, false);
        assert.equal(withoutTemplate.chatTemplate, null);
        assert.match(formatGgufSummary(withoutTemplate), /chat template\s+no/);
    });

    it("rejects a file that is not GGUF", async () => {
        const dirPath = await fs.promises.mkdtemp(path.join(os.tmpdir(), "belle-inspect-"));
        try {
            const notGguf = path.join(dirPath, "model.gguf");
            await fs.promises.writeFile(notGguf, Buffer.from("PK\u0003\u0004 not a model at all"));
            await assert.rejects(inspectGguf(notGguf), /magic|GGUF/i);
        } finally {
            await fs.promises.rm(dirPath, {recursive: true, force: true});
        }
    });
});
