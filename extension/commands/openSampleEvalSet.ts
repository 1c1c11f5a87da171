import * as vscode from "vscode";

/** Where "BELLE: Open Sample Eval Set" puts its copy, relative to the first workspace folder. */
export const sampleEvalSetPath = "belle-samples/eval_set_sample.jsonl";

/**
 * "BELLE: Open Sample Eval Set" (walkthrough): a small bilingual BELLE eval set (`{"question", "std_answer", "class"}`
 * per line, shipped as media/walkthrough/sample-eval-set.jsonl) written into the workspace, or into an untitled
 * document when no folder is open, and opened with the cursor on its first item, ready for Evaluate Selection.
 * A copy already in the workspace is opened as it is: the user may have edited it. Resolves with the document's URI.
 */
export async function openSampleEvalSet(extensionUri: vscode.Uri): Promise<vscode.Uri> {
    const content = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, "media", "walkthrough", "sample-eval-set.jsonl"));
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    let document: vscode.TextDocument;
    if (folder == null) {
        document = await vscode.workspace.openTextDocument({language: "jsonl", content: new TextDecoder().decode(content)});
    } else {
        const target = vscode.Uri.joinPath(folder, ...sampleEvalSetPath.split("/"));
        if (!await exists(target)) await vscode.workspace.fs.writeFile(target, content);
        document = await vscode.workspace.openTextDocument(target);
    }
    const editor = await vscode.window.showTextDocument(document);
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    return document.uri;
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
    try {
        await vscode.workspace.fs.stat(uri);
        return true;
    } catch (error) {
        if (error instanceof vscode.FileSystemError && error.code === "FileNotFound") return false;
        throw error;
    }
}
