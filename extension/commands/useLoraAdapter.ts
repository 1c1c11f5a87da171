import path from "node:path";
import * as vscode from "vscode";
import {readLoraAdapterSettings, type LoraAdapterSetting} from "../config/loraAdapterSettings";

/**
 * "BELLE: Use as LoRA Adapter" (explorer menu on a .gguf, or the palette): adds the adapter to `belle.loraAdapters`
 * in the workspace settings with a scale (1 is as trained, 0 turns it off), or takes it out again; the engine
 * restarts on the change and checks the adapter against `belle.model` before it loads anything, so a file that is
 * not a LoRA adapter of that model shows the engine's named error. `scale` skips the question (tests, keybindings).
 * Resolves with the adapters now set, or undefined when the user backed out.
 */
export async function useLoraAdapter(uri?: vscode.Uri, scale?: number): Promise<LoraAdapterSetting[] | undefined> {
    const configuration = vscode.workspace.getConfiguration("belle");
    const current = readLoraAdapterSettings(configuration.get("loraAdapters"));
    const adapterPath = uri?.fsPath ?? await pickAdapter(current);
    if (adapterPath == null) return undefined;
    const same = (entry: LoraAdapterSetting) => path.resolve(entry.path) === path.resolve(adapterPath);

    let chosenScale = scale;
    if (chosenScale == null) {
        const existing = current.find(same);
        const text = await vscode.window.showInputBox({
            title: vscode.l10n.t("LoRA adapter {0}", path.basename(adapterPath)),
            prompt: vscode.l10n.t("Scale of the adapter: 1 applies it as trained, 0.5 half as strongly, 0 takes it out."),
            value: String(existing?.scale ?? 1),
            validateInput: (input) => Number.isFinite(parseScale(input)) ? undefined : vscode.l10n.t("Enter a number, such as 1 or 0.5.")
        });
        if (text == null) return undefined;
        chosenScale = parseScale(text);
    }
    const adapters = chosenScale === 0 ? current.filter((entry) => !same(entry))
        : current.some(same) ? current.map((entry) => same(entry) ? {...entry, scale: chosenScale!} : entry)
            : [...current, {path: adapterPath, scale: chosenScale}];
    await configuration.update("loraAdapters", adapters.length === 0 ? undefined : adapters, vscode.ConfigurationTarget.Workspace);
    void vscode.window.showInformationMessage(chosenScale === 0
        ? vscode.l10n.t("LoRA adapter {0} taken out; the engine restarts without it.", path.basename(adapterPath))
        : vscode.l10n.t("LoRA adapter {0} applied at scale {1} on top of the selected model; the engine restarts with it.", path.basename(adapterPath), chosenScale));
    return adapters;
}

function parseScale(text: string): number {
    const trimmed = text.normalize("NFKC").trim();
    return trimmed === "" ? Number.NaN : Number(trimmed);
}

/** The workspace's .gguf files, names that say "lora" or "adapter" first, the adapters already set marked. */
async function pickAdapter(current: readonly LoraAdapterSetting[]): Promise<string | undefined> {
    const found = await vscode.workspace.findFiles("**/*.gguf", "**/node_modules/**", 200);
    const looksLikeAdapter = (uri: vscode.Uri) => /lora|adapter/i.test(path.basename(uri.fsPath));
    const sorted = found.sort((a, b) => Number(looksLikeAdapter(b)) - Number(looksLikeAdapter(a)));
    const browse = {label: `$(folder-opened) ${vscode.l10n.t("Browse…")}`, filePath: undefined as string | undefined};
    const picked = await vscode.window.showQuickPick([
        ...sorted.map((uri) => {
            const set = current.find((entry) => path.resolve(entry.path) === uri.fsPath);
            return {
                label: path.basename(uri.fsPath),
                description: [vscode.workspace.asRelativePath(uri), set == null ? "" : vscode.l10n.t("in use at scale {0}", set.scale)].filter((part) => part !== "").join(" · "),
                filePath: uri.fsPath as string | undefined
            };
        }),
        browse
    ], {title: vscode.l10n.t("LoRA adapter (a GGUF made by llama.cpp's convert_lora_to_gguf.py)")});
    if (picked == null) return undefined;
    if (picked.filePath != null) return picked.filePath;
    return (await vscode.window.showOpenDialog({canSelectMany: false, filters: {GGUF: ["gguf"]}}))?.[0]?.fsPath;
}
