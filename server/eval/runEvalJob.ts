import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {EvalRunFile} from "./EvalRunFile";
import type {EvalItem} from "./EvalItem";
import {matchEvalClass} from "./evalClasses";
import type {JudgePromptSet} from "./JudgePromptSet";
import {parseJudgeScore} from "./parseJudgeScore";
import {readEvalSetFile} from "./readEvalSet";
import {renderJudgePrompt} from "./renderJudgePrompt";
import {scoreAgainstReference} from "./scoreAgainstReference";
import type {EvalRunHeader, EvalRunRecord} from "./report/EvalRunRecord";
import {requestChatCompletion, type ChatEndpoint} from "./requestChatCompletion";

export interface EvalSampling {
    temperature: number,
    topP: number,
    maxTokens: number,
    seed?: number
}

/**
 * "belle": BELLE's prompt, score read from `得分:`; "json": the same prompt, the reply constrained to {"score","reason"};
 * "reference": no judge model (`judge` is not used), the score is the answer's overlap with the standard answer
 * (`scoreAgainstReference`), so a run can be scored offline.
 */
export type EvalJudgeMode = "belle" | "json" | "reference";

/** The judge a run header names for the reference judge. */
export const referenceJudgeLabel = "reference";

export interface EvalProgress {
    done: number,
    total: number,
    failed: number,
    /** Mean of the scores so far (resumed items included); null before the first score. */
    meanScore: number | null,
    /** Estimated time left, from this session's pace; null until an item finished. */
    etaMs: number | null,
    /** The record that just finished (absent for the first report). */
    record?: EvalRunRecord
}

export interface RunEvalJobOptions {
    evalSetPath: string,
    runFilePath: string,
    candidate: ChatEndpoint,
    /** Null: answers only, no scores (unless judgeMode is "reference", which needs no judge model). */
    judge: ChatEndpoint | null,
    judgeMode?: EvalJudgeMode,
    sampling: EvalSampling,
    /** Longest judge reply; BELLE's judge writes a short reason and `得分: x`. */
    judgeMaxTokens?: number,
    /** Identity of the candidate's weights for the answer cache (e.g. the GGUF's sha256); null: the model name. */
    modelHash?: string | null,
    classes?: string[],
    /** Evaluate a seeded random sample of this many items. */
    sampleSize?: number,
    sampleSeed?: number,
    shard?: {index: number, count: number},
    concurrency?: number,
    /** Folder of the answer cache; none when undefined. */
    cacheDir?: string,
    judgePrompts?: JudgePromptSet,
    signal?: AbortSignal,
    onProgress?: (progress: EvalProgress) => void
}

export interface RunEvalJobResult {
    /** Every record of the run file: resumed ones first, then this session's. */
    records: EvalRunRecord[],
    total: number,
    resumed: number,
    cachedAnswers: number,
    generatedAnswers: number
}

const judgeSchema = {
    type: "object",
    // enum, not minimum/maximum: the grammar cannot enforce a numeric range. The length bound keeps a judge that
    // never closes its string (a weak local model) from running to max_tokens on every item.
    properties: {score: {enum: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]}, reason: {type: "string", maxLength: 200}},
    required: ["score", "reason"],
    additionalProperties: false
} as const;

/** Stable identity of an item across edits elsewhere in the file and across shards. */
export function evalItemKey(item: Pick<EvalItem, "index" | "question">): string {
    return `${item.index}:${crypto.createHash("sha256").update(item.question).digest("hex").slice(0, 12)}`;
}

/**
 * Runs (or resumes) an evaluation: each selected item's question goes to the candidate, the answer to the judge,
 * and a record is appended to the run file as soon as the item is done. Items already in the run file are not
 * run again; cancelling (the signal) stops new items and lets the ones under way finish their write.
 */
export async function runEvalJob(options: RunEvalJobOptions): Promise<RunEvalJobResult> {
    const {candidate, judge, sampling, signal, onProgress} = options;
    const judgeMode = options.judgeMode ?? "belle";
    const evalSet = await readEvalSetFile(options.evalSetPath, {signal});
    const items = selectItems(evalSet.items, options);

    const header: EvalRunHeader = {
        kind: "header",
        runId: crypto.randomUUID(),
        evalSetPath: path.resolve(options.evalSetPath),
        model: candidate.model,
        modelHash: options.modelHash ?? null,
        judge: judgeMode === "reference" ? referenceJudgeLabel : judge == null ? "none" : judge.label ?? `${judge.model}@${judge.baseUrl}`,
        settings: {
            ...sampling, judgeMode, classes: options.classes ?? null, sampleSize: options.sampleSize ?? null,
            sampleSeed: options.sampleSeed ?? null, shard: options.shard == null ? null : `${options.shard.index}/${options.shard.count}`
        },
        createdAt: new Date().toISOString()
    };
    const {file, existing} = await EvalRunFile.openForAppend(options.runFilePath, header);
    const doneKeys = new Set(existing.map((record) => record.itemKey));
    const pending = items.filter((item) => !doneKeys.has(evalItemKey(item)));
    const records = [...existing.filter((record) => items.some((item) => evalItemKey(item) === record.itemKey))];

    let cachedAnswers = 0;
    let generatedAnswers = 0;
    const startedAt = performance.now();
    let finishedThisSession = 0;
    const report = (record?: EvalRunRecord) => {
        if (onProgress == null) return;
        const scores = records.map((entry) => entry.score).filter((score): score is number => score != null);
        const elapsedMs = performance.now() - startedAt;
        try {
            onProgress({
                done: records.length, total: items.length,
                failed: records.filter((entry) => entry.score == null).length,
                meanScore: scores.length === 0 ? null : scores.reduce((sum, score) => sum + score, 0) / scores.length,
                etaMs: finishedThisSession === 0 ? null : elapsedMs / finishedThisSession * (items.length - records.length),
                record
            });
        } catch {
            // a throwing progress listener must not stop the run
        }
    };
    report();

    const runItem = async (item: EvalItem): Promise<EvalRunRecord> => {
        let answer: string | null = null;
        let error: string | null = null;
        let score: number | null = null;
        let judgeReason: string | null = null;
        let judgeRaw: string | null = null;
        try {
            const cached = await readCachedAnswer(options.cacheDir, answerCacheKey(options, item));
            if (cached != null) {
                answer = cached;
                cachedAnswers++;
            } else {
                const reply = await requestChatCompletion(candidate, {
                    messages: [{role: "user", content: item.question}],
                    temperature: sampling.temperature, top_p: sampling.topP, max_tokens: sampling.maxTokens,
                    ...(sampling.seed == null ? {} : {seed: sampling.seed})
                }, signal);
                answer = reply.content;
                generatedAnswers++;
                await writeCachedAnswer(options.cacheDir, answerCacheKey(options, item), answer);
            }
        } catch (caught) {
            if (signal?.aborted) throw caught;
            error = `answer: ${(caught as Error).message}`;
        }
        if (answer != null && judgeMode === "reference") {
            const verdict = scoreAgainstReference(answer, item.stdAnswer);
            if (verdict.ok) {
                score = verdict.score;
                judgeReason = verdict.reason;
            } else error = `judge: ${verdict.error}`;
        } else if (answer != null && judge != null) {
            try {
                const prompt = renderJudgePrompt(item, answer, options.judgePrompts);
                const reply = await requestChatCompletion(judge, {
                    messages: [{role: "user", content: prompt.message}],
                    temperature: 0, max_tokens: options.judgeMaxTokens ?? 512,
                    ...(judgeMode === "json" ? {response_format: {type: "json_schema", json_schema: {name: "belle_judge", schema: judgeSchema}}} : {})
                }, signal);
                judgeRaw = reply.content;
                const parsed = parseJudgeScore(reply.content);
                if (parsed.ok) {
                    score = parsed.score;
                    judgeReason = parsed.reason;
                } else error = `judge: ${parsed.error}`;
            } catch (caught) {
                if (signal?.aborted) throw caught;
                error = `judge: ${(caught as Error).message}`;
            }
        }
        return {
            itemKey: evalItemKey(item), index: item.index, question: item.question, stdAnswer: item.stdAnswer,
            className: item.className, evalClass: item.evalClass, answer, score, judgeReason, judgeRaw, error,
            model: candidate.model, judge: header.judge, finishedAt: new Date().toISOString()
        };
    };

    const queue = [...pending];
    const worker = async () => {
        for (let item = queue.shift(); item != null && signal?.aborted !== true; item = queue.shift()) {
            let record: EvalRunRecord;
            try {
                record = await runItem(item);
            } catch (caught) {
                if (signal?.aborted) return; // cancelled mid-item: it was not written, so a resume runs it
                throw caught;
            }
            await file.append(record);
            records.push(record);
            finishedThisSession++;
            report(record);
        }
    };
    try {
        await Promise.all(Array.from({length: Math.max(1, options.concurrency ?? 4)}, worker));
    } finally {
        await file.close();
    }
    return {records, total: items.length, resumed: existing.length, cachedAnswers, generatedAnswers};
}

function selectItems(items: EvalItem[], options: RunEvalJobOptions): EvalItem[] {
    let selected = items;
    if (options.classes != null && options.classes.length > 0) {
        const wanted = new Set(options.classes.map((name) => matchEvalClass(name) ?? name.trim().toLowerCase()));
        selected = selected.filter((item) => wanted.has(item.evalClass ?? item.className.trim().toLowerCase()));
    }
    if (options.sampleSize != null && options.sampleSize < selected.length) {
        // Rank by a seeded hash of the key: the same seed picks the same items, whatever the file order.
        const seed = String(options.sampleSeed ?? 0);
        const rank = (item: EvalItem) => crypto.createHash("sha256").update(`${seed}:${evalItemKey(item)}`).digest("hex");
        const chosen = new Set([...selected].sort((a, b) => rank(a).localeCompare(rank(b))).slice(0, options.sampleSize));
        selected = selected.filter((item) => chosen.has(item));
    }
    if (options.shard != null) {
        const {index, count} = options.shard;
        selected = selected.filter((_item, position) => position % count === index);
    }
    return selected;
}

function answerCacheKey(options: RunEvalJobOptions, item: EvalItem): string {
    return crypto.createHash("sha256").update(JSON.stringify({
        model: options.modelHash ?? `${options.candidate.model}@${options.candidate.baseUrl}`,
        prompt: item.question,
        sampling: options.sampling
    })).digest("hex");
}

async function readCachedAnswer(cacheDir: string | undefined, key: string): Promise<string | null> {
    if (cacheDir == null) return null;
    try {
        return (JSON.parse(await fs.readFile(path.join(cacheDir, key.slice(0, 2), `${key}.json`), "utf8")) as {answer: string}).answer;
    } catch {
        return null; // not cached (or a damaged entry, which is simply generated again)
    }
}

async function writeCachedAnswer(cacheDir: string | undefined, key: string, answer: string): Promise<void> {
    if (cacheDir == null) return;
    const filePath = path.join(cacheDir, key.slice(0, 2), `${key}.json`);
    await fs.mkdir(path.dirname(filePath), {recursive: true});
    const tempPath = `${filePath}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    await fs.writeFile(tempPath, JSON.stringify({answer}), "utf8");
    await fs.rename(tempPath, filePath);
}
