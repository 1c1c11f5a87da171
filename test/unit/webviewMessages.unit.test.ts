import assert from "node:assert/strict";
import {WebviewMessageDispatcher, type WebviewEndpoint} from "../../extension/webviews/WebviewMessageDispatcher";
import {chatCommands, chatNotifications, chatProtocol, chatRequests, isExtensionToWebviewMessage, isWebviewToExtensionMessage,
    type Conversation} from "../../webview/protocol/chatProtocol";
import {isExtensionToReportMessage, isReportToExtensionMessage} from "../../webview/protocol/reportProtocol";
import {isExtensionToTrainingViewMessage, isTrainingViewToExtensionMessage} from "../../webview/protocol/trainProtocol";
import {createTrainingViewState} from "../../webview/protocol/trainingViewState";
import {isRecord} from "../../webview/protocol/isRecord";

const settings = {systemPrompt: "", temperature: 0.7, topP: 0.9, maxTokens: 1024};
const conversation: Conversation = {
    id: "c1", title: "北京", createdAt: 1, updatedAt: 2, settings,
    turns: [{role: "user", content: "你好"}, {role: "assistant", content: "好", stats: {promptTokens: 1, completionTokens: 2, tokensPerSecond: 3, contextTokens: 3, contextSize: 4096}}]
};
const engine = {state: "ready", model: "m.gguf", backend: "cpu", remote: false, lastTokensPerSecond: null, error: null};

/**
 * `message` passes `guard`; each copy with one field of its params removed (unless `optional`), or set to a value of
 * another type, does not. `{}` counts as the same type for a field that is a table of strings.
 */
function assertEveryFieldChecked(guard: (value: unknown) => boolean, message: Record<string, unknown>, optional: string[] = [], tables: string[] = []): void {
    assert.ok(guard(message), `accepts ${JSON.stringify(message)}`);
    const params = message.params as Record<string, unknown>;
    for (const field of Object.keys(params)) {
        const {[field]: _removed, ...without} = params;
        if (!optional.includes(field)) assert.ok(!guard({...message, params: without}), `rejects ${message.method as string} without ${field}`);
        for (const wrong of [Symbol.for("wrong"), [], 12345.5, "text", {}]) {
            const mistyped = {...message, params: {...params, [field]: wrong}};
            const sameType = typeof wrong === typeof params[field] && !isRecord(params[field]) && Array.isArray(wrong) === Array.isArray(params[field]);
            if (sameType || JSON.stringify(wrong) === JSON.stringify(params[field]) || tables.includes(field) && isRecord(wrong)) continue;
            assert.ok(!guard(mistyped), `rejects ${message.method as string} with ${field}: ${String(typeof wrong === "symbol" ? "symbol" : JSON.stringify(wrong))}`);
        }
    }
    for (const envelope of ["kind", "method", "params"]) {
        const {[envelope]: _removed, ...without} = message;
        assert.ok(!guard(without), `rejects ${message.method as string} without its ${envelope}`);
    }
}

describe("webview messages: one envelope, field-checking guards", () => {
    it("accepts nothing but a plain object as a record", () => {
        assert.ok(isRecord({}));
        for (const value of [null, undefined, [], "x", 1, true]) assert.ok(!isRecord(value), String(value));
    });

    it("checks every field of the chat's commands and requests (the webview is untrusted)", () => {
        const guard = isWebviewToExtensionMessage;
        assertEveryFieldChecked(guard, {kind: "command", method: "chat/send", params: {conversationId: "c1", text: "你好", settings}}, ["settings"]);
        assertEveryFieldChecked(guard, {kind: "command", method: "chat/editAndResend", params: {conversationId: "c1", turnIndex: 2, text: "再问"}});
        assertEveryFieldChecked(guard, {kind: "command", method: "chat/stop", params: {streamId: "s1"}});
        assertEveryFieldChecked(guard, {kind: "command", method: "conversation/updateSettings", params: {conversationId: "c1", settings}});
        assertEveryFieldChecked(guard, {kind: "command", method: "code/insert", params: {code: "print(1)"}});
        assertEveryFieldChecked(guard, {kind: "request", method: "history/list", requestId: "r1", params: {query: "北京"}});
        assert.ok(guard({kind: "command", method: "chat/send", params: {conversationId: null, text: "hi"}}), "a new conversation's id is null");
        assert.ok(!guard({kind: "command", method: "chat/send", params: {conversationId: null, text: "hi", settings: {...settings, topP: "0.9"}}}));
        assert.ok(!guard({kind: "command", method: "chat/editAndResend", params: {conversationId: "c1", turnIndex: -1, text: "x"}}));
        assert.ok(!guard({kind: "request", method: "history/list", params: {query: ""}}), "a request without its id");
        assert.ok(!guard({kind: "command", method: "history/list", params: {query: ""}}), "a request sent as a command");
        assert.ok(!guard({kind: "command", method: "shell/run", params: {}}), "an unknown method");
        assert.ok(guard({kind: "command", method: "ready", params: {conversationId: null}}));
        assert.ok(!guard({kind: "command", method: "ready", params: {}}));
    });

    it("checks every field of the chat's notifications and responses", () => {
        const guard = isExtensionToWebviewMessage;
        assertEveryFieldChecked(guard, {kind: "notification", method: "init",
            params: {locale: "zh-cn", strings: {send: "发送"}, defaultSettings: settings, engine, conversation, needsModel: false}}, [], ["strings"]);
        assert.ok(!guard({kind: "notification", method: "init",
            params: {locale: "zh-cn", strings: {send: 1}, defaultSettings: settings, engine, conversation, needsModel: false}}), "a string that is not one");
        assertEveryFieldChecked(guard, {kind: "notification", method: "chat/started", params: {streamId: "s1", conversationId: "c1", turnIndex: 1}});
        assertEveryFieldChecked(guard, {kind: "notification", method: "chat/chunk", params: {streamId: "s1", content: "北"}});
        assertEveryFieldChecked(guard, {kind: "notification", method: "chat/error",
            params: {streamId: "s1", message: "down", retryable: true, turn: {role: "assistant", content: "", error: "down"}}});
        assertEveryFieldChecked(guard, {kind: "notification", method: "input/fill", params: {text: "x", send: false}});
        assert.ok(!guard({kind: "notification", method: "engine/status", params: {engine: {...engine, state: "melting"}}}));
        assert.ok(!guard({kind: "notification", method: "conversation/show", params: {conversation: {...conversation, turns: [{role: "system", content: "x"}]}}}));
        assert.ok(!guard({kind: "notification", method: "chat/done", params: {streamId: "s1", turn: {role: "assistant", content: "x", stats: {promptTokens: 1}}}}));
        assert.ok(guard({kind: "notification", method: "conversation/show", params: {conversation: null}}));
        assert.ok(guard({kind: "response", method: "history/list", requestId: "r1", ok: true, result: {conversations: [{id: "c1", title: "t", updatedAt: 1, turnCount: 2}]}}));
        assert.ok(guard({kind: "response", method: "history/list", requestId: "r1", ok: false, error: "EIO"}));
        assert.ok(!guard({kind: "response", method: "history/list", requestId: "r1", ok: true, result: {conversations: [{id: "c1"}]}}));
        assert.ok(!guard({kind: "response", method: "history/list", requestId: "r1", ok: false}));
    });

    it("checks the report's messages", () => {
        assert.ok(isReportToExtensionMessage({kind: "command", method: "ready", params: {}}));
        assertEveryFieldChecked(isReportToExtensionMessage, {kind: "request", method: "report/export", requestId: "e1", params: {format: "csv"}});
        assert.ok(!isReportToExtensionMessage({kind: "request", method: "report/export", requestId: "e1", params: {format: "exe"}}));
        assert.ok(isExtensionToReportMessage({kind: "response", method: "report/export", requestId: "e1", ok: true, result: {paths: ["/a.csv"]}}));
        assert.ok(!isExtensionToReportMessage({kind: "response", method: "report/export", requestId: "e1", ok: true, result: {paths: []}}));
        assertEveryFieldChecked(isExtensionToReportMessage, {kind: "notification", method: "report/unavailable", params: {message: "gone"}});
        const record = {itemKey: "0:k", index: 0, question: "问", stdAnswer: "答", className: "math", evalClass: null, answer: "a", score: 1,
            judgeReason: null, error: null};
        const report = {kind: "evalReport", run: {}, classes: [], bootstrap: {}, overall: {}};
        assertEveryFieldChecked(isExtensionToReportMessage, {kind: "notification", method: "report/show",
            params: {report, records: [[record]], runFilePaths: ["/runs/a.jsonl"], strings: {}}});
        for (const field of ["itemKey", "index", "question", "stdAnswer", "className"])
            assert.ok(!isExtensionToReportMessage({kind: "notification", method: "report/show",
                params: {report, records: [[{...record, [field]: undefined}]], runFilePaths: ["/runs/a.jsonl"], strings: {}}}), field);
        assert.ok(!isExtensionToReportMessage({kind: "notification", method: "report/show",
            params: {report: {...report, kind: "other"}, records: [], runFilePaths: ["/runs/a.jsonl"], strings: {}}}));
    });

    it("checks the training view's messages, down to each event", () => {
        assertEveryFieldChecked(isTrainingViewToExtensionMessage, {kind: "command", method: "train/action", params: {action: "reveal"}});
        const state = createTrainingViewState("job");
        assertEveryFieldChecked(isExtensionToTrainingViewMessage, {kind: "notification", method: "train/state", params: {state, strings: {}, actions: ["cancel"]}});
        for (const field of Object.keys(state))
            assert.ok(!isExtensionToTrainingViewMessage({kind: "notification", method: "train/state",
                params: {state: {...state, [field]: Symbol.for("x")}, strings: {}, actions: []}}), `state.${field}`);
        const events = (event: unknown) => ({kind: "notification", method: "train/events", params: {events: [event], elapsedMs: 1}});
        assert.ok(isExtensionToTrainingViewMessage(events({kind: "train", point: {step: 1, epoch: 0.1, loss: 2, accuracy: null}, learningRate: null, tokensPerSecond: 9})));
        assert.ok(isExtensionToTrainingViewMessage(events({kind: "train", point: {step: 2, epoch: 0.2, loss: null, accuracy: null}, learningRate: null, tokensPerSecond: null})),
            "a diverged loss (NaN through JSON) passes; the reducer drops the point");
        assert.ok(!isExtensionToTrainingViewMessage(events({kind: "train", point: {step: 1, epoch: 0.1, loss: "2", accuracy: null}, learningRate: null, tokensPerSecond: 9})));
        assert.ok(!isExtensionToTrainingViewMessage(events({kind: "status", status: "exploded", message: null, outputPath: null})));
        assert.ok(!isExtensionToTrainingViewMessage(events({kind: "note", text: 5})));
        assert.ok(!isExtensionToTrainingViewMessage(events({kind: "unknown"})));
    });

    it("narrows with a descriptor's .is()", () => {
        const message: unknown = {kind: "command", method: "chat/editAndResend", params: {conversationId: "c1", turnIndex: 0, text: "x"}};
        assert.ok(chatCommands["chat/editAndResend"].is(message));
        assert.equal(message.params.turnIndex + 1, 1);
        assert.ok(!chatCommands["chat/send"].is(message));
        assert.ok(!chatNotifications["chat/chunk"].is(message));
    });
});

class FakeWebview implements WebviewEndpoint {
    public readonly posted: unknown[] = [];
    private _listener: ((message: unknown) => unknown) | undefined;
    public postMessage(message: unknown): Promise<boolean> {
        this.posted.push(message);
        return Promise.resolve(true);
    }
    public onDidReceiveMessage(listener: (message: unknown) => unknown) {
        this._listener = listener;
        return {dispose: () => { this._listener = undefined; }};
    }
    public async send(message: unknown): Promise<void> {
        await this._listener?.(message);
    }
}

describe("WebviewMessageDispatcher (the host's end)", () => {
    it("posts nothing before ready: queues or drops by the descriptor, answers ready first", async () => {
        const webview = new FakeWebview();
        const dispatcher = new WebviewMessageDispatcher(webview, chatProtocol);
        dispatcher.onReady(async ({conversationId}, post) => {
            post(chatNotifications["input/fill"], {text: `init for ${String(conversationId)}`, send: false});
        });
        dispatcher.notify(chatNotifications["chat/chunk"], {streamId: "s", content: "dropped"});
        dispatcher.notify(chatNotifications["conversation/show"], {conversation: null});
        assert.deepEqual(webview.posted, []);
        await webview.send({kind: "command", method: "ready", params: {conversationId: null}});
        assert.deepEqual(webview.posted.map((message) => (message as {method: string}).method), ["input/fill", "conversation/show"]);
        dispatcher.notify(chatNotifications["chat/chunk"], {streamId: "s", content: "now"});
        assert.equal(webview.posted.length, 3);
    });

    it("runs a command's handler only for a message whose fields pass, and reports the rest", async () => {
        const webview = new FakeWebview();
        const malformed: unknown[] = [];
        const dispatcher = new WebviewMessageDispatcher(webview, chatProtocol, {onMalformed: (message) => malformed.push(message)});
        const stopped: string[] = [];
        dispatcher.onCommand(chatCommands["chat/stop"], ({streamId}) => { stopped.push(streamId); });
        await webview.send({kind: "command", method: "chat/stop", params: {streamId: "s1"}});
        await webview.send({kind: "command", method: "chat/stop", params: {streamId: 7}});
        await webview.send({method: "chat/stop", params: {streamId: "s2"}});
        assert.deepEqual(stopped, ["s1"]);
        assert.equal(malformed.length, 2);
    });

    it("answers a request exactly once, with the result or the error", async () => {
        const webview = new FakeWebview();
        const errors: string[] = [];
        const dispatcher = new WebviewMessageDispatcher(webview, chatProtocol, {onHandlerError: (method) => errors.push(method)});
        dispatcher.onRequest(chatRequests["history/list"], async ({query}) => {
            if (query === "bad") throw new Error("EIO");
            return {conversations: []};
        });
        await webview.send({kind: "request", method: "history/list", requestId: "r1", params: {query: ""}});
        await webview.send({kind: "request", method: "history/list", requestId: "r2", params: {query: "bad"}});
        assert.deepEqual(webview.posted, [
            {kind: "response", method: "history/list", requestId: "r1", ok: true, result: {conversations: []}},
            {kind: "response", method: "history/list", requestId: "r2", ok: false, error: "EIO"}
        ]);
        assert.deepEqual(errors, [], "the webview shows a request's error; the host does not report it again");
        for (const response of webview.posted) assert.ok(isExtensionToWebviewMessage(response));
    });

    it("posts nothing once disposed", async () => {
        const webview = new FakeWebview();
        const dispatcher = new WebviewMessageDispatcher(webview, chatProtocol);
        dispatcher.onReady(() => undefined);
        await webview.send({kind: "command", method: "ready", params: {conversationId: null}});
        dispatcher.dispose();
        dispatcher.notify(chatNotifications["conversation/show"], {conversation: null});
        assert.deepEqual(webview.posted, []);
    });
});
