import type {BelleExtensionApi} from "../../../extension/BelleExtensionApi";

type Engine = BelleExtensionApi["engine"];

/**
 * Resolves once `condition` holds for the engine, checked now and at each status change. Rejects at once when
 * the engine reports the "error" state (a crash being restarted is "starting", not "error"), or after
 * `timeoutMs`, with the states seen and the last status, so a failure says where the engine got stuck.
 */
export async function waitForEngine(engine: Engine, description: string, condition: (engine: Engine) => boolean, timeoutMs: number): Promise<void> {
    if (condition(engine)) return;
    await new Promise<void>((resolve, reject) => {
        const seen: string[] = [];
        const fail = (reason: string) => {
            clearTimeout(timer);
            listener.dispose();
            reject(new Error(
                `the engine did not reach "${description}": ${reason}; states seen: ${seen.join(" → ") || "none"}; ` +
                `now ${JSON.stringify({...engine.status, pid: engine.pid, baseUrl: engine.baseUrl})}`
            ));
        };
        const timer = setTimeout(() => fail(`not within ${timeoutMs} ms`), timeoutMs);
        const listener = engine.onDidChangeStatus((status) => {
            seen.push(status.state);
            if (condition(engine)) {
                clearTimeout(timer);
                listener.dispose();
                resolve();
            } else if (status.state === "error") {
                fail("it reported an error");
            }
        });
        if (engine.status.state === "error") fail("it is in the error state");
    });
}
