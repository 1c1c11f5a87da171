import {execFile} from "node:child_process";
import path from "node:path";
import {promisify} from "node:util";
import {repoRoot} from "../../support/startEngineProcess";

const installScript = path.join(repoRoot, "scripts", "install-vscode-host.sh");

/**
 * Installs code-server into the tools cache unless it is there (seconds when cached, under a minute cold) and
 * returns the path of its entry.js, which the script prints on its last line.
 */
export async function installVscodeHost({timeoutMs = 10 * 60_000}: {timeoutMs?: number} = {}): Promise<string> {
    const {stdout} = await promisify(execFile)("bash", [installScript], {timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024})
        .catch((error: Error & {stderr?: string}) => {
            throw new Error(`${installScript} failed: ${error.message}\n${error.stderr ?? ""}`);
        });
    const entryPath = stdout.trim().split("\n").at(-1);
    if (entryPath == null || !path.isAbsolute(entryPath)) throw new Error(`${installScript} printed no entry path:\n${stdout}`);
    return entryPath;
}
