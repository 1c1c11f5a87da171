import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {findTrainedModels} from "../../server/train/findTrainedModels";

describe("findTrainedModels: the workspace's trained models, from its job specs", () => {
    let folder: string;

    beforeEach(() => {
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "belle-trained-"));
        fs.mkdirSync(path.join(folder, ".belle", "train"), {recursive: true});
        fs.mkdirSync(path.join(folder, ".belle", "models"), {recursive: true});
    });

    afterEach(() => fs.rmSync(folder, {recursive: true, force: true}));

    const spec = (name: string, output: string, extra: object = {}) => fs.writeFileSync(path.join(folder, ".belle", "train", `${name}.json`), JSON.stringify({
        version: 1, baseModel: "../models/base.gguf", trainingFile: "../../训练.jsonl", output, epochs: 3, contextTokens: 256, ...extra
    }));

    it("lists each job whose output exists, newest first, with paths resolved from the spec's folder", async () => {
        spec("older", "../models/older.gguf");
        spec("新模型", "../models/新模型.gguf");
        spec("never-ran", "../models/never.gguf");
        spec("broken", "../models/broken.gguf", {contextTokens: 300});
        fs.writeFileSync(path.join(folder, ".belle", "train", "not-json.json"), "{");
        for (const name of ["older", "新模型", "broken"]) fs.writeFileSync(path.join(folder, ".belle", "models", `${name}.gguf`), "GGUF");
        fs.utimesSync(path.join(folder, ".belle", "models", "older.gguf"), new Date(2020, 0, 1), new Date(2020, 0, 1));

        const models = await findTrainedModels([folder, path.join(folder, "no-such-folder")]);
        assert.deepEqual(models.map((model) => [model.name, model.outputPath, model.trainingFile, model.epochs]), [
            ["新模型", path.join(folder, ".belle", "models", "新模型.gguf"), path.join(folder, "训练.jsonl"), 3],
            ["older", path.join(folder, ".belle", "models", "older.gguf"), path.join(folder, "训练.jsonl"), 3]
        ]);
    });

    it("finds nothing in a folder without jobs", async () => {
        fs.rmSync(path.join(folder, ".belle"), {recursive: true});
        assert.deepEqual(await findTrainedModels([folder]), []);
    });
});
