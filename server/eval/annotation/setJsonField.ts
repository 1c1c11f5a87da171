import type {JsonNode} from "../JsonScanner";

/** One replacement in a text: UTF-16 offsets, end exclusive (a VS Code `TextEdit` once mapped to positions). */
export type TextEdit = {start: number, end: number, newText: string};

type ObjectNode = Extract<JsonNode, {kind: "object"}>;

/**
 * The one edit that sets the field at `path` (e.g. `["annotation", "human_score"]`) of the JSON object `object`,
 * parsed from `text`, to `value`. Everything else stays byte for byte: key order, the file's spacing around ':' and
 * ',', its indentation and line breaks. An existing value is replaced in place; a missing field is added after the
 * object's last field, written the way that object writes its fields; missing objects on the way are created.
 * Throws when a field on the way holds something other than an object.
 */
export function setJsonField(text: string, object: ObjectNode, path: readonly string[], value: unknown): TextEdit {
    if (path.length === 0) throw new Error("setJsonField needs a field name.");
    const style = detectStyle(text, object);
    let current = object;
    for (let depth = 0; depth < path.length; depth++) {
        const name = path[depth]!;
        const property = current.properties.findLast((candidate) => candidate.key === name);
        const rest = path.slice(depth + 1);
        const newValue = rest.length === 0 ? value : nest(rest, value);
        if (property == null) return insertField(text, current, name, newValue, style);
        if (rest.length === 0)
            return {start: property.value.start, end: property.value.end, newText: serialize(value, style, indentOf(text, property.keyStart))};
        if (property.value.kind !== "object")
            throw new Error(`The field "${path.slice(0, depth + 1).join(".")}" holds ${property.value.kind === "array" ? "an array" : `a ${property.value.kind}`}, not an object; fix or remove it first.`);
        current = property.value;
    }
    throw new Error("unreachable");
}

type Style = {colon: string, comma: string, multiline: boolean, newline: string, indentUnit: string};

function detectStyle(text: string, object: ObjectNode): Style {
    const newline = text.includes("\r\n") ? "\r\n" : "\n";
    const first = object.properties[0];
    const colon = first == null ? ": " : text.slice(first.keyEnd, first.value.start).replace(/\s+$/u, " ").replace(/^\s+/u, "") || ":";
    const second = object.properties[1];
    const between = first != null && second != null ? text.slice(first.value.end, second.keyStart) : ", ";
    const multiline = /[\r\n]/.test(text.slice(object.start, object.end));
    const comma = multiline ? "," : between.replace(/[\r\n]+[ \t]*/g, "") || ",";
    const indentUnit = first == null ? "  " : indentOf(text, first.keyStart).slice(indentOf(text, object.start).length) || "  ";
    return {colon: colon.startsWith(":") ? colon : `:${colon}`, comma, multiline, newline, indentUnit};
}

function insertField(text: string, object: ObjectNode, name: string, value: unknown, style: Style): TextEdit {
    const key = JSON.stringify(name);
    const last = object.properties.at(-1);
    if (last == null) {
        if (!style.multiline) return {start: object.start + 1, end: object.end - 1, newText: `${key}${style.colon}${serialize(value, style, "")}`};
        const indent = indentOf(text, object.start);
        return {
            start: object.start + 1, end: object.end - 1,
            newText: `${style.newline}${indent}${style.indentUnit}${key}${style.colon}${serialize(value, style, indent + style.indentUnit)}${style.newline}${indent}`
        };
    }
    if (!style.multiline)
        return {start: last.value.end, end: last.value.end, newText: `${style.comma}${key}${style.colon}${serialize(value, style, "")}`};
    const indent = indentOf(text, last.keyStart);
    return {start: last.value.end, end: last.value.end, newText: `,${style.newline}${indent}${key}${style.colon}${serialize(value, style, indent)}`};
}

/** The spaces and tabs that start the line `offset` is on. */
function indentOf(text: string, offset: number): string {
    const lineStart = Math.max(text.lastIndexOf("\n", offset - 1) + 1, 0);
    return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}

function nest(path: readonly string[], value: unknown): unknown {
    return path.reduceRight<unknown>((inner, name) => ({[name]: inner}), value);
}

/** A value written in the object's own style: one line for a one-line item, indented lines for a pretty-printed one. */
function serialize(value: unknown, style: Style, indent: string): string {
    if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
    const entries = Array.isArray(value) ? value.map((element) => ["", element] as const) : Object.entries(value);
    const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) return `${open}${close}`;
    const write = ([name, element]: readonly [string, unknown], inner: string) =>
        `${Array.isArray(value) ? "" : `${JSON.stringify(name)}${style.colon}`}${serialize(element, style, inner)}`;
    if (!style.multiline) return `${open}${entries.map((entry) => write(entry, "")).join(style.comma)}${close}`;
    const inner = indent + style.indentUnit;
    return `${open}${style.newline}${entries.map((entry) => `${inner}${write(entry, inner)}`).join(`,${style.newline}`)}${style.newline}${indent}${close}`;
}
