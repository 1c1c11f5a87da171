import {execFile} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import * as vscode from "vscode";
import {modelCatalog, type CatalogEntry} from "../../models/catalog/modelCatalog";
import {findTrainedModels} from "../../server/train/findTrainedModels";
import {ChecksumMismatchError, downloadModel} from "../../models/download/downloadModel";
import {getModelsDir, resolveModelPath} from "../engine/resolveEngineLaunch";

const execFileAsync = promisify(execFile);

interface ModelPick extends vscode.QuickPickItem {
    action: {kind: "set", value: string} | {kind: "download", entry: CatalogEntry} | {kind: "browse"} | {kind: "convert", entry: CatalogEntry}
}

/** Settings are written where the user keeps them: the workspace when it already sets the key, else globally. */
async function updateSetting(key: string, value: unknown): Promise<void> {
    const config = vscode.workspace.getConfiguration("belle");
    const inspected = config.inspect(key);
    const target = inspected?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update(key, value, target);
}

function formatBytes(bytes: number): string {
    return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

function isDownloaded(entry: CatalogEntry): boolean {
    return fs.existsSync(path.join(getModelsDir(), entry.fileName));
}

/** Whether a catalog model has been downloaded to this machine (the walkthrough's download step). */
export function hasDownloadedModel(): boolean {
    return modelCatalog.some((entry) => entry.source != null && isDownloaded(entry));
}

/**
 * The entry's memory need against this machine's RAM: "RAM ~4.8 GB · fits this machine's 16.0 GB". Above 3/4 of
 * the RAM is "tight" (the editor and the OS need the rest); VRAM is not read here (the extension never loads
 * llama.cpp): "Configure GPU Offload" shows it for the selected model.
 */
function describeMemoryFit(entry: CatalogEntry): string {
    const totalBytes = os.totalmem();
    const fit = entry.ramBytes <= totalBytes * 0.75 ? vscode.l10n.t("fits this machine's {0}", formatBytes(totalBytes))
        : entry.ramBytes <= totalBytes ? vscode.l10n.t("tight for this machine's {0}", formatBytes(totalBytes))
            : vscode.l10n.t("too big for this machine's {0}", formatBytes(totalBytes));
    return `${vscode.l10n.t("RAM ~{0}", formatBytes(entry.ramBytes))} · ${fit}`;
}

function describeEntry(entry: CatalogEntry): string {
    return vscode.env.language.toLowerCase().startsWith("zh") ? entry.description.zh : entry.description.en;
}

/** "BELLE: Select Model": the demo model, the catalog, .gguf files in the workspace and the models folder, or browse. */
export async function selectModel(): Promise<void> {
    const current = vscode.workspace.getConfiguration("belle").get<string>("model", "");
    const picks: Array<ModelPick | vscode.QuickPickItem> = [];
    picks.push({
        label: `$(beaker) ${vscode.l10n.t("Demo model (generated, offline)")}`,
        description: current === "embedded" ? vscode.l10n.t("current") : "",
        detail: vscode.l10n.t("A tiny generated model that answers in Chinese characters: for trying the flow, not for real answers."),
        action: {kind: "set", value: "embedded"}
    });
    picks.push({label: vscode.l10n.t("Catalog"), kind: vscode.QuickPickItemKind.Separator});
    for (const entry of modelCatalog) {
        const downloaded = !entry.requiresConversion && isDownloaded(entry);
        picks.push({
            label: `${downloaded ? "$(check)" : entry.requiresConversion ? "$(tools)" : "$(cloud-download)"} ${entry.name}`,
            description: [entry.quantization, formatBytes(entry.sizeBytes), describeMemoryFit(entry),
                entry.id === current ? vscode.l10n.t("current") : ""].filter((part) => part !== "").join(" · "),
            detail: `${describeEntry(entry)} (${entry.license})`,
            action: entry.requiresConversion ? {kind: "convert", entry}
                : downloaded ? {kind: "set", value: entry.id} : {kind: "download", entry}
        });
    }
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === "file").map((folder) => folder.uri.fsPath);
    const trained = await findTrainedModels(folders);
    if (trained.length > 0) {
        picks.push({label: vscode.l10n.t("Trained in this workspace"), kind: vscode.QuickPickItemKind.Separator});
        for (const model of trained)
            picks.push({
                label: `$(mortar-board) ${model.name}`,
                description: [vscode.l10n.t("from {0}", path.basename(model.baseModel)), vscode.l10n.t("{0} epochs on {1}", model.epochs, path.basename(model.trainingFile)),
                    new Date(model.savedAtMs).toLocaleString(vscode.env.language), model.outputPath === current ? vscode.l10n.t("current") : ""]
                    .filter((part) => part !== "").join(" · "),
                detail: model.outputPath,
                action: {kind: "set", value: model.outputPath}
            });
    }
    const trainedPaths = new Set(trained.map((model) => model.outputPath));
    const localFiles = (await findLocalGgufFiles()).filter((filePath) => !trainedPaths.has(filePath));
    if (localFiles.length > 0) {
        picks.push({label: vscode.l10n.t("Local files"), kind: vscode.QuickPickItemKind.Separator});
        for (const filePath of localFiles)
            picks.push({
                label: `$(file) ${path.basename(filePath)}`,
                description: filePath === current ? vscode.l10n.t("current") : "",
                detail: filePath,
                action: {kind: "set", value: filePath}
            });
    }
    picks.push({label: "", kind: vscode.QuickPickItemKind.Separator});
    picks.push({label: `$(folder-opened) ${vscode.l10n.t("Browse for a .gguf file…")}`, action: {kind: "browse"}});

    const picked = await vscode.window.showQuickPick(picks, {
        title: vscode.l10n.t("BELLE: Select Model"),
        placeHolder: vscode.l10n.t("Pick the model the local engine should load"),
        matchOnDescription: true,
        matchOnDetail: true
    });
    if (picked == null || !("action" in picked)) return;
    const {action} = picked;
    if (action.kind === "set") return updateSetting("model", action.value);
    if (action.kind === "download") {
        const filePath = await downloadCatalogEntry(action.entry);
        if (filePath != null) await updateSetting("model", action.entry.id);
        return;
    }
    if (action.kind === "convert") {
        const document = await vscode.workspace.openTextDocument({
            language: "markdown",
            content: [
                `# ${action.entry.name}`, "", describeEntry(action.entry), "",
                vscode.l10n.t("This model is published as a Hugging Face checkpoint. Convert it to GGUF with llama.cpp, then pick the file with \"Browse\":"),
                "", "```bash", ...(action.entry.conversion?.commands ?? []), "```", ""
            ].join("\n")
        });
        await vscode.window.showTextDocument(document);
        return;
    }
    await browseForModel();
}

async function findLocalGgufFiles(): Promise<string[]> {
    const found = new Set<string>();
    try {
        for (const uri of await vscode.workspace.findFiles("**/*.gguf", "**/node_modules/**", 50)) found.add(uri.fsPath);
    } catch {
        // no workspace folder: only the models folder is listed
    }
    const catalogFiles = new Set(modelCatalog.map((entry) => entry.fileName));
    try {
        for (const name of fs.readdirSync(getModelsDir()))
            if (name.endsWith(".gguf") && !name.startsWith("belle-") && !catalogFiles.has(name)) found.add(path.join(getModelsDir(), name));
    } catch {
        // the models folder does not exist yet
    }
    return [...found].sort();
}

/** "BELLE: Download Model": pick a catalog entry and download it. */
export async function downloadModelCommand(): Promise<void> {
    const picks = modelCatalog.filter((entry) => entry.source != null).map((entry) => ({
        label: `${isDownloaded(entry) ? "$(check)" : "$(cloud-download)"} ${entry.name}`,
        description: [entry.quantization, formatBytes(entry.sizeBytes), describeMemoryFit(entry)].join(" · "),
        detail: describeEntry(entry),
        entry
    }));
    const picked = await vscode.window.showQuickPick(picks, {title: vscode.l10n.t("BELLE: Download Model"), matchOnDetail: true});
    if (picked == null) return;
    const filePath = await downloadCatalogEntry(picked.entry);
    if (filePath == null) return;
    const use = vscode.l10n.t("Use This Model");
    if (await vscode.window.showInformationMessage(vscode.l10n.t("Downloaded {0}.", picked.entry.name), use) === use)
        await updateSetting("model", picked.entry.id);
}

/**
 * Downloads with a cancellable progress notification; an interrupted or cancelled download resumes next time
 * from the `.partial` file. Resolves with the file path, or undefined when cancelled or failed (already reported).
 */
export async function downloadCatalogEntry(entry: CatalogEntry): Promise<string | undefined> {
    if (entry.source == null) return undefined;
    const source = entry.source;
    return vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t("Downloading {0}", entry.name),
        cancellable: true
    }, async (progress, token) => {
        const controller = new AbortController();
        const subscription = token.onCancellationRequested(() => controller.abort());
        let reportedPercent = 0;
        try {
            const result = await downloadModel({
                source, dirPath: getModelsDir(), fileName: entry.fileName, sha256: entry.sha256, signal: controller.signal,
                skipExisting: true,
                onProgress: ({downloadedBytes, totalBytes}) => {
                    const total = totalBytes ?? entry.sizeBytes;
                    const percent = Math.min(100, Math.floor(downloadedBytes / total * 100));
                    progress.report({
                        increment: percent - reportedPercent,
                        message: `${formatBytes(downloadedBytes)} / ${formatBytes(total)} (${percent}%)`
                    });
                    reportedPercent = percent;
                }
            });
            void vscode.commands.executeCommand("setContext", "belle.modelDownloaded", true);
            return result.filePath;
        } catch (error) {
            if (controller.signal.aborted) {
                void vscode.window.showInformationMessage(vscode.l10n.t("Download of {0} cancelled; it resumes where it stopped next time.", entry.name));
                return undefined;
            }
            if (isOffline(error)) {
                void offerOfflineChoices(entry, reportedPercent);
                return undefined;
            }
            const message = error instanceof ChecksumMismatchError
                ? vscode.l10n.t("The downloaded file of {0} does not match its published checksum and was deleted. Try again.", entry.name)
                : vscode.l10n.t("Downloading {0} failed: {1}. Run the command again to resume.", entry.name, (error as Error).message);
            void vscode.window.showErrorMessage(message);
            return undefined;
        } finally {
            subscription.dispose();
        }
    });
}

/** Error codes of a machine that cannot reach the download host (no network, no DNS, a firewall). */
const offlineCodes = new Set(["ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET",
    "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_SOCKET"]);

/** Whether a download failed because the host could not be reached, as fetch reports it (the code is on a cause). */
export function isOffline(error: unknown): boolean {
    for (let current: unknown = error, depth = 0; current != null && depth < 4; current = (current as {cause?: unknown}).cause, depth++) {
        const code = (current as {code?: unknown}).code;
        if (typeof code === "string" && offlineCodes.has(code)) return true;
        if (/getaddrinfo|ENOTFOUND|EAI_AGAIN|ENETUNREACH/.test(String((current as Error).message ?? ""))) return true;
    }
    return false;
}

/**
 * The download host is out of reach: say so in words, and offer what works offline (the demo model, a .gguf the
 * user already has) or a retry. The model setting changes only on the user's pick.
 */
async function offerOfflineChoices(entry: CatalogEntry, downloadedPercent: number): Promise<void> {
    const useDemo = vscode.l10n.t("Use the Demo Model");
    const browse = vscode.l10n.t("Browse for a .gguf File…");
    const retry = vscode.l10n.t("Retry");
    const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t("This machine seems to be offline: the download of {0} could not reach its server. The demo model works offline, or pick a .gguf file you already have.", entry.name)
            + (downloadedPercent > 0 ? " " + vscode.l10n.t("The {0}% downloaded so far is kept; a retry resumes from there.", downloadedPercent) : ""),
        useDemo, browse, retry);
    if (choice === useDemo) await updateSetting("model", "embedded");
    else if (choice === browse) await browseForModel();
    else if (choice === retry) {
        const filePath = await downloadCatalogEntry(entry);
        if (filePath != null) await updateSetting("model", entry.id);
    }
}

async function browseForModel(): Promise<void> {
    const uris = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: {GGUF: ["gguf"]},
        title: vscode.l10n.t("Select a GGUF model")
    });
    if (uris?.[0] != null) await updateSetting("model", uris[0].fsPath);
}

interface MemoryEstimateJson {gpuLayers: number, totalRamBytes: number, totalVramBytes: number}

/** The part of `belle inspect --json` this command reads. */
interface InspectJson {
    offloadableLayers: number,
    memory: {
        gpu: {backend: string, freeVramBytes: number, totalVramBytes: number},
        plannedGpuLayers: number,
        planned: MemoryEstimateJson,
        cpuOnly: MemoryEstimateJson,
        allOnGpu: MemoryEstimateJson
    }
}

function describeEstimate(estimate: MemoryEstimateJson): string {
    return vscode.l10n.t("RAM {0}, VRAM {1}", formatBytes(estimate.totalRamBytes), formatBytes(estimate.totalVramBytes));
}

/**
 * "BELLE: Configure GPU Offload": shows what the engine plans for the current model (from its GGUF metadata and
 * free VRAM, computed by `belle inspect`) and lets the user keep `auto` or set a layer count.
 */
export async function configureGpuOffload(serverScriptPath: string, log: vscode.LogOutputChannel): Promise<void> {
    const config = vscode.workspace.getConfiguration("belle");
    let modelPath: string;
    try {
        modelPath = resolveModelPath(config.get<string>("model", ""));
    } catch (error) {
        void vscode.window.showErrorMessage((error as Error).message);
        return;
    }
    let info: InspectJson | undefined;
    try {
        const {stdout} = await vscode.window.withProgress(
            {location: vscode.ProgressLocation.Window, title: vscode.l10n.t("Reading the model…")},
            () => execFileAsync(process.execPath, [serverScriptPath, "inspect", modelPath, "--json",
                "--ctx-size", String(config.get("contextSize", 4096)), "--parallel", String(config.get("parallel", 4))],
            {env: {...process.env, ELECTRON_RUN_AS_NODE: "1"}, maxBuffer: 16 * 1024 * 1024})
        );
        info = JSON.parse(stdout) as InspectJson;
    } catch (error) {
        log.warn(`[gpu] could not inspect ${modelPath}: ${(error as Error).message}`);
    }
    const current = config.get<string | number>("gpuLayers", "auto");
    const memory = info?.memory;
    const picks: Array<vscode.QuickPickItem & {value: "auto" | number | "custom"}> = [
        {
            label: vscode.l10n.t("Automatic"),
            description: memory == null ? "" : vscode.l10n.t("{0} of {1} layers on {2}: {3}", memory.plannedGpuLayers,
                info!.offloadableLayers, memory.gpu.backend === "cpu" ? "CPU" : memory.gpu.backend, describeEstimate(memory.planned)),
            detail: memory == null || memory.gpu.backend === "cpu"
                ? vscode.l10n.t("No GPU found: everything runs on the CPU.")
                : vscode.l10n.t("Free GPU memory: {0} of {1}.", formatBytes(memory.gpu.freeVramBytes), formatBytes(memory.gpu.totalVramBytes)),
            value: "auto"
        },
        {label: vscode.l10n.t("CPU only"), description: memory == null ? "" : describeEstimate(memory.cpuOnly), value: 0},
        ...(info == null ? [] : [{
            label: vscode.l10n.t("All {0} layers on the GPU", info.offloadableLayers),
            description: describeEstimate(info.memory.allOnGpu),
            value: info.offloadableLayers
        }]),
        {label: vscode.l10n.t("Custom number of layers…"), value: "custom" as const}
    ];
    for (const pick of picks) if (pick.value === current) pick.description = `${pick.description ?? ""} ${vscode.l10n.t("(current)")}`.trim();
    const picked = await vscode.window.showQuickPick(picks, {title: vscode.l10n.t("BELLE: Configure GPU Offload")});
    if (picked == null) return;
    let value: "auto" | number = picked.value === "custom" ? 0 : picked.value;
    if (picked.value === "custom") {
        const input = await vscode.window.showInputBox({
            prompt: vscode.l10n.t("Number of layers to put on the GPU"),
            validateInput: (text) => /^\d+$/.test(text.trim()) ? undefined : vscode.l10n.t("Enter a whole number (0 = CPU only).")
        });
        if (input == null) return;
        value = Number(input.trim());
    }
    await updateSetting("gpuLayers", value);
}
