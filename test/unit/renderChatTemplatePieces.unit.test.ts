import assert from "node:assert/strict";
import {ChatMLChatWrapper} from "node-llama-cpp";
import {BelleChatWrapper} from "../../server/engine/BelleChatWrapper";
import {renderChatTemplatePieces} from "../../server/train/trainer/renderChatTemplatePieces";

describe("renderChatTemplatePieces (training examples laid out as the engine lays out a chat)", () => {
    it("lays a two-turn example out in ChatML, training each answer, the <|im_end|> that closes the first and EOS after the last", () => {
        const pieces = renderChatTemplatePieces(new ChatMLChatWrapper(), [
            {role: "user", text: "你好"}, {role: "assistant", text: "你好！"},
            {role: "user", text: "中国的首都是哪里？"}, {role: "assistant", text: "北京。"}
        ]);
        assert.deepEqual(pieces, [
            {kind: "specialToken", text: "BOS", loss: "none"},
            {kind: "specialText", text: "<|im_start|>user\n", loss: "none"},
            {kind: "text", text: "你好", loss: "none"},
            {kind: "specialText", text: "<|im_end|>\n<|im_start|>assistant\n", loss: "none"},
            {kind: "text", text: "你好！", loss: "all"},
            {kind: "specialText", text: "<|im_end|>\n<|im_start|>user\n", loss: "first"},
            {kind: "text", text: "中国的首都是哪里？", loss: "none"},
            {kind: "specialText", text: "<|im_end|>\n<|im_start|>assistant\n", loss: "none"},
            {kind: "text", text: "北京。", loss: "all"},
            {kind: "specialToken", text: "EOS", loss: "all"}
        ]);
    });

    it("splits an answer out of the template's plain text, as in the engine's BELLE format for models without a template", () => {
        const pieces = renderChatTemplatePieces(new BelleChatWrapper(), [{role: "user", text: "1+1 等于几？"}, {role: "assistant", text: "2"}]);
        assert.deepEqual(pieces, [
            {kind: "specialToken", text: "BOS", loss: "none"},
            {kind: "text", text: "Human: 1+1 等于几？\n\nAssistant:", loss: "none"},
            {kind: "text", text: "2", loss: "all"},
            {kind: "specialToken", text: "EOS", loss: "all"}
        ]);
    });
});
