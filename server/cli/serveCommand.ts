import crypto from "node:crypto";
import {parseArgs} from "node:util";
import {defaultLookupDraftTokens, LlamaEngine, type GpuBackend, type PromptFormat, type SpeculativeMode, type TokenLoopKind} from "../engine/LlamaEngine";
import {EngineHttpServer} from "../http/EngineHttpServer";
import {CliUsageError} from "./CliUsageError";
import {isProcessAlive} from "./isProcessAlive";
import {parseLoraArgument} from "./parseLoraArgument";
import {resolveModelArgument} from "./resolveModelArgument";

export const serveUsage = `belle serve --model <file.gguf | embedded> [options]

  --model <path>          GGUF model to serve; "embedded" generates the built-in demo model (no download)
  --lora <file>[:scale]   LoRA adapter GGUF to apply on the model (repeatable; scale [1])
  --gpu-layers <n|auto>   layers to offload to the GPU (0 = CPU only)          [auto]
  --backend <name>        auto | cuda | vulkan | metal | cpu                   [auto]
  --ctx-size <n>          context tokens per sequence                          [4096]
  --parallel <n>          parallel sequences (concurrent requests)             [4]
  --threads <n|auto>      CPU threads; auto: the cores others leave free      [auto]
  --token-loop <l>        auto | native | node-llama-cpp: native decodes and samples
                          in a worker thread through llama.cpp's C API (CPU build,
                          no LoRA); auto: native where it can run                [auto]
  --prompt-format <f>     auto | model | belle ("Human: \\n…\\n\\nAssistant: \\n")  [auto]
  --max-queue <n>         requests that may wait for a sequence before 429     [64]
  --speculative <mode>    lookup: draft tokens copied from the prompt and let  [auto]
                          the model verify them (faster on answers that copy
                          their prompt: rewrite, extract, summarize, code edit;
                          the same text as without); off: none; auto: lookup
                          on the native token loop, none on node-llama-cpp's
  --lookup-draft <n>      tokens a prompt-lookup draft holds at most           [${defaultLookupDraftTokens}]
  --host <addr>           address to bind                                      [127.0.0.1]
  --port <n>              port; 0 picks a free one                             [0]
  --allow-origin <o>      browser origin allowed to call (repeatable; scheme://* allowed)
  --parent-pid <pid>      exit when this process is gone (used by the VS Code extension)

The bearer token is random per start, or BELLE_API_TOKEN when set. One JSON line
{"event":"ready","port":…,"token":…} is printed on stdout once the model is loaded.`;

export async function serveCommand(argv: string[]): Promise<void> {
    const {values} = parseArgs({
        args: argv,
        options: {
            model: {type: "string"},
            lora: {type: "string", multiple: true, default: []},
            "gpu-layers": {type: "string", default: "auto"},
            backend: {type: "string", default: "auto"},
            "ctx-size": {type: "string", default: "4096"},
            parallel: {type: "string", default: "4"},
            threads: {type: "string", default: "auto"},
            "prompt-format": {type: "string", default: "auto"},
            "token-loop": {type: "string", default: "auto"},
            "max-queue": {type: "string", default: "64"},
            speculative: {type: "string", default: "auto"},
            "lookup-draft": {type: "string", default: String(defaultLookupDraftTokens)},
            host: {type: "string", default: "127.0.0.1"},
            port: {type: "string", default: "0"},
            "allow-origin": {type: "string", multiple: true, default: []},
            "parent-pid": {type: "string"}
        },
        strict: true
    });

    const log = (line: string) => process.stderr.write(`${line}\n`);
    const backend = oneOf(values.backend, ["auto", "cuda", "vulkan", "metal", "cpu"], "--backend") as GpuBackend;
    const promptFormat = oneOf(values["prompt-format"], ["auto", "model", "belle"], "--prompt-format") as PromptFormat;
    const tokenLoop = oneOf(values["token-loop"], ["auto", "native", "node-llama-cpp"], "--token-loop") as TokenLoopKind;
    const speculative = oneOf(values.speculative, ["auto", "lookup", "off"], "--speculative") as SpeculativeMode;
    const lookupDraftTokens = integer(values["lookup-draft"], "--lookup-draft", 1);
    if (values.model == null)
        throw new CliUsageError("--model is required (a .gguf path, or \"embedded\" for the built-in demo model).");

    // The parent is watched from the start: an editor that crashed while the model loaded leaves no engine behind
    const parentPid = values["parent-pid"] == null ? null : integer(values["parent-pid"], "--parent-pid", 1);
    let shutdown: (reason: string) => Promise<void> = async (reason) => {
        log(`[engine] stopping before it was ready (${reason})`);
        process.exit(0);
    };
    if (parentPid != null) {
        const checkParent = () => {
            if (!isProcessAlive(parentPid)) void shutdown(`parent process ${parentPid} is gone`);
        };
        checkParent();
        setInterval(checkParent, 2000).unref();
    }

    const loraAdapters = values.lora.map(parseLoraArgument);
    const modelPath = await resolveModelArgument(values.model);
    const token = process.env.BELLE_API_TOKEN ?? crypto.randomBytes(24).toString("base64url");

    log(`[engine] loading ${modelPath}${loraAdapters.map(({filePath, scale}) => ` + LoRA ${filePath} (scale ${scale})`).join("")}`);
    const engine = await LlamaEngine.load({
        modelPath,
        gpuLayers: values["gpu-layers"] === "auto" ? "auto" : integer(values["gpu-layers"], "--gpu-layers", 0),
        backend,
        contextSize: integer(values["ctx-size"], "--ctx-size", 16),
        parallel: integer(values.parallel, "--parallel", 1),
        threads: values.threads === "auto" ? "auto" : integer(values.threads, "--threads", 1),
        promptFormat,
        maxQueued: integer(values["max-queue"], "--max-queue", 0),
        loraAdapters,
        tokenLoop,
        speculative,
        lookupDraftTokens,
        log
    });
    const server = await EngineHttpServer.listen(engine, {
        host: values.host,
        port: integer(values.port, "--port", 0),
        token,
        allowedOrigins: values["allow-origin"],
        log
    });
    if (values.host !== "127.0.0.1" && values.host !== "localhost" && values.host !== "::1")
        log(`[engine] warning: bound to ${values.host}, reachable from other machines; keep the token secret.`);

    const info = engine.info;
    process.stdout.write(`${JSON.stringify({event: "ready", port: server.port, host: values.host, token, ...info})}\n`);
    log(`[engine] ready: ${info.model} on http://${values.host}:${server.port}/v1 (${info.backend}, ${info.gpuLayers} GPU layers, ${info.threads} threads, ${info.parallel} sequences × ${info.contextSize} tokens, token loop ${info.tokenLoop}${info.loraAdapters.length === 0 ? "" : `, ${info.loraAdapters.length} LoRA adapter(s)`}${info.speculative === "off" ? "" : `, prompt lookup (drafts of up to ${info.lookupDraftTokens} tokens)`})`);
    if (process.stdout.isTTY)
        log(`  try: curl http://127.0.0.1:${server.port}/v1/chat/completions -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '{"messages":[{"role":"user","content":"你好"}],"max_tokens":32}'`);

    let shuttingDown = false;
    shutdown = async (reason: string) => {
        if (shuttingDown) return;
        shuttingDown = true;
        log(`[engine] shutting down (${reason})`);
        await server.close();
        await engine.dispose();
        process.exit(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
    process.on("disconnect", () => void shutdown("parent disconnected"));
}

function integer(text: string, flag: string, min: number): number {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min)
        throw new CliUsageError(`${flag} must be an integer of at least ${min}, got "${text}".`);
    return value;
}

function oneOf(text: string, allowed: readonly string[], flag: string): string {
    if (!allowed.includes(text))
        throw new CliUsageError(`${flag} must be one of ${allowed.join(", ")}, got "${text}".`);
    return text;
}
