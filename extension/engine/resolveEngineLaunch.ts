import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as vscode from "vscode";
import {findCatalogEntry} from "../../models/catalog/modelCatalog";
import {getBelleCacheDir} from "../../models/generate/ensureGeneratedModel";
import {loraAdapterArgs} from "../config/loraAdapterSettings";
import type {BelleSettings} from "../config/readBelleSettings";
import type {EngineLaunch} from "./EngineSupervisor";

/** Where "BELLE: Download Model" puts catalog models, shared with the CLI and the tests' generated models. */
export function getModelsDir(): string {
    return path.join(getBelleCacheDir(), "models");
}

/** The engine's `serve` arguments for the current settings; a model that cannot be used is a clear error. */
export function resolveEngineLaunch(settings: BelleSettings): EngineLaunch {
    const modelPath = resolveModelPath(settings.model);
    return {
        args: [
            "--model", modelPath,
            "--gpu-layers", String(settings.gpuLayers),
            "--backend", settings.backend,
            "--ctx-size", String(settings.contextSize),
            "--parallel", String(settings.parallel),
            "--threads", String(settings.threads),
            ...loraAdapterArgs(settings.loraAdapters.map(({path: setting, scale}) => ({path: resolveLoraAdapterPath(setting), scale})))
        ],
        displayModel: modelPath === "embedded" ? vscode.l10n.t("Demo model") : path.basename(modelPath).replace(/\.gguf$/i, "")
    };
}

export function resolveModelPath(model: string): string {
    if (model === "")
        throw new Error(vscode.l10n.t("No model is selected. Run \"BELLE: Select Model\" first."));
    if (model === "embedded") return "embedded";
    const entry = findCatalogEntry(model);
    if (entry != null) {
        const filePath = path.join(getModelsDir(), entry.fileName);
        if (!fs.existsSync(filePath))
            throw new Error(vscode.l10n.t("Model \"{0}\" is not downloaded yet. Run \"BELLE: Download Model\".", entry.name));
        return filePath;
    }
    const filePath = resolveSettingPath(model);
    if (!fs.existsSync(filePath))
        throw new Error(vscode.l10n.t("Model file not found: {0}. Check the \"belle.model\" setting or run \"BELLE: Select Model\".", filePath));
    return filePath;
}

function resolveLoraAdapterPath(setting: string): string {
    const filePath = resolveSettingPath(setting);
    if (!fs.existsSync(filePath))
        throw new Error(vscode.l10n.t("LoRA adapter file not found: {0}. Check the \"belle.loraAdapters\" setting.", filePath));
    return filePath;
}

/** A path from a setting: `~` is the home folder, `${workspaceFolder}` and relative paths the first workspace folder. */
function resolveSettingPath(setting: string): string {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const expanded = setting
        .replace(/^~(?=$|[\\/])/, os.homedir())
        .replace(/\$\{workspaceFolder\}/g, folder ?? "");
    return path.isAbsolute(expanded) || folder == null ? path.resolve(expanded) : path.resolve(folder, expanded);
}
