import assert from "node:assert/strict";
import {InvalidRequestError} from "../../server/engine/engineErrors";
import {toChatHistory} from "../../server/engine/toChatHistory";

describe("toChatHistory", () => {
    it("turns OpenAI messages into node-llama-cpp's history, ending with the model's open turn", () => {
        assert.deepEqual(toChatHistory([{role: "system", content: "你是助手。"}, {role: "user", content: "你好"}]), [
            {type: "system", text: "你是助手。"}, {type: "user", text: "你好"}, {type: "model", response: []}
        ]);
    });

    it("puts each tool call in its assistant turn with the result the tool message gave, and continues that turn", () => {
        const history = toChatHistory([
            {role: "user", content: "北京和上海天气怎么样？"},
            {role: "assistant", content: "", toolCalls: [
                {id: "call_1", name: "get_weather", arguments: {city: "北京"}},
                {id: "call_2", name: "get_weather", arguments: {city: "上海"}}
            ]},
            {role: "tool", toolCallId: "call_2", content: "下雨"},
            {role: "tool", toolCallId: "call_1", content: "{\"temperature\": 25}"}
        ], {get_weather: {description: "查询天气"}});
        assert.deepEqual(history, [
            {type: "user", text: "北京和上海天气怎么样？"},
            {type: "model", response: [
                {type: "functionCall", name: "get_weather", params: {city: "北京"}, result: {temperature: 25}, description: "查询天气"},
                {type: "functionCall", name: "get_weather", params: {city: "上海"}, result: "下雨", description: "查询天气"}
            ]}
        ]);
    });

    it("refuses a tool result that answers no earlier call", () => {
        assert.throws(() => toChatHistory([{role: "user", content: "你好"}, {role: "tool", toolCallId: "call_x", content: "1"}]),
            (error: unknown) => error instanceof InvalidRequestError && error.param === "messages[1].tool_call_id");
    });
});
