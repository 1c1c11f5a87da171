import crypto from "node:crypto";
import type {IncomingMessage} from "node:http";

export type GuardVerdict = {ok: true} | {ok: false, status: 401 | 403, message: string};

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The engine's front door: a request must name a loopback Host (no DNS rebinding), carry no browser Origin
 * except allowed ones (no drive-by requests from web pages), and present this session's bearer token.
 */
export function checkRequest(request: IncomingMessage, {token, allowedOrigins, allowAnyHost, preflight = false}: {
    token: string,
    allowedOrigins: readonly string[],
    /** When the user chose to bind a non-loopback address, Host names that address instead. */
    allowAnyHost: boolean,
    /** A CORS preflight (`OPTIONS`): browsers send it without credentials, so no token is asked for. */
    preflight?: boolean
}): GuardVerdict {
    const host = request.headers.host ?? "";
    if (!allowAnyHost && !loopbackHosts.has(stripPort(host)))
        return {ok: false, status: 403, message: `Host "${host}" is not a loopback address; the engine only answers requests made to 127.0.0.1 or localhost.`};

    const origin = request.headers.origin;
    if (origin != null && origin !== "null" && !allowedOrigins.some((allowed) => matchesOrigin(allowed, origin)))
        return {ok: false, status: 403, message: `Origin "${origin}" is not allowed. Start the engine with --allow-origin ${origin} to let that page call it.`};
    if (origin === "null")
        return {ok: false, status: 403, message: "Requests from opaque origins (Origin: null) are not allowed."};
    if (preflight) return {ok: true};

    const authorization = request.headers.authorization ?? "";
    const presented = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
    if (presented == null)
        return {ok: false, status: 401, message: "Missing `Authorization: Bearer <token>` header. The token is in the engine's ready line (or BELLE_API_TOKEN)."};
    if (!safeEqual(presented, token))
        return {ok: false, status: 401, message: "Wrong bearer token. The engine makes a new token at each start: read it from its ready line."};

    return {ok: true};
}

/** The request's browser Origin when it is one the engine was told to allow, else null. */
export function allowedOriginOf(request: IncomingMessage, allowedOrigins: readonly string[]): string | null {
    const origin = request.headers.origin;
    if (origin == null || origin === "null") return null;
    return allowedOrigins.some((allowed) => matchesOrigin(allowed, origin)) ? origin : null;
}

function stripPort(host: string): string {
    if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
    return host.split(":")[0]!.toLowerCase();
}

/** `vscode-webview://*` style entries allow any origin of that scheme. */
function matchesOrigin(allowed: string, origin: string): boolean {
    if (allowed.endsWith("://*")) return origin.startsWith(allowed.slice(0, -1));
    return allowed === origin;
}

function safeEqual(a: string, b: string): boolean {
    const left = crypto.createHash("sha256").update(a).digest();
    const right = crypto.createHash("sha256").update(b).digest();
    return crypto.timingSafeEqual(left, right);
}
