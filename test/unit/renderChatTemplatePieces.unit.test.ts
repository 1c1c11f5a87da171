import assert from "node:assert/strict";
import {ChatMLChatWrapper} from "node-llama-cpp";
import {BelleChatWrapper} from "../../server/engine/BelleChatWrapper";
import type {TrainingTurn} from "../../server/train/data/TrainingExample";
import {renderTrainingText} from "../../server/train/data/renderTrainingText";
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

    it("lays an example out in BELLE's trainer format for a model without a template, as the engine prompts it: `Human: \\n…\\n\\nAssistant: \\n`, EOS after each answer", () => {
        const turns: TrainingTurn[] = [
            {role: "user", text: "1+1 等于几？"}, {role: "assistant", text: "2"},
            {role: "user", text: "再加 1 呢？"}, {role: "assistant", text: "3 😀"}
        ];
        const pieces = renderChatTemplatePieces(new BelleChatWrapper(), turns);
        assert.deepEqual(pieces, [
            {kind: "specialToken", text: "BOS", loss: "none"},
            {kind: "text", text: "Human: \n1+1 等于几？\n\nAssistant: \n", loss: "none"},
            {kind: "text", text: "2", loss: "all"},
            {kind: "specialToken", text: "EOS", loss: "first"},
            {kind: "text", text: "Human: \n再加 1 呢？\n\nAssistant: \n", loss: "none"},
            {kind: "text", text: "3 😀", loss: "all"},
            {kind: "specialToken", text: "EOS", loss: "all"}
        ]);
        // The same text that data validation counts tokens of (renderTrainingText), EOS aside
        assert.equal(pieces.filter((piece) => piece.kind === "text").map((piece) => piece.text).join(""), renderTrainingText(turns));
    });

    it("prompts the engine's next reply in the text the trainer trained the answer after", () => {
        const {contextText} = new BelleChatWrapper().generateContextState({chatHistory: [
            {type: "user", text: "你好"}, {type: "model", response: ["你好！"]}, {type: "user", text: "中国的首都是哪里？"}
        ]});
        assert.equal(contextText.values.map((value) => typeof value === "string" ? value : `<${value.value}>`).join(""),
            "<BOS>Human: \n你好\n\nAssistant: \n你好！<EOS>Human: \n中国的首都是哪里？\n\nAssistant: \n");
    });
});
