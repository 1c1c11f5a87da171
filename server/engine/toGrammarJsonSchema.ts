import type {GbnfJsonSchema} from "node-llama-cpp";
import {InvalidRequestError} from "./engineErrors";

/**
 * node-llama-cpp turns a JSON schema into a grammar, but silently ignores what it cannot enforce: `minimum`,
 * `pattern` or `allOf` vanish, an unknown `format` allows only `""`, and a node without `type` allows only `null`.
 * A judge that trusts the schema would then get replies the schema forbids. So every keyword is checked here
 * against what the grammar really enforces, and anything else is refused with the path of the node and a hint.
 *
 * Enforced: `type` (one of string, number, integer, boolean, null, object, array, or a list of the first five),
 * `enum` and `const` (strings, numbers, booleans, null), `anyOf` / `oneOf` (both become "any of these"),
 * `$ref` to `#/$defs/…` (recursion included); objects: `properties`, `required`, `additionalProperties`,
 * `minProperties`, `maxProperties`; arrays: `items`, `prefixItems`, `minItems`, `maxItems`; strings: `minLength`,
 * `maxLength`, `format` (date, time, date-time). Annotations (`title`, `description`, `default`, `examples`, …)
 * are accepted and have no effect.
 *
 * Two differences from JSON Schema's reading, both still yielding valid replies: every property in
 * `properties` is always generated (so `required` can only name listed ones), and an object that lists
 * `properties` without `additionalProperties` gets no other keys. An object with neither is any object.
 */
export function toGrammarJsonSchema(schema: unknown, path = "schema"): GbnfJsonSchema {
    return convertNode(schema, path, 0, new Set()) as GbnfJsonSchema;
}

type SchemaNode = Record<string, unknown>;

const maxDepth = 64;
const annotationKeywords = ["title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly", "$schema", "$id"];
const basicTypes = new Set(["string", "number", "integer", "boolean", "null"]);
const stringFormats = new Set(["date", "time", "date-time"]);

const keywordsByKind = {
    ref: ["$ref", "$defs"],
    union: ["anyOf", "oneOf", "$defs"],
    literal: ["const", "enum", "type"],
    object: ["type", "properties", "required", "additionalProperties", "minProperties", "maxProperties", "$defs"],
    array: ["type", "items", "prefixItems", "minItems", "maxItems", "$defs"],
    string: ["type", "minLength", "maxLength", "format"],
    basic: ["type"]
} as const;

const unsupportedHints: Record<string, string> = {
    minimum: "list the allowed numbers with \"enum\" instead (e.g. [0, 0.5, 1])",
    maximum: "list the allowed numbers with \"enum\" instead (e.g. [0, 0.5, 1])",
    exclusiveMinimum: "list the allowed numbers with \"enum\" instead",
    exclusiveMaximum: "list the allowed numbers with \"enum\" instead",
    multipleOf: "list the allowed numbers with \"enum\" instead",
    pattern: "use \"enum\", \"format\" (date, time, date-time) or \"minLength\"/\"maxLength\" instead",
    allOf: "merge the subschemas into one",
    definitions: "put shared schemas under \"$defs\" and refer to them as \"#/$defs/name\"",
    nullable: "use \"type\": [\"…\", \"null\"] or \"anyOf\" with {\"type\": \"null\"}"
};

/** `defNames`: the `$defs` a `$ref` here can reach — its ancestors' and its own, as node-llama-cpp scopes them. */
function convertNode(node: unknown, path: string, depth: number, defNames: ReadonlySet<string>): unknown {
    if (depth > maxDepth)
        throw unsupported(path, `the schema nests deeper than ${maxDepth} levels`);
    if (node == null || typeof node !== "object" || Array.isArray(node))
        throw unsupported(path, `must be a schema object, got ${describe(node)}`);

    const fields = node as SchemaNode;
    const kind = kindOf(fields, path);
    checkKeywords(fields, kind, path);
    const scope = fields.$defs === undefined ? defNames : new Set([...defNames, ...defNamesOf(fields.$defs, `${path}.$defs`)]);
    const convertChild = (child: unknown, childPath: string) => convertNode(child, childPath, depth + 1, scope);
    const defs = fields.$defs === undefined ? undefined
        : Object.fromEntries(Object.entries(fields.$defs as SchemaNode).map(([name, def]) => [name, convertChild(def, `${path}.$defs.${name}`)]));
    const withDefs = (result: SchemaNode) => defs === undefined ? result : {...result, $defs: defs};

    switch (kind) {
        case "ref": {
            const ref = fields.$ref;
            if (typeof ref !== "string" || !ref.startsWith("#/$defs/") || ref.length === "#/$defs/".length)
                throw unsupported(`${path}.$ref`, `only references of the form "#/$defs/name" are supported, got ${describe(ref)}`);
            if (!scope.has(ref.slice("#/$defs/".length)))
                throw unsupported(`${path}.$ref`, `${describe(ref)} names no schema in a "$defs" of this node or the nodes around it`);
            return withDefs({$ref: ref});
        }
        case "union": {
            if (fields.anyOf !== undefined && fields.oneOf !== undefined)
                throw unsupported(path, "use either \"anyOf\" or \"oneOf\", not both");
            const keyword = fields.anyOf !== undefined ? "anyOf" : "oneOf";
            const options = fields[keyword];
            if (!Array.isArray(options) || options.length === 0)
                throw unsupported(`${path}.${keyword}`, "must be a non-empty array of schemas");
            // the grammar allows any one of the options; it cannot tell "exactly one" from "at least one"
            return withDefs({oneOf: options.map((option, index) => convertChild(option, `${path}.${keyword}[${index}]`))});
        }
        case "literal":
            return convertLiteral(fields, path);
        case "object":
            return withDefs(convertObject(fields, path, convertChild));
        case "array":
            return withDefs(convertArray(fields, path, convertChild));
        case "string":
            return convertString(fields, path);
        case "basic":
            return {type: fields.type};
    }
}

function kindOf(fields: SchemaNode, path: string): keyof typeof keywordsByKind {
    if (fields.$ref !== undefined) return "ref";
    if (fields.anyOf !== undefined || fields.oneOf !== undefined) return "union";
    if (fields.const !== undefined || fields.enum !== undefined) return "literal";

    const type = fields.type;
    if (type === "object") return "object";
    if (type === "array") return "array";
    if (type === "string") return "string";
    if (typeof type === "string" && basicTypes.has(type)) return "basic";
    if (Array.isArray(type)) {
        if (type.length > 0 && type.every((item) => typeof item === "string" && basicTypes.has(item))) return "basic";
        throw unsupported(`${path}.type`, "a list of types may only name string, number, integer, boolean and null " +
            `(got ${describe(type)}); for an object or array alternative use "anyOf"`);
    }
    if (type !== undefined)
        throw unsupported(`${path}.type`, `must be one of object, array, string, number, integer, boolean, null, got ${describe(type)}`);
    const keyword = Object.keys(fields).find((key) => !annotationKeywords.includes(key));
    if (keyword !== undefined)
        throw unsupported(path, `the keyword "${keyword}" is not supported: the grammar cannot enforce it${hintFor(keyword)}`);
    throw unsupported(path, "needs \"type\", \"enum\", \"const\", \"anyOf\", \"oneOf\" or \"$ref\"; a schema that allows any value is not supported");
}

function checkKeywords(fields: SchemaNode, kind: keyof typeof keywordsByKind, path: string) {
    const allowed: readonly string[] = keywordsByKind[kind];
    for (const keyword of Object.keys(fields)) {
        if (allowed.includes(keyword) || annotationKeywords.includes(keyword)) continue;
        const where = kind === "ref" ? "next to \"$ref\""
            : kind === "union" ? "next to \"anyOf\"/\"oneOf\""
            : kind === "literal" ? "next to \"enum\"/\"const\""
            : `on a ${JSON.stringify(fields.type)} schema`;
        throw unsupported(path, `the keyword "${keyword}" is not supported ${where}: the grammar cannot enforce it${hintFor(keyword)}`);
    }
}

function hintFor(keyword: string): string {
    const hint = unsupportedHints[keyword];
    return hint === undefined ? "" : `; ${hint}`;
}

function defNamesOf(defs: unknown, path: string): string[] {
    if (defs == null || typeof defs !== "object" || Array.isArray(defs))
        throw unsupported(path, "must be an object of named schemas");
    return Object.keys(defs);
}

type ConvertChild = (child: unknown, childPath: string) => unknown;

function convertLiteral(fields: SchemaNode, path: string): SchemaNode {
    if (fields.const !== undefined && fields.enum !== undefined)
        throw unsupported(path, "use either \"const\" or \"enum\", not both");
    const values = fields.const !== undefined ? [fields.const] : fields.enum;
    const keyword = fields.const !== undefined ? "const" : "enum";
    if (!Array.isArray(values) || values.length === 0)
        throw unsupported(`${path}.enum`, "must be a non-empty array");

    const types = fields.type === undefined ? null : Array.isArray(fields.type) ? fields.type : [fields.type];
    values.forEach((value, index) => {
        const valuePath = keyword === "const" ? `${path}.const` : `${path}.enum[${index}]`;
        const valueType = value === null ? "null" : typeof value === "number" ? "number" : typeof value;
        if (valueType !== "null" && valueType !== "number" && valueType !== "string" && valueType !== "boolean")
            throw unsupported(valuePath, `only strings, numbers, booleans and null can be listed, got ${describe(value)}`);
        if (valueType === "number" && !Number.isFinite(value))
            throw unsupported(valuePath, `must be a finite number, got ${describe(value)}`);
        const matchesType = types == null || types.includes(valueType) ||
            (valueType === "number" && types.includes("integer") && Number.isInteger(value));
        if (!matchesType)
            throw unsupported(valuePath, `${describe(value)} does not match "type": ${JSON.stringify(fields.type)}`);
    });
    return keyword === "const" ? {const: values[0]} : {enum: values};
}

function convertObject(fields: SchemaNode, path: string, convertChild: ConvertChild): SchemaNode {
    const result: SchemaNode = {type: "object"};
    const properties = fields.properties;
    let propertyNames: string[] = [];
    if (properties !== undefined) {
        if (properties == null || typeof properties !== "object" || Array.isArray(properties))
            throw unsupported(`${path}.properties`, "must be an object of named schemas");
        propertyNames = Object.keys(properties);
        result.properties = Object.fromEntries(Object.entries(properties).map(([name, property]) =>
            [name, convertChild(property, `${path}.properties.${name}`)]));
    }

    const required = fields.required;
    if (required !== undefined) {
        if (!Array.isArray(required) || !required.every((name) => typeof name === "string"))
            throw unsupported(`${path}.required`, "must be an array of property names");
        const unlisted = required.find((name) => !propertyNames.includes(name as string));
        if (unlisted !== undefined)
            throw unsupported(`${path}.required`, `names "${unlisted}", which is not in "properties"; the grammar can only require listed properties`);
    }

    const additional = fields.additionalProperties;
    if (typeof additional === "boolean") result.additionalProperties = additional;
    else if (additional !== undefined) result.additionalProperties = convertChild(additional, `${path}.additionalProperties`);
    // JSON Schema allows any keys here; node-llama-cpp would allow none and generate only `{}`
    else if (properties === undefined) result.additionalProperties = true;

    const minProperties = optionalCount(fields, "minProperties", path);
    const maxProperties = optionalCount(fields, "maxProperties", path);
    if (maxProperties != null && maxProperties < propertyNames.length)
        throw unsupported(`${path}.maxProperties`, `is ${maxProperties}, but every one of the ${propertyNames.length} listed properties is always generated`);
    checkRange(minProperties, maxProperties, `${path}.maxProperties`, "minProperties");
    if (minProperties != null) result.minProperties = minProperties;
    if (maxProperties != null) result.maxProperties = maxProperties;
    return result;
}

function convertArray(fields: SchemaNode, path: string, convertChild: ConvertChild): SchemaNode {
    const result: SchemaNode = {type: "array"};
    if (fields.items !== undefined) {
        if (typeof fields.items === "boolean")
            throw unsupported(`${path}.items`, "must be a schema (use \"maxItems\" to forbid items after \"prefixItems\")");
        result.items = convertChild(fields.items, `${path}.items`);
    }
    if (fields.prefixItems !== undefined) {
        if (!Array.isArray(fields.prefixItems))
            throw unsupported(`${path}.prefixItems`, "must be an array of schemas");
        result.prefixItems = fields.prefixItems.map((item, index) => convertChild(item, `${path}.prefixItems[${index}]`));
    }

    const minItems = optionalCount(fields, "minItems", path);
    const maxItems = optionalCount(fields, "maxItems", path);
    const prefixCount = Array.isArray(fields.prefixItems) ? fields.prefixItems.length : 0;
    if (maxItems != null && maxItems < prefixCount)
        throw unsupported(`${path}.maxItems`, `is ${maxItems}, but "prefixItems" lists ${prefixCount} items, which are always generated`);
    checkRange(minItems, maxItems, `${path}.maxItems`, "minItems");
    if (minItems != null) result.minItems = minItems;
    if (maxItems != null) result.maxItems = maxItems;
    return result;
}

function convertString(fields: SchemaNode, path: string): SchemaNode {
    const minLength = optionalCount(fields, "minLength", path);
    const maxLength = optionalCount(fields, "maxLength", path);
    checkRange(minLength, maxLength, `${path}.maxLength`, "minLength");
    const format = fields.format;
    if (format !== undefined) {
        if (typeof format !== "string" || !stringFormats.has(format))
            throw unsupported(`${path}.format`, `only "date", "time" and "date-time" are supported, got ${describe(format)}`);
        if (minLength != null || maxLength != null)
            throw unsupported(path, "\"format\" cannot be combined with \"minLength\"/\"maxLength\"");
        return {type: "string", format};
    }

    const result: SchemaNode = {type: "string"};
    if (minLength != null) result.minLength = minLength;
    if (maxLength != null) result.maxLength = maxLength;
    return result;
}

function optionalCount(fields: SchemaNode, keyword: string, path: string): number | null {
    const value = fields[keyword];
    if (value === undefined) return null;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
        throw unsupported(`${path}.${keyword}`, `must be a non-negative integer, got ${describe(value)}`);
    return value;
}

function checkRange(min: number | null, max: number | null, path: string, minKeyword: string) {
    if (min != null && max != null && max < min)
        throw unsupported(path, `is ${max}, less than "${minKeyword}" (${min})`);
}

function unsupported(path: string, problem: string): InvalidRequestError {
    return new InvalidRequestError(`Unsupported JSON schema at \`${path}\`: ${problem}.`, "response_format");
}

function describe(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
