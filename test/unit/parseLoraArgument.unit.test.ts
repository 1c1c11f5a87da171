import assert from "node:assert/strict";
import path from "node:path";
import {CliUsageError} from "../../server/cli/CliUsageError";
import {parseLoraArgument} from "../../server/cli/parseLoraArgument";

describe("--lora argument", () => {
    it("is a file with scale 1 when no scale follows it", () => {
        assert.deepEqual(parseLoraArgument("adapters/belle.gguf"), {filePath: path.resolve("adapters/belle.gguf"), scale: 1});
    });

    it("takes the number after the last colon as the scale, zero and negative ones included", () => {
        assert.deepEqual(parseLoraArgument("/a/belle.gguf:0.5"), {filePath: "/a/belle.gguf", scale: 0.5});
        assert.equal(parseLoraArgument("/a/belle.gguf:0").scale, 0);
        assert.equal(parseLoraArgument("/a/belle.gguf:-1").scale, -1);
        assert.equal(parseLoraArgument("/a/belle.gguf:.25").scale, 0.25);
        assert.equal(parseLoraArgument("/a/b:c.gguf:2").filePath, "/a/b:c.gguf");
    });

    it("keeps a Windows drive letter and a colon not followed by a number as part of the path", () => {
        assert.equal(parseLoraArgument("C:\\adapters\\belle.gguf").scale, 1);
        assert.match(parseLoraArgument("C:\\adapters\\belle.gguf").filePath, /C:\\adapters\\belle\.gguf$/);
        assert.equal(parseLoraArgument("/a/belle.gguf:x").filePath, "/a/belle.gguf:x");
    });

    it("is a usage error without a file", () => {
        assert.throws(() => parseLoraArgument(":1"), CliUsageError);
        assert.throws(() => parseLoraArgument(""), CliUsageError);
    });
});
