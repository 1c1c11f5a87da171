import type {ChatEndpoint} from "../../server/eval/requestChatCompletion";
import type {EvalJudgeMode, EvalSampling} from "../../server/eval/runEvalJob";

/**
 * A model the local engine serves, as its ready line tells it: the files (not the port) are its identity, so the
 * answer cache holds across engine restarts and never hands a retrained model the old one's answers.
 */
export interface ServedModel {
    /** Including `/v1`. */
    baseUrl: string,
    token: string,
    /** The engine's model id. */
    model: string,
    modelPath: string,
    loraAdapters: ReadonlyArray<{path: string, scale: number}>
}

export type EvalCandidate = {kind: "engine", served: ServedModel} | {kind: "endpoint", endpoint: ChatEndpoint};

export type EvalJudge =
    /** The local engine, its reply constrained to JSON (judge mode "json"). */
    | {kind: "engine", served: ServedModel}
    /** A remote judge with BELLE's prompts (judge mode "belle"). */
    | {kind: "endpoint", endpoint: ChatEndpoint}
    | {kind: "reference"}
    | {kind: "none"};

export interface EvalJobRequest {
    evalSetPath: string,
    runFilePath: string,
    candidate: EvalCandidate,
    judge: EvalJudge,
    sampling: EvalSampling,
    judgeMaxTokens: number,
    /** Undefined or empty: every class. */
    classes?: readonly string[],
    sampleSize?: number,
    sampleSeed?: number,
    concurrency: number,
    /** The workspace's `.belle/judge-prompts.json`, when it has one. */
    judgePromptsPath?: string | null
}

/** How run files name the local engine as a judge: without its port, which changes at every start. */
export function localJudgeName(served: ServedModel): string {
    return `${served.model} (local engine)`;
}

export function judgeModeOf(judge: EvalJudge): EvalJudgeMode {
    return judge.kind === "reference" ? "reference" : judge.kind === "engine" ? "json" : "belle";
}

/**
 * The `belle eval … --json-lines` command that runs a request — the same command a terminal or a Slurm array task
 * runs — and the environment it needs. API keys and the engine's token go in the environment only: the arguments
 * are logged and visible to every user of the machine (`ps`).
 */
export function evalJobCommand(request: EvalJobRequest): {args: string[], env: Record<string, string>} {
    const {candidate, judge, sampling} = request;
    const env: Record<string, string> = {};
    const args = ["eval", "--eval-set", request.evalSetPath, "--out", request.runFilePath, "--json-lines"];
    if (candidate.kind === "engine") {
        const {served} = candidate;
        // The running engine answers (no second copy of the model in memory); its files key the answer cache
        args.push("--url", served.baseUrl, "--model-name", served.model, "--model-file", served.modelPath,
            ...served.loraAdapters.flatMap(({path, scale}) => ["--lora", `${path}:${scale}`]));
        env.BELLE_EVAL_API_KEY = served.token;
    } else {
        args.push("--url", candidate.endpoint.baseUrl, "--model-name", candidate.endpoint.model);
        if (candidate.endpoint.apiKey != null && candidate.endpoint.apiKey !== "") env.BELLE_EVAL_API_KEY = candidate.endpoint.apiKey;
    }
    if (judge.kind === "engine") {
        args.push("--judge-url", judge.served.baseUrl, "--judge-model", judge.served.model, "--judge-name", localJudgeName(judge.served), "--judge-mode", "json");
        env.BELLE_JUDGE_API_KEY = judge.served.token;
    } else if (judge.kind === "endpoint") {
        args.push("--judge-url", judge.endpoint.baseUrl, "--judge-model", judge.endpoint.model, "--judge-mode", "belle");
        if (judge.endpoint.label != null) args.push("--judge-name", judge.endpoint.label);
        if (judge.endpoint.apiKey != null && judge.endpoint.apiKey !== "") env.BELLE_JUDGE_API_KEY = judge.endpoint.apiKey;
    } else if (judge.kind === "reference") args.push("--judge-mode", "reference");
    else args.push("--no-judge");
    args.push(
        "--temperature", String(sampling.temperature), "--top-p", String(sampling.topP), "--max-tokens", String(sampling.maxTokens),
        "--judge-max-tokens", String(request.judgeMaxTokens), "--concurrency", String(request.concurrency)
    );
    for (const name of request.classes ?? []) args.push("--class", name);
    if (request.sampleSize != null) args.push("--sample", String(request.sampleSize));
    if (request.sampleSeed != null) args.push("--seed", String(request.sampleSeed));
    if (request.judgePromptsPath != null) args.push("--judge-prompts", request.judgePromptsPath);
    return {args, env};
}
