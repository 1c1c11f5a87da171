import shippedPromptData from "./judgePrompts/belleJudgePrompts.json" with {type: "json"};
import {matchEvalClass, normalizeClassName} from "./evalClasses";
import {InvalidJudgePromptsError, JsonSyntaxError} from "./evalErrors";
import {JsonScanner, type JsonNode} from "./JsonScanner";
import {LineIndex} from "./LineIndex";

export const judgeReferenceUses = ["always", "never", "whenPresent"] as const;
/**
 * Whether the judge message carries the standard answer. BELLE's scorer decides by class, not by whether the
 * item has one ("always" sends an empty one too); "whenPresent" is for the general prompt.
 */
export type JudgeReferenceUse = (typeof judgeReferenceUses)[number];

export type JudgeClassPrompt = {prompt: string, reference: JudgeReferenceUse};

/** How the one user message is built; placeholders `{prompt}`, `{question}`, `{std_answer}`, `{answer}`. */
export type JudgeMessageTemplate = {withReference: string, withoutReference: string};

const templatePlaceholders = {
    withReference: ["{prompt}", "{question}", "{std_answer}", "{answer}"],
    withoutReference: ["{prompt}", "{question}", "{answer}"]
} as const;

export type JudgePromptSet = {
    messageTemplate: JudgeMessageTemplate,
    /** For classes with no prompt of their own. */
    general: JudgeClassPrompt,
    /** Keyed by `judgePromptKey`: BELLE's canonical class name, or the normalised name of any other class. */
    classes: ReadonlyMap<string, JudgeClassPrompt>
};

/**
 * What a workspace may put in its override file: the shipped file's shape, every part optional. A class set to
 * null loses its prompt and falls back to the general one. Fields starting with "$" are comments.
 */
export type JudgePromptOverride = {
    messageTemplate?: Partial<JudgeMessageTemplate>,
    general?: Partial<JudgeClassPrompt>,
    classes?: Record<string, Partial<JudgeClassPrompt> | null>
};

/** The key a class's prompt is stored under, so "Open QA", "open_qa" and "open\u00a0qa" find the same prompt. */
export function judgePromptKey(className: string): string {
    return matchEvalClass(className) ?? normalizeClassName(className);
}

/** The prompt for an item's class, matched leniently; `key` is null when the general prompt applies. */
export function findJudgePrompt(className: string, prompts: JudgePromptSet): {key: string | null, prompt: JudgeClassPrompt} {
    const key = judgePromptKey(className);
    const prompt = prompts.classes.get(key);
    return prompt != null ? {key, prompt} : {key: null, prompt: prompts.general};
}

/**
 * `override` (parsed JSON from a workspace, so untyped) laid over `base`. Throws `InvalidJudgePromptsError`
 * naming the field when the override is malformed, rather than judging with a half-applied prompt.
 */
export function mergeJudgePrompts(base: JudgePromptSet, override: unknown): JudgePromptSet {
    const result = applyOverride(base, override);
    if ("problem" in result) throw new InvalidJudgePromptsError(describeProblem(result.problem), fieldOf(result.problem));
    return result.prompts;
}

/**
 * Like `mergeJudgePrompts` for an override file's text; its errors carry the file, line and column of the field
 * (or of the JSON syntax error) so the extension can show them on the file.
 */
export function mergeJudgePromptsFromText(base: JudgePromptSet, text: string, filePath: string): JudgePromptSet {
    const body = text.startsWith("\ufeff") ? text.slice(1) : text;
    const lines = new LineIndex(body);
    const scanner = new JsonScanner(body);
    let root: JsonNode;
    try {
        root = scanner.parseValue();
        if (isBelleClassPromptLine(root)) return mergeBellePromptLines(base, root, scanner, lines, filePath);
        scanner.expectEnd("the override");
    } catch (error) {
        if (!(error instanceof JsonSyntaxError)) throw error;
        const {line, column} = lines.positionAt(error.offset);
        throw new InvalidJudgePromptsError(error.message, null, filePath, line, column);
    }

    const result = applyOverride(base, root.value);
    if ("problem" in result) {
        const {line, column} = lines.positionAt(nodeAtPath(root, result.problem.path).start);
        throw new InvalidJudgePromptsError(describeProblem(result.problem), fieldOf(result.problem), filePath, line, column);
    }
    return result.prompts;
}

/** A line of BELLE's eval/eval_prompt.json: `{"class": "...", "prompt": "..."}`. */
function isBelleClassPromptLine(node: JsonNode): boolean {
    return node.kind === "object" && node.properties.some(({key}) => key === "class") && node.properties.some(({key}) => key === "prompt");
}

/**
 * BELLE's eval/eval_prompt.json as BELLE ships it, one `{"class", "prompt"}` object per line: each class gets that
 * prompt, and keeps whether BELLE's scorer sends it the standard answer. `first` is the first line, already parsed.
 */
function mergeBellePromptLines(base: JudgePromptSet, first: JsonNode, scanner: JsonScanner, lines: LineIndex, filePath: string): JudgePromptSet {
    const classes: Record<string, {prompt: unknown}> = {};
    const nodesByClass = new Map<string, JsonNode>();
    const fail = (node: JsonNode, message: string, field: string | null) => {
        const {line, column} = lines.positionAt(node.start);
        return new InvalidJudgePromptsError(message, field, filePath, line, column);
    };
    for (let node: JsonNode | null = first; node != null; node = (scanner.skipWhitespace(), scanner.atEnd) ? null : scanner.parseValue()) {
        if (node.kind !== "object") throw fail(node, "Each line must be an object {\"class\": …, \"prompt\": …}, as in BELLE's eval_prompt.json.", null);
        const fields = new Map(node.properties.map((property) => [property.key, property.value]));
        const className = fields.get("class");
        const prompt = fields.get("prompt");
        if (className?.kind !== "string" || className.value.trim() === "") throw fail(className ?? node, "\"class\" must be the class name, a non-empty string.", "class");
        if (prompt?.kind !== "string" || prompt.value.trim() === "") throw fail(prompt ?? node, "\"prompt\" must be the judge's instruction for this class, a non-empty string.", "prompt");
        const earlier = [...nodesByClass.keys()].find((name) => judgePromptKey(name) === judgePromptKey(className.value));
        if (earlier !== undefined) throw fail(className, `"${className.value}" names the same class as "${earlier}" on an earlier line; keep one of them.`, "class");
        nodesByClass.set(className.value, node);
        classes[className.value] = {prompt: prompt.value};
    }
    const result = applyOverride(base, {classes});
    if ("problem" in result) {
        const node = nodesByClass.get(result.problem.path[1] ?? "") ?? first;
        throw fail(node, describeProblem(result.problem), fieldOf(result.problem));
    }
    return result.prompts;
}

/** The prompts shipped in judgePrompts/belleJudgePrompts.json, checked when first imported: a bad file is a build bug. */
export const shippedJudgePrompts: JudgePromptSet = (() => {
    const result = applyOverride(null, shippedPromptData);
    if ("problem" in result)
        throw new Error(`judgePrompts/belleJudgePrompts.json is invalid: ${describeProblem(result.problem)}`);
    return result.prompts;
})();

type Problem = {path: string[], message: string};
type Applied = {prompts: JudgePromptSet} | {problem: Problem};

/** With no base, every part is required: that is how the shipped file is checked. */
function applyOverride(base: JudgePromptSet | null, raw: unknown): Applied {
    if (!isRecord(raw)) return {problem: {path: [], message: "must be an object with \"messageTemplate\", \"general\" and/or \"classes\"."}};
    for (const key of Object.keys(raw))
        if (!key.startsWith("$") && key !== "messageTemplate" && key !== "general" && key !== "classes")
            return {problem: {path: [key], message: `is not a known field: use "messageTemplate", "general" or "classes" (or start it with "$" for a comment).`}};

    const messageTemplate = {...base?.messageTemplate} as Partial<JudgeMessageTemplate>;
    if (raw.messageTemplate !== undefined || base == null) {
        if (!isRecord(raw.messageTemplate))
            return {problem: {path: ["messageTemplate"], message: "must be an object with \"withReference\" and/or \"withoutReference\"."}};
        for (const [name, required] of Object.entries(templatePlaceholders) as [keyof JudgeMessageTemplate, readonly string[]][]) {
            const template = raw.messageTemplate[name];
            if (template === undefined && base != null) continue;
            if (typeof template !== "string")
                return {problem: {path: ["messageTemplate", name], message: "must be a string."}};
            const missing = required.filter((placeholder) => !template.includes(placeholder));
            if (missing.length > 0)
                return {problem: {path: ["messageTemplate", name], message: `must contain ${missing.join(", ")}.`}};
            messageTemplate[name] = template;
        }
    }

    let general = base?.general;
    if (raw.general !== undefined || base == null) {
        const merged = mergeClassPrompt(general, raw.general, ["general"]);
        if ("problem" in merged) return merged;
        general = merged.prompt;
    }

    const classes = new Map(base?.classes);
    if (raw.classes !== undefined || base == null) {
        if (!isRecord(raw.classes)) return {problem: {path: ["classes"], message: "must be an object keyed by class name."}};
        const firstNameOfKey = new Map<string, string>();
        for (const [name, value] of Object.entries(raw.classes)) {
            if (name.startsWith("$")) continue;
            const key = judgePromptKey(name);
            if (key === "") return {problem: {path: ["classes", name], message: "needs a class name."}};
            const earlier = firstNameOfKey.get(key);
            if (earlier !== undefined)
                return {problem: {path: ["classes", name], message: `names the same class as "${earlier}"; keep one of them.`}};
            firstNameOfKey.set(key, name);

            if (value === null) {
                classes.delete(key);
                continue;
            }
            const merged = mergeClassPrompt(classes.get(key), value, ["classes", name]);
            if ("problem" in merged) return merged;
            classes.set(key, merged.prompt);
        }
    }

    return {prompts: {messageTemplate: messageTemplate as JudgeMessageTemplate, general: general!, classes}};
}

function mergeClassPrompt(base: JudgeClassPrompt | undefined, raw: unknown, path: string[]): {prompt: JudgeClassPrompt} | {problem: Problem} {
    if (!isRecord(raw)) return {problem: {path, message: "must be an object with \"prompt\" and optionally \"reference\"."}};
    for (const key of Object.keys(raw))
        if (!key.startsWith("$") && key !== "prompt" && key !== "reference")
            return {problem: {path: [...path, key], message: "is not a known field: use \"prompt\" or \"reference\"."}};

    const prompt = raw.prompt ?? base?.prompt;
    if (typeof prompt !== "string" || prompt.trim() === "")
        return {problem: {path: [...path, "prompt"], message: "must be the judge's instruction for this class, a non-empty string."}};
    const reference = raw.reference ?? base?.reference ?? "whenPresent";
    if (!(judgeReferenceUses as readonly unknown[]).includes(reference))
        return {problem: {path: [...path, "reference"], message: `must be one of ${judgeReferenceUses.map((use) => `"${use}"`).join(", ")}.`}};
    return {prompt: {prompt, reference: reference as JudgeReferenceUse}};
}

function describeProblem(problem: Problem): string {
    return `${problem.path.length > 0 ? `"${problem.path.join(".")}"` : "The judge-prompt override"} ${problem.message}`;
}

function fieldOf(problem: Problem): string | null {
    return problem.path.length > 0 ? problem.path.join(".") : null;
}

/** The deepest node along `path` that exists, so a missing field points at the object that lacks it. */
function nodeAtPath(root: JsonNode, path: readonly string[]): JsonNode {
    let node = root;
    for (const key of path) {
        if (node.kind !== "object") break;
        const property = node.properties.findLast((candidate) => candidate.key === key);
        if (property == null) break;
        node = property.value;
    }
    return node;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
