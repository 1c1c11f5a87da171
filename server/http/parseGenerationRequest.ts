import {InvalidRequestError} from "../engine/engineErrors";
import type {GbnfJsonSchema} from "node-llama-cpp";
import type {ChatMessage, GenerationRequest, LogprobsRequest, ResponseFormat, SamplingSettings, ToolCall, ToolsRequest} from "../engine/generationTypes";
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
    rejectUnserved(kind, fields);
    const sampling = parseSampling(fields);
    const logprobs = kind === "chat" ? parseLogprobs(fields) : undefined;
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

    const parsedMessages = messages.map(parseMessage);
    const tools = parseTools(fields);
    const usesTools = tools != null || parsedMessages.some((message) => message.role === "tool" || (message.role === "assistant" && message.toolCalls != null));
    if (usesTools && responseFormat.type !== "text")
        throw new InvalidRequestError("`response_format` and `tools` do not go together: a tool call has its own syntax.", "response_format");
    if (usesTools && logprobs != null)
        throw new InvalidRequestError("`logprobs` is not served with `tools` or tool messages.", "logprobs");
    return {
        request: {
            kind, messages: parsedMessages, sampling, responseFormat, ...(logprobs == null ? {} : {logprobs}),
            ...(usesTools ? {tools: tools ?? {functions: {}, parallel: true}} : {})
        },
        envelope
    };
}

/** OpenAI's `tools` (type "function"), `tool_choice` ("auto" or "none") and `parallel_tool_calls`; undefined without tools. */
function parseTools(fields: Record<string, unknown>): ToolsRequest | undefined {
    const parallel = optionalBoolean(fields, "parallel_tool_calls") ?? true;
    const toolChoice = fields.tool_choice;
    if (toolChoice != null && toolChoice !== "auto" && toolChoice !== "none")
        throw new InvalidRequestError(
            `\`tool_choice\` ${JSON.stringify(toolChoice)} is not served: the model decides whether to call a tool ("auto"), or is not offered any ("none"); forcing a call is not supported.`,
            "tool_choice"
        );
    const tools = fields.tools;
    if (tools == null) return undefined;
    if (!Array.isArray(tools))
        throw new InvalidRequestError("`tools` must be an array of {\"type\": \"function\", \"function\": {name, description?, parameters?}}.", "tools");
    const functions: ToolsRequest["functions"] = {};
    tools.forEach((tool, index) => {
        const param = `tools[${index}]`;
        const {type, function: definition} = (tool ?? {}) as Record<string, unknown>;
        if (type !== "function" || definition == null || typeof definition !== "object" || Array.isArray(definition))
            throw new InvalidRequestError(`\`${param}\` must be {"type": "function", "function": {name, description?, parameters?}}; only function tools are served.`, param);
        const {name, description, parameters} = definition as Record<string, unknown>;
        if (typeof name !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(name))
            throw new InvalidRequestError(`\`${param}.function.name\` must be 1 to 64 letters, digits, underscores or dashes, got ${JSON.stringify(name)}.`, `${param}.function.name`);
        if (Object.hasOwn(functions, name))
            throw new InvalidRequestError(`\`${param}.function.name\`: "${name}" is offered twice.`, `${param}.function.name`);
        if (description != null && typeof description !== "string")
            throw new InvalidRequestError(`\`${param}.function.description\` must be a string.`, `${param}.function.description`);
        let params: GbnfJsonSchema | undefined;
        // A function without parameters is called with none; an empty object schema is the same
        const noParameters = parameters == null || (typeof parameters === "object" && !Array.isArray(parameters) &&
            (parameters as Record<string, unknown>).type === "object" && Object.keys((parameters as Record<string, unknown>).properties ?? {}).length === 0);
        if (!noParameters) {
            try {
                params = toGrammarJsonSchema(parameters, `${param}.function.parameters`);
            } catch (error) {
                if (error instanceof InvalidRequestError) throw new InvalidRequestError(error.message, `${param}.function.parameters`);
                throw error;
            }
        }
        functions[name] = {...(typeof description === "string" ? {description} : {}), ...(params == null ? {} : {params})};
    });
    return {functions: toolChoice === "none" ? {} : functions, parallel};
}

/** OpenAI fields this engine does not serve: a 400 naming the field, never a 200 that silently ignored it. */
function rejectUnserved(kind: "chat" | "completion", fields: Record<string, unknown>) {
    const n = optionalInteger(fields, "n", 1);
    if (n != null && n > 1)
        throw new InvalidRequestError("`n` above 1 is not served: send one request per answer (each gets its own random seed unless it gives one).", "n");
    for (const name of ["functions", "function_call"])
        if (fields[name] != null)
            throw new InvalidRequestError(`\`${name}\` is OpenAI's deprecated form: use \`tools\` and \`tool_choice\`.`, name);
    if (kind === "completion")
        for (const name of ["tools", "tool_choice", "parallel_tool_calls"])
            if (fields[name] != null)
                throw new InvalidRequestError(`\`${name}\` is served on /v1/chat/completions, not on /v1/completions.`, name);
    if (kind === "completion") {
        if (fields.logprobs != null && fields.logprobs !== 0)
            throw new InvalidRequestError("`logprobs` is served on /v1/chat/completions (`logprobs: true`, `top_logprobs`), not on /v1/completions.", "logprobs");
        if (fields.echo != null && fields.echo !== false)
            throw new InvalidRequestError("`echo` is not served: the prompt is not repeated in the answer.", "echo");
        const bestOf = optionalInteger(fields, "best_of", 1);
        if (bestOf != null && bestOf > 1)
            throw new InvalidRequestError("`best_of` above 1 is not served: send several requests instead.", "best_of");
        if (fields.suffix != null && fields.suffix !== "")
            throw new InvalidRequestError("`suffix` (fill-in-the-middle) is not served.", "suffix");
    }
}

/** Chat's `logprobs: true` with `top_logprobs` alternatives per token (0 to 20). */
function parseLogprobs(fields: Record<string, unknown>): LogprobsRequest | undefined {
    const wanted = optionalBoolean(fields, "logprobs") ?? false;
    const top = optionalInteger(fields, "top_logprobs", 0);
    if (top != null && top > 20)
        throw new InvalidRequestError(`\`top_logprobs\` must be an integer from 0 to 20, got ${top}.`, "top_logprobs");
    if (top != null && !wanted)
        throw new InvalidRequestError("`top_logprobs` needs `logprobs: true`.", "top_logprobs");
    return wanted ? {topLogprobs: top ?? 0} : undefined;
}

/** OpenAI's `logit_bias`: token ids (as JSON keys) to biases from -100 to 100. */
function parseLogitBias(value: unknown): Map<number, number> {
    const biases = new Map<number, number>();
    if (value == null) return biases;
    if (typeof value !== "object" || Array.isArray(value))
        throw new InvalidRequestError("`logit_bias` must be an object mapping token ids to biases from -100 to 100.", "logit_bias");
    for (const [key, bias] of Object.entries(value as Record<string, unknown>)) {
        if (!/^\d+$/.test(key) || !Number.isSafeInteger(Number(key)))
            throw new InvalidRequestError(`\`logit_bias\` keys are token ids, got ${JSON.stringify(key)}.`, "logit_bias");
        if (typeof bias !== "number" || !Number.isFinite(bias) || bias < -100 || bias > 100)
            throw new InvalidRequestError(`\`logit_bias["${key}"]\` must be a number from -100 to 100, got ${JSON.stringify(bias)}.`, "logit_bias");
        if (bias !== 0) biases.set(Number(key), bias);
    }
    return biases;
}

function parseMessage(message: unknown, index: number): ChatMessage {
    const param = `messages[${index}]`;
    if (message == null || typeof message !== "object")
        throw new InvalidRequestError(`${param} must be an object with \`role\` and \`content\`.`, param);

    const {role, content, tool_calls: toolCalls, tool_call_id: toolCallId} = message as Record<string, unknown>;
    const normalizedRole = role === "developer" ? "system" : role;
    if (normalizedRole === "tool") {
        if (typeof toolCallId !== "string" || toolCallId === "")
            throw new InvalidRequestError(`${param}.tool_call_id must name the call this result answers.`, `${param}.tool_call_id`);
        return {role: "tool", content: parseContent(content, `${param}.content`), toolCallId};
    }
    if (normalizedRole !== "system" && normalizedRole !== "user" && normalizedRole !== "assistant")
        throw new InvalidRequestError(`${param}.role must be "system", "user", "assistant" or "tool", got ${JSON.stringify(role)}.`, `${param}.role`);
    if (normalizedRole === "assistant" && toolCalls != null)
        return {role: "assistant", content: parseContent(content, `${param}.content`), toolCalls: parseToolCalls(toolCalls, `${param}.tool_calls`)};

    return {role: normalizedRole, content: parseContent(content, `${param}.content`)};
}

/** An assistant message's `tool_calls`: [{id, type: "function", function: {name, arguments: JSON text}}]. */
function parseToolCalls(toolCalls: unknown, param: string): ToolCall[] {
    if (!Array.isArray(toolCalls)) throw new InvalidRequestError(`${param} must be an array of tool calls.`, param);
    return toolCalls.map((call, index) => {
        const {id, type, function: called} = (call ?? {}) as Record<string, unknown>;
        const {name, arguments: argumentsText} = (called ?? {}) as Record<string, unknown>;
        if (typeof id !== "string" || type !== "function" || typeof name !== "string")
            throw new InvalidRequestError(`${param}[${index}] must be {"id", "type": "function", "function": {"name", "arguments"}}.`, `${param}[${index}]`);
        let parsed: unknown = undefined;
        if (typeof argumentsText === "string" && argumentsText.trim() !== "") {
            try {
                parsed = JSON.parse(argumentsText);
            } catch {
                throw new InvalidRequestError(`${param}[${index}].function.arguments must be JSON text, as the model wrote it.`, `${param}[${index}].function.arguments`);
            }
        } else if (argumentsText != null && typeof argumentsText !== "string")
            throw new InvalidRequestError(`${param}[${index}].function.arguments must be a string of JSON.`, `${param}[${index}].function.arguments`);
        return {id, name, arguments: parsed};
    });
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
        seed: parseSeed(fields.seed),
        frequencyPenalty: optionalNumber(fields, "frequency_penalty", -2, 2) ?? 0,
        presencePenalty: optionalNumber(fields, "presence_penalty", -2, 2) ?? 0,
        logitBias: parseLogitBias(fields.logit_bias)
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
