import assert from "node:assert/strict";
import * as vscode from "vscode";

/**
 * Files a suite writes into the test workspace, removed again by `removeAll` (in its `after`): dirty editors of them
 * saved first, so that none is left to ask about at shutdown; a file already gone (inside a removed folder) is fine.
 */
export class WorkspaceFiles {
    private readonly _created: vscode.Uri[] = [];

    /** The workspace folder the host was opened on. */
    public get folder(): vscode.Uri {
        const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(workspaceFolder != null, "the host was opened without a workspace folder");
        return workspaceFolder.uri;
    }

    /** Writes `text` to `relativePath` in the workspace folder (folders on the way are created). */
    public async create(relativePath: string, text: string): Promise<vscode.Uri> {
        const uri = vscode.Uri.joinPath(this.folder, relativePath);
        await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
        return this.track(uri);
    }

    /** Removes `uri` (a file or a folder) with the others, though something else created it. */
    public track(uri: vscode.Uri): vscode.Uri {
        this._created.push(uri);
        return uri;
    }

    public async removeAll(): Promise<void> {
        for (const uri of this._created.splice(0).reverse()) {
            await vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString() && document.isDirty)?.save();
            try {
                await vscode.workspace.fs.delete(uri, {recursive: true});
            } catch (error) {
                if (!(error instanceof vscode.FileSystemError && error.code === "FileNotFound")) throw error;
            }
        }
    }
}
