/**
 * `belle.loraAdapters`: LoRA adapter GGUFs the engine applies on top of `belle.model`, and the `serve` arguments
 * they become. No `vscode` here, so the mapping is unit-tested; paths are resolved by resolveEngineLaunch.
 */
export type LoraAdapterSetting = {
    /** As written in the setting: absolute, `~/…`, `${workspaceFolder}/…`, or relative to the workspace folder. */
    path: string,
    scale: number
};

/** The usable entries of the setting, in order: an entry without a path is left out, a missing or mistyped scale is 1. */
export function readLoraAdapterSettings(value: unknown): LoraAdapterSetting[] {
    if (!Array.isArray(value)) return [];
    return value.flatMap((entry: unknown): LoraAdapterSetting[] => {
        if (entry == null || typeof entry !== "object") return [];
        const {path, scale} = entry as {path?: unknown, scale?: unknown};
        if (typeof path !== "string" || path.trim() === "") return [];
        return [{path: path.trim(), scale: typeof scale === "number" && Number.isFinite(scale) ? scale : 1}];
    });
}

/** `--lora <file>:<scale>` for each adapter; the engine reads the scale after the last colon. */
export function loraAdapterArgs(adapters: readonly LoraAdapterSetting[]): string[] {
    return adapters.flatMap(({path, scale}) => ["--lora", `${path}:${scale}`]);
}
