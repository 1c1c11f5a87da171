import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import {commandIds} from "../commandIds";
import type {BelleSettings} from "../config/readBelleSettings";
import {approximateCudaDownloadMegabytes, planCudaBinariesDownload, type CudaBinariesDownloadPlan} from "../engine/cudaBinariesDownloadPlan";
import {describeCudaGpus, detectCudaGpus} from "../engine/detectCudaGpu";
import {
    CudaPackageIntegrityError, cudaBinariesAvailable, cudaBinariesDownloaded, downloadCudaBinaries, linkCudaBinaries
} from "../engine/downloadCudaBinaries";

export type CudaBinariesDependencies = {context: vscode.ExtensionContext, log: vscode.LogOutputChannel};

const neverAskKey = "belle.cudaDownload.neverAsk";
/** Asked once per node-llama-cpp version: a new version needs a new download, worth one more question. */
const askedKey = (version: string) => `belle.cudaDownload.asked.${version}`;
let offeredThisSession = false;

/**
 * Before each engine start: relinks a build downloaded earlier (an extension update brings a fresh node-llama-cpp
 * folder without the link), and once per session, where a CUDA GPU is found and nothing is installed, offers the
 * download without holding up the start.
 */
export async function prepareCudaBinariesForEngineStart(dependencies: CudaBinariesDependencies, settings: BelleSettings): Promise<void> {
    if (settings.backend !== "auto" && settings.backend !== "cuda") return;
    let plan: CudaBinariesDownloadPlan | undefined;
    try {
        // A GPU is assumed here; the offer checks for one before it asks
        plan = planFor(dependencies, true);
    } catch (error) {
        // The engine starts without CUDA: a broken install must not keep it from starting at all
        dependencies.log.warn(`[cuda] could not find the installed node-llama-cpp: ${(error as Error).message}`);
        return;
    }
    if (plan == null || cudaBinariesAvailable(plan)) return;
    if (cudaBinariesDownloaded(plan)) {
        try {
            const linkedBy = await linkCudaBinaries(plan);
            dependencies.log.info(`[cuda] linked ${plan.linkPath} to the downloaded build (${linkedBy})`);
        } catch (error) {
            dependencies.log.warn(`[cuda] could not link ${plan.linkPath} to ${plan.binsDir}: ${(error as Error).message}`);
        }
        return;
    }
    if (offeredThisSession) return;
    offeredThisSession = true;
    offerCudaBinariesDownload(dependencies, plan).catch((error: unknown) =>
        dependencies.log.warn(`[cuda] the CUDA download offer failed: ${(error as Error).message}`));
}

async function offerCudaBinariesDownload(dependencies: CudaBinariesDependencies, plan: CudaBinariesDownloadPlan): Promise<void> {
    const {globalState} = dependencies.context;
    if (globalState.get<boolean>(neverAskKey) === true || globalState.get<boolean>(askedKey(plan.version)) === true) return;
    const gpus = await detectCudaGpus();
    if (gpus == null) return;
    dependencies.log.info(`[cuda] found ${describeCudaGpus(gpus)}; no CUDA build of node-llama-cpp ${plan.version} is installed`);

    const download = vscode.l10n.t("Download");
    const notNow = vscode.l10n.t("Not now");
    const never = vscode.l10n.t("Don't ask again");
    const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t("A CUDA GPU was found ({0}). Download the CUDA build (≈{1} MB) for faster answers?", describeCudaGpus(gpus), approximateCudaDownloadMegabytes),
        download, notNow, never);
    await globalState.update(choice === never ? neverAskKey : askedKey(plan.version), true);
    if (choice === download) await runCudaBinariesDownload(dependencies, plan);
}

/** `belle.downloadCudaBinaries`: asks before downloading where no NVIDIA GPU is found. */
export async function downloadCudaBinariesCommand(dependencies: CudaBinariesDependencies): Promise<void> {
    const plan = planFor(dependencies, true);
    if (plan == null) {
        void vscode.window.showInformationMessage(vscode.l10n.t("node-llama-cpp publishes CUDA builds for Windows and Linux on x64 only."));
        return;
    }
    if (cudaBinariesAvailable(plan)) {
        void vscode.window.showInformationMessage(vscode.l10n.t("The CUDA build is already installed."));
        return;
    }
    if (await detectCudaGpus() == null) {
        const anyway = vscode.l10n.t("Download Anyway");
        const choice = await vscode.window.showWarningMessage(
            vscode.l10n.t("No NVIDIA GPU was found (nvidia-smi lists none). The CUDA build only helps with one."), anyway);
        if (choice !== anyway) return;
    }
    await runCudaBinariesDownload(dependencies, plan);
}

async function runCudaBinariesDownload({log}: CudaBinariesDependencies, plan: CudaBinariesDownloadPlan): Promise<void> {
    const succeeded = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t("Downloading CUDA acceleration"),
        cancellable: true
    }, async (progress, token) => {
        const controller = new AbortController();
        const subscription = token.onCancellationRequested(() => controller.abort());
        let reportedPercent = 0;
        try {
            const result = await downloadCudaBinaries(plan, {
                signal: controller.signal,
                log: (line) => log.info(line),
                onProgress: ({phase, downloadedBytes, totalBytes}) => {
                    if (phase !== "download") {
                        progress.report({message: phase === "verify" ? vscode.l10n.t("Checking…") : vscode.l10n.t("Unpacking…")});
                        return;
                    }
                    const percent = totalBytes == null ? 0 : Math.min(100, Math.floor(downloadedBytes / totalBytes * 100));
                    progress.report({
                        increment: percent - reportedPercent,
                        message: totalBytes == null ? megabytes(downloadedBytes) : `${megabytes(downloadedBytes)} / ${megabytes(totalBytes)} (${percent}%)`
                    });
                    reportedPercent = percent;
                }
            });
            log.info(`[cuda] installed ${plan.packageName}@${plan.version} in ${result.binsDir} (${result.linkedBy}); removed ${result.removedVersions.join(", ") || "no older versions"}`);
            return true;
        } catch (error) {
            if (controller.signal.aborted) {
                void vscode.window.showInformationMessage(vscode.l10n.t("Download of the CUDA build cancelled."));
                return false;
            }
            log.error(`[cuda] ${(error as Error).message}`);
            const showLogs = vscode.l10n.t("Show Logs");
            const message = error instanceof CudaPackageIntegrityError
                ? vscode.l10n.t("The downloaded CUDA build does not match the registry's checksum and was deleted. Try again.")
                : vscode.l10n.t("Downloading the CUDA build failed: {0}", (error as Error).message);
            void vscode.window.showErrorMessage(message, showLogs).then((choice) => { if (choice === showLogs) log.show(); });
            return false;
        } finally {
            subscription.dispose();
        }
    });
    if (!succeeded) return;
    const restart = vscode.l10n.t("Restart Engine");
    const choice = await vscode.window.showInformationMessage(
        vscode.l10n.t("CUDA acceleration is installed. Restart the engine to use it; it also needs NVIDIA's CUDA runtime (12 or 13) installed."), restart);
    if (choice === restart) await vscode.commands.executeCommand(commandIds.restartEngine);
}

function planFor({context}: CudaBinariesDependencies, cudaGpuDetected: boolean): CudaBinariesDownloadPlan | undefined {
    const nodeLlamaCpp = findNodeLlamaCpp(context.extensionPath);
    if (nodeLlamaCpp == null) return undefined;
    return planCudaBinariesDownload({
        platform: process.platform, arch: process.arch, cudaGpuDetected, nodeLlamaCppVersion: nodeLlamaCpp.version,
        globalStoragePath: context.globalStorageUri.fsPath, nodeLlamaCppDir: nodeLlamaCpp.dir
    });
}

/** The node-llama-cpp the engine loads: the .vsix's `dist/node_modules` one, else a development checkout's. */
function findNodeLlamaCpp(extensionPath: string): {dir: string, version: string} | undefined {
    for (const dir of [path.join(extensionPath, "dist", "node_modules", "node-llama-cpp"), path.join(extensionPath, "node_modules", "node-llama-cpp")]) {
        const manifestPath = path.join(dir, "package.json");
        if (!fs.existsSync(manifestPath)) continue;
        const version = (JSON.parse(fs.readFileSync(manifestPath, "utf8")) as {version?: unknown}).version;
        if (typeof version === "string") return {dir, version};
    }
    return undefined;
}

function megabytes(bytes: number): string {
    return `${Math.round(bytes / 1024 ** 2)} MB`;
}
