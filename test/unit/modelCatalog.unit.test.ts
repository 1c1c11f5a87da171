import assert from "node:assert/strict";
import {
    findCatalogEntry, modelCatalog, validateCatalog, type CatalogEntry, type CatalogProblem
} from "../../models/catalog/modelCatalog";
import {resolveDownloadUrl} from "../../models/download/downloadModel";

/** A sound entry to break one field at a time. */
const validEntry: CatalogEntry = {
    id: "qwen2.5-1.5b-instruct-q4_k_m",
    name: "Qwen2.5 1.5B Instruct (Q4_K_M)",
    family: "Qwen2.5",
    source: "hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf#91cad51170dc346986eccefdc2dd33a9da36ead9",
    fileName: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
    requiresConversion: false,
    conversion: null,
    sizeBytes: 1117320736,
    sizeIsApproximate: false,
    sha256: "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e",
    quantization: "Q4_K_M",
    parameterCount: 1540000000,
    license: "Apache-2.0",
    contextSize: 32768,
    promptFormat: "chatml",
    ramBytes: 1509949440,
    vramBytes: 1772093440,
    languages: ["zh", "en"],
    description: {zh: "通义千问 2.5 的 1.5B 指令模型。", en: "Qwen2.5 1.5B instruct."}
};

function problemsOf(changes: Record<string, unknown>): CatalogProblem[] {
    return validateCatalog([{...validEntry, ...changes}]);
}

function assertReported(problems: CatalogProblem[], field: keyof CatalogEntry | null, message: RegExp) {
    assert.ok(
        problems.some((problem) => problem.field === field && message.test(problem.message)),
        `expected a problem on ${String(field)} matching ${message}, got ${JSON.stringify(problems)}`
    );
}

describe("model catalog: Chinese-capable GGUF models and BELLE conversions", () => {
    it("ships a catalog that validates without a single problem", () => {
        assert.deepEqual(validateCatalog(modelCatalog), []);
        assert.ok(modelCatalog.length >= 10);
    });

    it("offers Qwen2.5, Qwen3, GLM-4, Yi-1.5 and InternLM2.5 downloads and a BELLE conversion", () => {
        const families = new Set(modelCatalog.map((entry) => entry.family));
        for (const family of ["Qwen2.5", "Qwen3", "GLM-4", "Yi-1.5", "InternLM2.5", "BELLE"])
            assert.ok(families.has(family), `no ${family} entry`);

        const belle = modelCatalog.find((entry) => entry.family === "BELLE")!;
        assert.equal(belle.requiresConversion, true);
        assert.equal(belle.source, null);
        assert.equal(belle.promptFormat, "belle");
        assert.equal(belle.conversion?.checkpoint, "BelleGroup/BELLE-Llama2-13B-chat-0.4M");
        assert.ok(belle.conversion?.commands.some((command) => command.includes("convert_hf_to_gguf.py")));
    });

    it("points every download at a Hugging Face resolve URL for its file", () => {
        for (const entry of modelCatalog.filter((item) => item.source != null)) {
            const url = resolveDownloadUrl(entry.source!, {huggingFaceEndpoint: "https://huggingface.co"});
            assert.equal(url.origin, "https://huggingface.co");
            assert.ok(url.pathname.endsWith(`/${entry.fileName}`), `${entry.id}: ${url.href}`);
        }
    });

    it("pins a commit and an exact size for every entry whose sha256 it knows", () => {
        const withHash = modelCatalog.filter((entry) => entry.sha256 != null);
        assert.ok(withHash.length >= 5);
        for (const entry of withHash) {
            assert.match(entry.source ?? "", /#[0-9a-f]{40}$/);
            assert.equal(entry.sizeIsApproximate, false);
        }
    });

    it("finds entries by id", () => {
        assert.equal(findCatalogEntry("qwen3-4b-q4_k_m")?.fileName, "Qwen3-4B-Q4_K_M.gguf");
        assert.equal(findCatalogEntry("no-such-model"), undefined);
    });
});

describe("validateCatalog: each kind of broken entry is reported", () => {
    it("accepts the sound test entry", () => {
        assert.deepEqual(problemsOf({}), []);
    });

    it("reports duplicate ids, naming the first entry", () => {
        const problems = validateCatalog([validEntry, {...validEntry}]);
        assert.equal(problems.length, 1);
        assert.equal(problems[0]!.entry, validEntry.id);
        assertReported(problems, "id", /duplicates the id of entry #0/);
    });

    it("reports entries that are not objects and ids that are not ids", () => {
        assertReported(validateCatalog(["qwen"]), null, /not an object/);
        assertReported(problemsOf({id: "Qwen 1.5B"}), "id", /lowercase/);
    });

    it("reports bad source URIs", () => {
        assertReported(problemsOf({source: "hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M", sha256: null}), "source", /a file must be named/);
        assertReported(problemsOf({source: "huggingface/Qwen/model.gguf", sha256: null}), "source", /neither a URL nor an hf: URI/);
        assertReported(problemsOf({source: "http://example.com/qwen2.5-1.5b-instruct-q4_k_m.gguf", sha256: null}), "source", /https/);
        assertReported(problemsOf({source: "https://example.com/qwen2.5-1.5b-instruct-q4_k_m.bin", sha256: null}), "source", /\.gguf/);
        assertReported(problemsOf({source: null}), "source", /hf: URI or an https URL/);
    });

    it("reports a file name that is not the source's", () => {
        assertReported(problemsOf({fileName: "model.gguf"}), "fileName", /differs from the source's file name/);
        assertReported(problemsOf({fileName: "models/qwen.gguf"}), "fileName", /without a folder/);
    });

    it("reports sizes that are zero, negative, fractional or smaller than the file", () => {
        assertReported(problemsOf({sizeBytes: 0}), "sizeBytes", /positive/);
        assertReported(problemsOf({sizeBytes: -5}), "sizeBytes", /positive/);
        assertReported(problemsOf({sizeBytes: 1.5}), "sizeBytes", /whole number/);
        assertReported(problemsOf({ramBytes: 0}), "ramBytes", /positive/);
        assertReported(problemsOf({vramBytes: 1000}), "vramBytes", /smaller than the model file/);
        assertReported(problemsOf({parameterCount: -1}), "parameterCount", /positive/);
        assertReported(problemsOf({contextSize: 0}), "contextSize", /positive/);
    });

    it("reports a sha256 that is not 64 lowercase hex digits, or that cannot be trusted", () => {
        assertReported(problemsOf({sha256: "abc123"}), "sha256", /64 lowercase hex/);
        assertReported(problemsOf({sha256: validEntry.sha256!.toUpperCase()}), "sha256", /64 lowercase hex/);
        assertReported(problemsOf({source: "hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf"}), "source", /pin a commit/);
        assertReported(problemsOf({sizeIsApproximate: true}), "sizeIsApproximate", /false when the sha256/);
    });

    it("reports a missing or non-Chinese zh description and a missing English one", () => {
        assertReported(problemsOf({description: {en: "Qwen2.5 1.5B instruct."}}), "description", /Chinese/);
        assertReported(problemsOf({description: {zh: "Qwen2.5 1.5B instruct.", en: "Qwen2.5 1.5B instruct."}}), "description", /Chinese/);
        assertReported(problemsOf({description: {zh: "通义千问。", en: ""}}), "description", /English/);
        assertReported(problemsOf({description: "通义千问"}), "description", /Chinese \(zh\) and an English/);
    });

    it("reports models not listed as speaking Chinese", () => {
        assertReported(problemsOf({languages: ["en"]}), "languages", /must include "zh"/);
        assertReported(problemsOf({languages: []}), "languages", /non-empty/);
    });

    it("reports unknown quantizations, prompt formats and misspelt fields", () => {
        assertReported(problemsOf({quantization: "4bit"}), "quantization", /Q4_K_M/);
        assertReported(problemsOf({promptFormat: "alpaca"}), "promptFormat", /chatml/);
        assertReported(problemsOf({sha265: null}), null, /unknown field "sha265"/);
        assertReported(problemsOf({license: ""}), "license", /non-empty/);
    });

    it("requires a conversion recipe and no source for models that must be converted", () => {
        assertReported(problemsOf({requiresConversion: true, sha256: null}), "source", /must be null/);
        assertReported(problemsOf({requiresConversion: true, source: null, sha256: null}), "conversion", /checkpoint/);
        assertReported(problemsOf({conversion: {checkpoint: "BelleGroup/BELLE-7B-2M", commands: ["python convert_hf_to_gguf.py"]}}), "conversion", /must be null/);
        assertReported(problemsOf({requiresConversion: true, source: null, sizeIsApproximate: false, conversion: {checkpoint: "x", commands: ["y"]}}), "sha256", /converts/);
    });
});
