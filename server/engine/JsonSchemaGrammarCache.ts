import type {GbnfJsonSchema, Llama, LlamaGrammar} from "node-llama-cpp";
import {InvalidRequestError} from "./engineErrors";

/**
 * Grammars built from JSON schemas, keyed by the schema's JSON text, so a judge sending the same schema with every
 * request builds its grammar once. A grammar is immutable and shared; each generation makes its own evaluation
 * state from it. The least recently used grammar is dropped past `maxEntries`, so clients sending ever-new schemas
 * cannot grow the engine's memory.
 */
const repetitionKeywords = new Set(["minLength", "maxLength", "minItems", "maxItems"]);

export class JsonSchemaGrammarCache {
    private readonly _grammars = new Map<string, LlamaGrammar>();

    public constructor(private readonly _llama: Llama, private readonly _maxEntries = 32) {}

    public async get(schema: GbnfJsonSchema): Promise<LlamaGrammar> {
        const key = JSON.stringify(schema);
        const cached = this._grammars.get(key);
        if (cached != null) {
            this._grammars.delete(key);
            this._grammars.set(key, cached);
            return cached;
        }

        let grammar: LlamaGrammar;
        try {
            grammar = await this._llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema);
        } catch (error) {
            // toGrammarJsonSchema refuses what node-llama-cpp cannot express; this is the net for what slips through.
            // llama.cpp says only "Failed to parse grammar" (its reason goes to stderr), so find the keyword behind it
            const culprit = await this._findRefusedCount(schema);
            throw new InvalidRequestError(
                "The JSON schema in `response_format` could not be turned into a grammar" + (culprit != null
                    ? `: \`response_format.json_schema.schema${culprit.path}\` is ${culprit.value}, more repetitions than llama.cpp's grammar parser ` +
                      "accepts (it allows up to about 1000 to 2000); use a smaller value or leave it out."
                    : `: ${error instanceof Error ? error.message : String(error)} (the engine's log has llama.cpp's reason).`),
                "response_format"
            );
        }
        this._grammars.set(key, grammar);
        for (const oldest of this._grammars.keys()) {
            if (this._grammars.size <= this._maxEntries) break;
            this._grammars.delete(oldest);
        }
        return grammar;
    }

    /**
     * The repetition count (minLength, maxLength, minItems, maxItems) whose removal lets the schema's grammar parse,
     * as `.properties.summary.minLength` with its value; null when none does (or after 32 tries).
     */
    private async _findRefusedCount(schema: GbnfJsonSchema): Promise<{path: string, value: number} | null> {
        const counts: {path: string, value: number, remove: () => GbnfJsonSchema}[] = [];
        const visit = (node: unknown, path: string, rebuild: (replacement: unknown) => unknown) => {
            if (node == null || typeof node !== "object") return;
            if (Array.isArray(node)) {
                node.forEach((item, index) => visit(item, `${path}[${index}]`, (replacement) => rebuild(node.map((other, at) => at === index ? replacement : other))));
                return;
            }
            const fields = node as Record<string, unknown>;
            for (const [key, value] of Object.entries(fields)) {
                const childPath = `${path}.${key}`;
                if (repetitionKeywords.has(key) && typeof value === "number") {
                    const {[key]: _removed, ...rest} = fields;
                    counts.push({path: childPath, value, remove: () => rebuild(rest) as GbnfJsonSchema});
                } else
                    visit(value, childPath, (replacement) => rebuild({...fields, [key]: replacement}));
            }
        };
        visit(schema, "", (replacement) => replacement);
        // Largest first: the likeliest culprit
        for (const count of counts.sort((a, b) => b.value - a.value).slice(0, 32)) {
            try {
                await this._llama.createGrammarForJsonSchema<GbnfJsonSchema>(count.remove());
                return {path: count.path, value: count.value};
            } catch {
                // not this one alone
            }
        }
        return null;
    }

    public get size(): number {
        return this._grammars.size;
    }
}
