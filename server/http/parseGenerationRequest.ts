import {InvalidRequestError} from "../engine/engineErrors";
import type {ChatMessage, GenerationRequest, ResponseFormat, SamplingSettings} from "../engine/generationTypes";
import {toGrammarJsonSchema} from "../engine/toGrammarJsonSchema";

/** What an OpenAI request asked for besides the generation itself. */
export type RequestEnvelope = {stream: boolean, includeUsage: boolean, model: string | null};

/**
 * Validates the body of `POST /v1/chat/completions` or `POST /v1/completions` against OpenAI's schema
 * (the subset we serve) and turns it into a GenerationRequest. Every problem names the field.
 */
export function parseGenerationRequest(kind: "chat" | "completion", body: unknown): {request: GenerationRequest, envelope: RequestEnvelope} {
    if (body == null || typeof body !== "object" || Array.isArray(body))
        throw new InvalidRequestError("The request body must be a JSON object.");

    const fields = body as Record<string, unknown>;
    const sampling = parseSampling(fields);
    const responseFormat = parseResponseFormat(fields.response_format);
    const streamOptions = fields.stream_options;
    const envelope: RequestEnvelope = {
        stream: optionalBoolean(fields, "stream") ?? false,
        includeUsage: streamOptions != null && typeof streamOptions === "object" &&
            (streamOptions as Record<string, unknown>).include_usage === true,
        model: optionalString(fields, "model")
    };

    if (kind === "completion") {
        const prompt = fields.prompt;
        const text = typeof prompt === "string" ? prompt
            : Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string" ? prompt[0]
            : null;
        if (text == null)
            throw new InvalidRequestError("`prompt` must be a string (or an array holding one string).", "prompt");

        return {request: {kind, prompt: text, sampling, responseFormat}, envelope};
    }

    const messages = fields.messages;
    if (!Array.isArray(messages) || messages.length === 0)
        throw new InvalidRequestError("`messages` must be a non-empty array of {role, content}.", "messages");

    return {request: {kind, messages: messages.map(parseMessage), sampling, responseFormat}, envelope};
}

function parseMessage(message: unknown, index: number): ChatMessage {
    const param = `messages[${index}]`;
    if (message == null || typeof message !== "object")
        throw new InvalidRequestError(`${param} must be an object with \`role\` and \`content\`.`, param);

    const {role, content} = message as Record<string, unknown>;
    const normalizedRole = role === "developer" ? "system" : role;
    if (normalizedRole !== "system" && normalizedRole !== "user" && normalizedRole !== "assistant")
        throw new InvalidRequestError(`${param}.role must be "system", "user" or "assistant", got ${JSON.stringify(role)}.`, `${param}.role`);

    return {role: normalizedRole, content: parseContent(content, `${param}.content`)};
}

function parseContent(content: unknown, param: string): string {
    if (typeof content === "string") return content;
    if (content == null) return "";
    if (Array.isArray(content)) {
        return content.map((part, index) => {
            const {type, text} = (part ?? {}) as Record<string, unknown>;
            if (type !== "text" || typeof text !== "string")
                throw new InvalidRequestError(`${param}[${index}] must be a text part ({"type": "text", "text": …}); this engine serves text-only models.`, `${param}[${index}]`);
            return text;
        }).join("");
    }
    throw new InvalidRequestError(`${param} must be a string or an array of text parts.`, param);
}

/**
 * OpenAI's `response_format`: `{type: "text"}`, `{type: "json_object"}` or
 * `{type: "json_schema", json_schema: {name, schema, strict?}}`. The schema is always enforced, so `strict` changes
 * nothing; a json_schema without `schema` is any JSON object, as json_object is.
 */
function parseResponseFormat(format: unknown): ResponseFormat {
    if (format == null) return {type: "text"};
    if (typeof format !== "object" || Array.isArray(format))
        throw new InvalidRequestError("`response_format` must be an object such as {\"type\": \"json_object\"}.", "response_format");

    const {type, json_schema: jsonSchema} = format as Record<string, unknown>;
    switch (type) {
        case "text":
            return {type: "text"};
        case "json_object":
            return {type: "json", schema: toGrammarJsonSchema({type: "object"})};
        case "json_schema": {
            if (jsonSchema == null || typeof jsonSchema !== "object" || Array.isArray(jsonSchema))
                throw new InvalidRequestError("`response_format.json_schema` must be an object {name, schema, strict?}.", "response_format");
            const {name, schema, strict} = jsonSchema as Record<string, unknown>;
            if (name != null && typeof name !== "string")
                throw new InvalidRequestError("`response_format.json_schema.name` must be a string.", "response_format");
            if (strict != null && typeof strict !== "boolean")
                throw new InvalidRequestError("`response_format.json_schema.strict` must be true or false.", "response_format");
            return {type: "json", schema: toGrammarJsonSchema(schema ?? {type: "object"}, "response_format.json_schema.schema")};
        }
        default:
            throw new InvalidRequestError(
                `\`response_format.type\` must be "text", "json_object" or "json_schema", got ${JSON.stringify(type)}.`, "response_format"
            );
    }
}

function parseSampling(fields: Record<string, unknown>): SamplingSettings {
    const stop = fields.stop;
    let stopStrings: string[];
    if (stop == null) stopStrings = [];
    else if (typeof stop === "string") stopStrings = [stop];
    else if (Array.isArray(stop) && stop.every((item) => typeof item === "string")) stopStrings = stop as string[];
    else throw new InvalidRequestError("`stop` must be a string or an array of strings.", "stop");
    if (stopStrings.length > 16)
        throw new InvalidRequestError("`stop` may hold at most 16 strings.", "stop");

    return {
        temperature: optionalNumber(fields, "temperature", 0, 2) ?? 1,
        topP: optionalNumber(fields, "top_p", 0, 1) ?? 1,
        topK: optionalInteger(fields, "top_k", 0) ?? 40,
        maxTokens: optionalInteger(fields, "max_completion_tokens", 1) ?? optionalInteger(fields, "max_tokens", 1),
        stop: stopStrings.filter((item) => item !== ""),
        seed: parseSeed(fields.seed)
    };
}

/** llama.cpp's "random" seed (LLAMA_DEFAULT_SEED): the sampler draws its own. */
const randomSeedValue = 0xffff_ffff;

/**
 * OpenAI's `seed`: an integer from 0 to 2³²−1 (llama.cpp's seeds are 32-bit). -1 (llama-server's "random") and
 * 4294967295 (llama.cpp's) mean a fresh random seed, as does no seed at all: null.
 */
function parseSeed(seed: unknown): number | null {
    if (seed == null || seed === -1 || seed === randomSeedValue) return null;
    if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > randomSeedValue)
        throw new InvalidRequestError(`\`seed\` must be an integer from 0 to 4294967295 (or -1 for a random seed), got ${JSON.stringify(seed)}.`, "seed");
    return seed;
}

function optionalNumber(fields: Record<string, unknown>, name: string, min: number, max: number): number | null {
    const value = fields[name];
    if (value == null) return null;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)
        throw new InvalidRequestError(`\`${name}\` must be a number from ${min} to ${max}, got ${JSON.stringify(value)}.`, name);

    return value;
}

function optionalInteger(fields: Record<string, unknown>, name: string, min: number): number | null {
    const value = fields[name];
    if (value == null) return null;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min)
        throw new InvalidRequestError(`\`${name}\` must be an integer of at least ${min}, got ${JSON.stringify(value)}.`, name);

    return value;
}

function optionalBoolean(fields: Record<string, unknown>, name: string): boolean | null {
    const value = fields[name];
    if (value == null) return null;
    if (typeof value !== "boolean")
        throw new InvalidRequestError(`\`${name}\` must be true or false.`, name);

    return value;
}

function optionalString(fields: Record<string, unknown>, name: string): string | null {
    const value = fields[name];
    if (value == null) return null;
    if (typeof value !== "string")
        throw new InvalidRequestError(`\`${name}\` must be a string.`, name);

    return value;
}
