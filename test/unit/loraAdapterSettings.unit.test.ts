import assert from "node:assert/strict";
import {loraAdapterArgs, readLoraAdapterSettings} from "../../extension/config/loraAdapterSettings";

describe("belle.loraAdapters setting", () => {
    it("is no adapter when unset or not an array", () => {
        assert.deepEqual(readLoraAdapterSettings(undefined), []);
        assert.deepEqual(readLoraAdapterSettings({path: "a.gguf"}), []);
    });

    it("keeps the entries in order, with scale 1 where it is missing or not a finite number", () => {
        assert.deepEqual(readLoraAdapterSettings([
            {path: " ~/a.gguf ", scale: 0.5}, {path: "b.gguf"}, {path: "c.gguf", scale: "2"}, {path: "d.gguf", scale: 0}
        ]), [
            {path: "~/a.gguf", scale: 0.5}, {path: "b.gguf", scale: 1}, {path: "c.gguf", scale: 1}, {path: "d.gguf", scale: 0}
        ]);
    });

    it("leaves out entries without a path", () => {
        assert.deepEqual(readLoraAdapterSettings([null, "a.gguf", {scale: 1}, {path: ""}, {path: 3}, {path: "e.gguf"}]), [{path: "e.gguf", scale: 1}]);
    });

    it("becomes one --lora <file>:<scale> pair of engine arguments per adapter", () => {
        assert.deepEqual(loraAdapterArgs([]), []);
        assert.deepEqual(
            loraAdapterArgs([{path: "/m/a.gguf", scale: 1}, {path: "C:\\m\\b.gguf", scale: 0.25}]),
            ["--lora", "/m/a.gguf:1", "--lora", "C:\\m\\b.gguf:0.25"]
        );
    });
});
