import {execFile} from "node:child_process";
import path from "node:path";
import {promisify} from "node:util";

/** `belle …` from the built bundle (run `node esbuild.mjs` first), as a user runs it; a failure is a result, not a throw. */
export async function runBelleCli(...args: string[]): Promise<{stdout: string, stderr: string, code: number}> {
    try {
        const {stdout, stderr} = await promisify(execFile)(process.execPath, [path.resolve("bin/belle.cjs"), ...args]);
        return {stdout, stderr, code: 0};
    } catch (error) {
        const failed = error as {stdout: string, stderr: string, code: number};
        return {stdout: failed.stdout, stderr: failed.stderr, code: failed.code};
    }
}
