import * as vscode from "vscode";
import type {BelleExtensionApi} from "../../../extension/BelleExtensionApi";

/** `publisher.name` from package.json. */
export const belleExtensionId = "belle-group.belle-vscode";

export function getBelleExtension(): vscode.Extension<BelleExtensionApi> {
    const extension = vscode.extensions.getExtension<BelleExtensionApi>(belleExtensionId);
    if (extension == null) throw new Error(`${belleExtensionId} is not loaded in this extension host`);
    return extension;
}

/** Activates the extension if needed and returns what its `activate()` returned. */
export async function activateBelleExtension(): Promise<BelleExtensionApi> {
    return await getBelleExtension().activate();
}
