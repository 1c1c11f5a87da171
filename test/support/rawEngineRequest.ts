import http from "node:http";
import type {EngineProcess} from "./startEngineProcess";

export type RawResponse = {status: number, headers: http.IncomingHttpHeaders, text: string, json: any};

/** A raw HTTP request to an engine, for headers fetch() will not let us set and bodies the SDK would not send. */
export function rawEngineRequest(engine: EngineProcess, {method = "POST", path = "/v1/chat/completions", headers = {}, body, token = true}: {
    method?: string, path?: string, headers?: Record<string, string>, body?: string | Buffer,
    /** Send this session's bearer token (and a JSON content type with a body). */
    token?: boolean
}): Promise<RawResponse> {
    const allHeaders: Record<string, string> = token
        ? {Authorization: `Bearer ${engine.ready.token}`, ...(body != null ? {"Content-Type": "application/json"} : {}), ...headers}
        : headers;
    return new Promise((resolve, reject) => {
        const request = http.request({host: "127.0.0.1", port: engine.ready.port, method, path, headers: allHeaders, agent: false}, (response) => {
            let text = "";
            response.setEncoding("utf8").on("data", (chunk: string) => { text += chunk; });
            response.on("end", () => {
                let json: unknown = null;
                try {
                    json = text === "" ? null : JSON.parse(text);
                } catch {
                    // an SSE body or plain text: the caller reads `text`
                }
                resolve({status: response.statusCode!, headers: response.headers, text, json});
            });
        });
        request.on("error", reject);
        request.end(body);
    });
}
