import {execFile, spawn} from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";

export type CodeServer = {
    /** Also the id of its process group: every process it starts (extension hosts, engines) is in it. */
    pid: number,
    port: number,
    /** `http://127.0.0.1:<port>` */
    baseUrl: string,
    /** Throwaway folder holding user data, extensions and config; removed by `stop()`. */
    dataDir: string,
    /** What the server printed so far (stdout and stderr). */
    output: () => string,
    /** Kills the server's whole process group (extension hosts, file watchers, an engine they started). */
    stop: () => Promise<void>
};

/** Settings that keep a fresh workbench from opening welcome pages, tips and update checks. */
const quietUserSettings = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "telemetry.telemetryLevel": "off",
    "security.workspace.trust.enabled": false,
    "update.mode": "none"
};

/**
 * Starts code-server detached, in its own process group, on a free port of 127.0.0.1 with its own throwaway
 * user data, extensions folder and config (so nothing is written into the home folder), and waits until it
 * answers. `userSettings` are merged over quiet defaults into the user settings file; `installVsix` files are
 * installed into its extensions folder first, as `code-server --install-extension` does for a user.
 */
export async function startCodeServer(entryPath: string, {userSettings = {}, installVsix = [], timeoutMs = 60_000}: {
    userSettings?: Record<string, unknown>,
    installVsix?: readonly string[],
    timeoutMs?: number
} = {}): Promise<CodeServer> {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "belle-code-server-"));
    const userDataDir = path.join(dataDir, "user-data");
    const userSettingsPath = path.join(userDataDir, "User", "settings.json");
    await fs.mkdir(path.dirname(userSettingsPath), {recursive: true});
    await fs.mkdir(path.join(dataDir, "extensions"));
    await fs.writeFile(userSettingsPath, JSON.stringify({...quietUserSettings, ...userSettings}, null, 4));
    await fs.writeFile(path.join(dataDir, "config.yaml"), "auth: none\ncert: false\n");

    // A VS Code terminal's variables would make code-server talk to that editor instead of serving its own.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VSCODE_") && name !== "ELECTRON_RUN_AS_NODE"));
    for (const vsixPath of installVsix) {
        await promisify(execFile)(process.execPath, [
            entryPath,
            "--config", path.join(dataDir, "config.yaml"),
            "--user-data-dir", userDataDir,
            "--extensions-dir", path.join(dataDir, "extensions"),
            "--install-extension", vsixPath
        ], {env, timeout: timeoutMs}).catch(async (error: Error & {stdout?: string, stderr?: string}) => {
            await fs.rm(dataDir, {recursive: true, force: true});
            throw new Error(`code-server --install-extension ${vsixPath} failed: ${error.message}\n${error.stdout ?? ""}${error.stderr ?? ""}`);
        });
    }
    // Port 0: the server picks a free port and prints it, so no other process can take it in between.
    const child = spawn(process.execPath, [
        entryPath,
        "--config", path.join(dataDir, "config.yaml"),
        "--user-data-dir", userDataDir,
        "--extensions-dir", path.join(dataDir, "extensions"),
        "--bind-addr", "127.0.0.1:0",
        "--auth", "none",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override"
    ], {detached: true, stdio: ["ignore", "pipe", "pipe"], env});
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => { output += chunk; });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => { output += chunk; });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

    const stop = async () => {
        const groupId = child.pid;
        if (groupId != null) {
            signalGroup(groupId, "SIGTERM");
            if (!await waitForGroupToEnd(groupId, 5_000)) {
                signalGroup(groupId, "SIGKILL");
                await waitForGroupToEnd(groupId, 5_000);
            }
        }
        await exited;
        await fs.rm(dataDir, {recursive: true, force: true});
    };

    try {
        const port = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`code-server did not report its port within ${timeoutMs} ms`)), timeoutMs);
            const onData = () => {
                const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
                if (match == null) return;
                clearTimeout(timer);
                child.stdout!.off("data", onData);
                child.stderr!.off("data", onData);
                resolve(Number(match[1]));
            };
            child.stdout!.on("data", onData);
            child.stderr!.on("data", onData);
            child.once("exit", (code, signal) => {
                clearTimeout(timer);
                reject(new Error(`code-server exited (${signal ?? `exit code ${code}`}) before it listened`));
            });
        });
        const baseUrl = `http://127.0.0.1:${port}`;
        const healthz = await fetch(`${baseUrl}/healthz`);
        if (!healthz.ok) throw new Error(`code-server's /healthz answered ${healthz.status}`);
        return {pid: child.pid!, port, baseUrl, dataDir, output: () => output, stop};
    } catch (error) {
        await stop();
        throw new Error(`${(error as Error).message}\n${output}`);
    }
}

function signalGroup(groupId: number, signal: NodeJS.Signals): void {
    try {
        process.kill(-groupId, signal);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
}

/** True once no process of the group is left (signal 0 to the group fails with ESRCH). */
async function waitForGroupToEnd(groupId: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            process.kill(-groupId, 0);
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ESRCH") return true;
            throw error;
        }
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}
