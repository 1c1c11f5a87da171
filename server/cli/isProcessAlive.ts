/**
 * Whether a process exists. Signal 0 checks without signalling: ESRCH means there is no such process; EPERM means
 * there is one that this process may not signal (a parent running as another user), which is alive.
 */
export function isProcessAlive(pid: number, kill: (pid: number, signal: 0) => void = (target, signal) => process.kill(target, signal)): boolean {
    try {
        kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code !== "ESRCH";
    }
}
