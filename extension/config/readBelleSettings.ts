import * as vscode from "vscode";
import type {ConversationSettings} from "../../webview/protocol/chatProtocol";
import {readLoraAdapterSettings, type LoraAdapterSetting} from "./loraAdapterSettings";
import {readEvalSamplingSettings, type EvalSamplingSettings, type InvalidEvalSetting} from "./evalSamplingSettings";

export interface BelleSettings {
    /** "" (none yet), "embedded", a catalog id, or a .gguf path. */
    model: string,
    gpuLayers: "auto" | number,
    backend: "auto" | "cuda" | "vulkan" | "metal" | "cpu",
    contextSize: number,
    parallel: number,
    threads: "auto" | number,
    /** `belle.loraAdapters`: applied by the engine on top of the model, in order. */
    loraAdapters: LoraAdapterSetting[],
    conversationDefaults: ConversationSettings,
    remoteUrl: string,
    remoteModel: string,
    /** `belle.eval.*`: how Run Evaluation samples the answers and caps the judge's replies. */
    evalSampling: EvalSamplingSettings,
    /** `belle.eval.*` settings set to unusable values, replaced by their defaults: to be warned about where they are used. */
    invalidEvalSettings: InvalidEvalSetting[]
}

/** The `belle.*` settings, with out-of-range or mistyped values replaced by their defaults. */
export function readBelleSettings(): BelleSettings {
    const config = vscode.workspace.getConfiguration("belle");
    const evalSampling = readEvalSamplingSettings((settingId) => config.get<unknown>(settingId));
    const number = (key: string, fallback: number, min: number, max: number) => {
        const value = config.get<unknown>(key);
        return typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
    };
    const autoOrCount = (key: string): "auto" | number => {
        const value = config.get<unknown>(key);
        if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
        if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
        return "auto";
    };
    const backend = config.get<string>("backend", "auto");
    return {
        model: config.get<string>("model", "").trim(),
        gpuLayers: autoOrCount("gpuLayers"),
        backend: backend === "cuda" || backend === "vulkan" || backend === "metal" || backend === "cpu" ? backend : "auto",
        contextSize: Math.round(number("contextSize", 4096, 256, 1 << 20)),
        parallel: Math.round(number("parallel", 4, 1, 64)),
        threads: autoOrCount("threads") === 0 ? "auto" : autoOrCount("threads"),
        loraAdapters: readLoraAdapterSettings(config.get<unknown>("loraAdapters")),
        conversationDefaults: {
            systemPrompt: config.get<string>("systemPrompt", ""),
            temperature: number("temperature", 0.7, 0, 2),
            topP: number("topP", 0.9, 0, 1),
            maxTokens: usesDemoDefaultMaxTokens(config) ? demoModelMaxTokens : Math.round(number("maxTokens", 1024, 1, 1_000_000))
        },
        remoteUrl: config.get<string>("remote.url", "").trim().replace(/\/+$/, ""),
        remoteModel: config.get<string>("remote.model", "").trim(),
        evalSampling: evalSampling.settings,
        invalidEvalSettings: evalSampling.invalid
    };
}

/** The demo model makes random characters: a short default keeps each demo answer to seconds, not minutes. */
export const demoModelMaxTokens = 128;

/**
 * Whether `belle.maxTokens` is left at its default (1024) while the demo model is set: then answers get
 * `demoModelMaxTokens` (with 1024 every demo answer streamed ~80 s of gibberish on a laptop CPU). A value the user
 * set is always kept.
 */
function usesDemoDefaultMaxTokens(config: vscode.WorkspaceConfiguration): boolean {
    const inspected = config.inspect<unknown>("maxTokens");
    const userSet = inspected?.globalValue !== undefined || inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
    return !userSet && config.get<string>("model", "").trim() === "embedded";
}
