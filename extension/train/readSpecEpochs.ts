import fs from "node:fs/promises";
import type * as vscode from "vscode";

/** A job spec's epochs, for the training view's step total; null when the spec cannot be read (the CLI says why). */
export async function readSpecEpochs(specUri: vscode.Uri): Promise<number | null> {
    let spec: {epochs?: unknown};
    try {
        spec = JSON.parse(await fs.readFile(specUri.fsPath, "utf8")) as {epochs?: unknown};
    } catch {
        return null; // the CLI reads it again and reports the problem
    }
    // `belle train run` defaults to 2 epochs, as the wizard does
    return spec.epochs === undefined ? 2 : Number.isInteger(spec.epochs) && (spec.epochs as number) > 0 ? spec.epochs as number : null;
}
