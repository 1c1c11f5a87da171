import assert from "node:assert/strict";
import http from "node:http";
import type {AddressInfo} from "node:net";
import {EndpointHttpError, EndpointUnreachableError, streamChatCompletion} from "../../extension/chat/streamChatCompletion";

// The real engine never splits a character across SSE events; a remote endpoint's proxy may split bytes
// anywhere. This local server writes a stream byte by byte to check the client joins them.
function startServer(handler: http.RequestListener): Promise<{url: string, close: () => Promise<void>}> {
    const server = http.createServer(handler);
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); })
    })));
}

const request = {apiKey: "k", model: "m", messages: [{role: "user" as const, content: "你好"}], temperature: 0, topP: 1, maxTokens: 8};

describe("streamChatCompletion (against a byte-splitting local server)", () => {
    it("joins UTF-8 sequences and SSE events split across network writes", async () => {
        const events = ["你好", "，世界", " 🌏", "！"].map((content) => `data: ${JSON.stringify({choices: [{delta: {content}}]})}\r\n\r\n`);
        events.push(`data: ${JSON.stringify({choices: [{delta: {}, finish_reason: "stop"}], usage: {prompt_tokens: 3, completion_tokens: 4}})}\n\n`, "data: [DONE]\n\n");
        const bytes = Buffer.from(events.join(""), "utf8");
        let authorization: string | undefined;
        const server = await startServer(async (req, res) => {
            authorization = req.headers.authorization;
            res.writeHead(200, {"Content-Type": "text/event-stream"});
            for (let i = 0; i < bytes.length; i++) {
                res.write(bytes.subarray(i, i + 1));
                if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
            }
            res.end();
        });
        try {
            const deltas: string[] = [];
            const result = await streamChatCompletion({...request, baseUrl: server.url, signal: new AbortController().signal, onDelta: (text) => deltas.push(text)});
            assert.equal(result.text, "你好，世界 🌏！");
            assert.deepEqual(deltas, ["你好", "，世界", " 🌏", "！"]);
            assert.equal(result.finishReason, "stop");
            assert.equal(result.completionTokens, 4);
            assert.equal(authorization, "Bearer k");
            assert.ok(!deltas.join("").includes("\uFFFD"), "no replacement characters");
        } finally {
            await server.close();
        }
    });

    it("turns an error status into EndpointHttpError with the server's message", async () => {
        const server = await startServer((_req, res) => {
            res.writeHead(400, {"Content-Type": "application/json"});
            res.end(JSON.stringify({error: {message: "prompt too long", code: "context_length_exceeded"}}));
        });
        try {
            await assert.rejects(
                streamChatCompletion({...request, baseUrl: server.url, signal: new AbortController().signal, onDelta: () => undefined}),
                (error: unknown) => error instanceof EndpointHttpError && error.status === 400 && error.message === "prompt too long"
            );
        } finally {
            await server.close();
        }
    });

    it("reports a closed port as EndpointUnreachableError", async () => {
        const server = await startServer(() => undefined);
        const url = server.url;
        await server.close();
        await assert.rejects(
            streamChatCompletion({...request, baseUrl: url, signal: new AbortController().signal, onDelta: () => undefined}),
            EndpointUnreachableError
        );
    });
});
