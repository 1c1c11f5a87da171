import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export type WorkspaceFolder = {path: string, remove: () => Promise<void>};

/** A throwaway folder to open in the workbench, with `settings` as its .vscode/settings.json. */
export async function createWorkspaceFolder(settings: Record<string, unknown>): Promise<WorkspaceFolder> {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), "belle-workspace-"));
    await fs.mkdir(path.join(folder, ".vscode"));
    await fs.writeFile(path.join(folder, ".vscode", "settings.json"), JSON.stringify(settings, null, 4));
    return {path: folder, remove: () => fs.rm(folder, {recursive: true, force: true})};
}
