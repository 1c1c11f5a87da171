import type {GbnfJsonSchema, Llama, LlamaGrammar} from "node-llama-cpp";
import {InvalidRequestError} from "./engineErrors";

/**
 * Grammars built from JSON schemas, keyed by the schema's JSON text, so a judge sending the same schema with every
 * request builds its grammar once. A grammar is immutable and shared; each generation makes its own evaluation
 * state from it. The least recently used grammar is dropped past `maxEntries`, so clients sending ever-new schemas
 * cannot grow the engine's memory.
 */
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
            // toGrammarJsonSchema refuses what node-llama-cpp cannot express; this is the net for what slips through
            throw new InvalidRequestError(
                `The JSON schema in \`response_format\` could not be turned into a grammar: ${error instanceof Error ? error.message : String(error)}`,
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

    public get size(): number {
        return this._grammars.size;
    }
}
