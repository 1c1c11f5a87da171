import catalogEntries from "./catalogEntries.json" with {type: "json"};
import {parseHuggingFaceUri, resolveDownloadUrl} from "../download/downloadModel";

/** Prompt template families; the engine still prefers a GGUF's own chat template and falls back to BELLE's. */
export const catalogPromptFormats = ["chatml", "qwen3", "glm4", "belle"] as const;
export type CatalogPromptFormat = (typeof catalogPromptFormats)[number];

/**
 * One model a user can pick. BELLE released no GGUF, so the catalog lists Chinese-capable instruction GGUFs that
 * exist, plus BELLE checkpoints to convert with llama.cpp (`requiresConversion`, no `source`).
 */
export type CatalogEntry = {
    id: string,
    name: string,
    family: string,
    /** `hf:<user>/<repo>/<file>[#<revision>]` (node-llama-cpp's resolveModelFile form) or an https URL. */
    source: string | null,
    fileName: string,
    requiresConversion: boolean,
    /** How to make the GGUF from a Hugging Face checkpoint, for entries that need it. */
    conversion: {checkpoint: string, commands: string[]} | null,
    sizeBytes: number,
    /** False only when the size is the exact byte count of the pinned file. */
    sizeIsApproximate: boolean,
    /** Of the pinned file, lowercase hex; null when we do not know it (never guessed). */
    sha256: string | null,
    quantization: string,
    /** As published on the model card, rounded. */
    parameterCount: number,
    license: string,
    /** Tokens the model was trained for. */
    contextSize: number,
    promptFormat: CatalogPromptFormat,
    /** Estimates for `catalogMemoryContextTokens` of context: CPU only, and with every layer on the GPU. */
    ramBytes: number,
    vramBytes: number,
    /** BCP 47 language subtags. */
    languages: string[],
    description: {zh: string, en: string}
};

export type CatalogProblem = {
    /** The entry's id, or `#<index>` when it has none. */
    entry: string,
    field: keyof CatalogEntry | null,
    message: string
};

/**
 * The context the shipped memory estimates assume: file size + f16 KV cache for this many tokens + 256 MiB of
 * compute buffers (RAM) or 512 MiB (VRAM, where the backend also keeps its own state). `inspectGguf` gives exact
 * figures once a file is on disk.
 */
export const catalogMemoryContextTokens = 4096;

const entryFields: ReadonlySet<string> = new Set<keyof CatalogEntry>([
    "id", "name", "family", "source", "fileName", "requiresConversion", "conversion", "sizeBytes", "sizeIsApproximate",
    "sha256", "quantization", "parameterCount", "license", "contextSize", "promptFormat", "ramBytes", "vramBytes",
    "languages", "description"
]);
const idPattern = /^[a-z0-9][a-z0-9._-]*$/;
const sha256Pattern = /^[0-9a-f]{64}$/;
const commitPattern = /^[0-9a-f]{40}$/;
const quantizationPattern = /^(F32|F16|BF16|Q[2-8]_[01K](_S|_M|_L|_XL)?|IQ[1-4]_(XXS|XS|S|M|NL))$/;
const languagePattern = /^[a-z]{2,3}(-[A-Za-z0-9]+)*$/;
const hanCharacter = /\p{Script=Han}/u;

/** Everything wrong with a list of catalog entries; empty when the catalog is sound. Accepts untyped JSON. */
export function validateCatalog(entries: readonly unknown[]): CatalogProblem[] {
    const problems: CatalogProblem[] = [];
    const firstIndexOfId = new Map<string, number>();

    entries.forEach((raw, index) => {
        const label = isRecord(raw) && typeof raw.id === "string" && raw.id !== "" ? raw.id : `#${index}`;
        const report = (field: keyof CatalogEntry | null, message: string) => problems.push({entry: label, field, message});
        if (!isRecord(raw)) {
            report(null, "is not an object");
            return;
        }

        for (const key of Object.keys(raw))
            if (!entryFields.has(key)) report(null, `has an unknown field "${key}"`);

        if (typeof raw.id !== "string" || !idPattern.test(raw.id))
            report("id", "must be lowercase letters, digits, '.', '_' or '-'");
        else if (firstIndexOfId.has(raw.id))
            report("id", `duplicates the id of entry #${firstIndexOfId.get(raw.id)}`);
        else
            firstIndexOfId.set(raw.id, index);

        for (const field of ["name", "family", "license"] as const)
            if (!isNonEmptyString(raw[field])) report(field, "must be a non-empty string");

        checkSourceAndConversion(raw, report);
        checkFileName(raw, report);
        checkSizes(raw, report);
        checkChecksum(raw, report);

        if (typeof raw.quantization !== "string" || !quantizationPattern.test(raw.quantization))
            report("quantization", `"${String(raw.quantization)}" is not a llama.cpp quantization type such as Q4_K_M`);
        if (!isPositiveNumber(raw.parameterCount))
            report("parameterCount", "must be a positive number");
        if (!isPositiveInteger(raw.contextSize))
            report("contextSize", "must be a positive whole number of tokens");
        if (!(catalogPromptFormats as readonly unknown[]).includes(raw.promptFormat))
            report("promptFormat", `must be one of ${catalogPromptFormats.join(", ")}`);

        checkLanguagesAndDescription(raw, report);
    });

    return problems;
}

/** The shipped catalog, checked when first imported: a broken catalog is a build bug, not a user's problem. */
export const modelCatalog: readonly CatalogEntry[] = loadShippedCatalog();

export function findCatalogEntry(id: string): CatalogEntry | undefined {
    return modelCatalog.find((entry) => entry.id === id);
}

function loadShippedCatalog(): readonly CatalogEntry[] {
    const entries: unknown[] = catalogEntries;
    const problems = validateCatalog(entries);
    if (problems.length > 0)
        throw new Error(`catalogEntries.json is invalid:\n${problems.map((problem) => `${problem.entry}: ${problem.field ?? ""} ${problem.message}`).join("\n")}`);

    return Object.freeze(entries as CatalogEntry[]);
}

type Report = (field: keyof CatalogEntry | null, message: string) => void;

function checkSourceAndConversion(raw: Record<string, unknown>, report: Report) {
    if (typeof raw.requiresConversion !== "boolean") {
        report("requiresConversion", "must be true or false");
        return;
    }

    if (raw.requiresConversion) {
        if (raw.source !== null)
            report("source", "must be null for a model that has to be converted first");
        const conversion = raw.conversion;
        if (!isRecord(conversion) || !isNonEmptyString(conversion.checkpoint) || !Array.isArray(conversion.commands) ||
            conversion.commands.length === 0 || !conversion.commands.every(isNonEmptyString))
            report("conversion", "must name the checkpoint and list the commands that make the GGUF");
        return;
    }

    if (raw.conversion !== null)
        report("conversion", "must be null for a model that can be downloaded as it is");
    if (typeof raw.source !== "string") {
        report("source", "must be an hf: URI or an https URL");
        return;
    }

    let url: URL;
    try {
        // A fixed endpoint, so the check does not depend on the user's HF_ENDPOINT
        url = resolveDownloadUrl(raw.source, {huggingFaceEndpoint: "https://huggingface.co"});
    } catch (error) {
        report("source", error instanceof Error ? error.message : String(error));
        return;
    }
    if (url.protocol !== "https:")
        report("source", "must use https");
    if (!url.pathname.toLowerCase().endsWith(".gguf"))
        report("source", "must point at a .gguf file");
}

function checkFileName(raw: Record<string, unknown>, report: Report) {
    const fileName = raw.fileName;
    if (typeof fileName !== "string" || !/^[^/\\]+\.gguf$/i.test(fileName)) {
        report("fileName", "must be a .gguf file name without a folder");
        return;
    }

    const sourceFileName = typeof raw.source === "string" ? sourceFileNameOf(raw.source) : null;
    if (sourceFileName != null && sourceFileName !== fileName)
        report("fileName", `differs from the source's file name "${sourceFileName}"`);
}

function checkSizes(raw: Record<string, unknown>, report: Report) {
    if (!isPositiveInteger(raw.sizeBytes))
        report("sizeBytes", "must be a positive whole number of bytes");
    if (typeof raw.sizeIsApproximate !== "boolean")
        report("sizeIsApproximate", "must be true or false");

    for (const field of ["ramBytes", "vramBytes"] as const) {
        const value = raw[field];
        if (!isPositiveInteger(value))
            report(field, "must be a positive whole number of bytes");
        else if (isPositiveInteger(raw.sizeBytes) && value < raw.sizeBytes)
            report(field, "is smaller than the model file itself");
    }
}

function checkChecksum(raw: Record<string, unknown>, report: Report) {
    const sha256 = raw.sha256;
    if (sha256 === null) return;
    if (typeof sha256 !== "string" || !sha256Pattern.test(sha256)) {
        report("sha256", "must be null or 64 lowercase hex digits");
        return;
    }

    if (raw.sizeIsApproximate !== false)
        report("sizeIsApproximate", "must be false when the sha256 of the file is known");
    if (raw.source === null)
        report("sha256", "cannot be known for a file the user converts");
    const hfUri = typeof raw.source === "string" ? parseHuggingFaceUri(raw.source) : null;
    if (hfUri != null && !commitPattern.test(hfUri.revision))
        report("source", "must pin a commit (#<40 hex digits>) when a sha256 is given: a file on a branch can change");
}

function checkLanguagesAndDescription(raw: Record<string, unknown>, report: Report) {
    const languages = raw.languages;
    if (!Array.isArray(languages) || languages.length === 0 || !languages.every((language) => typeof language === "string" && languagePattern.test(language)))
        report("languages", "must be a non-empty list of language subtags such as \"zh\"");
    else if (!languages.includes("zh"))
        report("languages", "must include \"zh\": the catalog is for Chinese-speaking users");

    const description = raw.description;
    if (!isRecord(description)) {
        report("description", "must have a Chinese (zh) and an English (en) text");
        return;
    }
    if (!isNonEmptyString(description.zh) || !hanCharacter.test(description.zh))
        report("description", "is missing its Chinese (zh) text");
    if (!isNonEmptyString(description.en))
        report("description", "is missing its English (en) text");
}

function sourceFileNameOf(source: string): string | null {
    const hfUri = parseHuggingFaceUri(source);
    if (hfUri != null) return hfUri.filePath.split("/").pop() ?? null;

    try {
        return decodeURIComponent(new URL(source).pathname.split("/").pop() ?? "");
    } catch {
        // An unparsable source is already reported by checkSourceAndConversion
        return null;
    }
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
    return typeof value === "string" && value.trim() !== "";
}

function isPositiveNumber(value: unknown): value is number {
    return typeof value === "number" && Number.isFinite(value) && value > 0;
}

function isPositiveInteger(value: unknown): value is number {
    return Number.isSafeInteger(value) && (value as number) > 0;
}
