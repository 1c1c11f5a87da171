/** A plain object whose fields can be read: not null, not an array. Every message guard starts here. */
export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
