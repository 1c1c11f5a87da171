/**
 * A progress listener that throws is reported once (as `[tag] …` through `log`) and otherwise ignored: it must not
 * break the download it listens to (node-llama-cpp's `safeEventCallback` habit).
 */
export function safeProgressListener<P>(listener: ((progress: P) => void) | undefined, log: (line: string) => void, tag: string): (progress: P) => void {
    let reported = false;
    return (progress: P) => {
        try {
            listener?.(progress);
        } catch (error) {
            if (!reported) log(`[${tag}] a progress listener threw, ignoring it: ${error instanceof Error ? error.message : String(error)}`);
            reported = true;
        }
    };
}
