/**
 * How "BELLE: Run Evaluation" samples the candidate's answers and caps the judge's replies: the `belle.eval.*`
 * settings, and the values the wizard's "Customise…" step asks for. No `vscode` here, so the checks are unit-tested.
 */
export interface EvalSamplingSettings {
    temperature: number,
    topP: number,
    maxTokens: number,
    judgeMaxTokens: number
}

export type EvalSamplingKey = keyof EvalSamplingSettings;

/** The setting of each value, under `belle.`. */
export const evalSamplingSettingIds: Readonly<Record<EvalSamplingKey, string>> = {
    temperature: "eval.temperature",
    topP: "eval.topP",
    maxTokens: "eval.maxTokens",
    judgeMaxTokens: "eval.judgeMaxTokens"
};

/**
 * Greedy answers, so that two runs of the same model can be compared; the token caps are what the wizard used before
 * they were settings (`belle.maxTokens`'s default for answers; BELLE's judge writes a short reason and "得分: x").
 * package.json declares the same defaults and ranges.
 */
export const evalSamplingDefaults: Readonly<EvalSamplingSettings> = {temperature: 0, topP: 1, maxTokens: 1024, judgeMaxTokens: 384};

export type EvalSamplingLimit = {min: number, max: number, wholeNumber: boolean};

export const evalSamplingLimits: Readonly<Record<EvalSamplingKey, EvalSamplingLimit>> = {
    temperature: {min: 0, max: 2, wholeNumber: false},
    topP: {min: 0, max: 1, wholeNumber: false},
    maxTokens: {min: 1, max: 1_000_000, wholeNumber: true},
    judgeMaxTokens: {min: 1, max: 1_000_000, wholeNumber: true}
};

/** A setting that was set to something unusable, and the value used instead. */
export type InvalidEvalSetting = {key: EvalSamplingKey, settingId: string, value: unknown, fallback: number};

export function isValidEvalSamplingValue(key: EvalSamplingKey, value: unknown): value is number {
    const {min, max, wholeNumber} = evalSamplingLimits[key];
    return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max && (!wholeNumber || Number.isInteger(value));
}

/**
 * The settings as `read` gives them (`WorkspaceConfiguration.get` of `belle`), each unusable one (mistyped, out of
 * range, a fraction of a token) replaced by its default and listed in `invalid`; unset ones are the defaults.
 */
export function readEvalSamplingSettings(read: (settingId: string) => unknown): {settings: EvalSamplingSettings, invalid: InvalidEvalSetting[]} {
    const settings = {...evalSamplingDefaults};
    const invalid: InvalidEvalSetting[] = [];
    for (const key of Object.keys(evalSamplingDefaults) as EvalSamplingKey[]) {
        const settingId = evalSamplingSettingIds[key];
        const value = read(settingId);
        if (value === undefined || value === null) continue;
        if (isValidEvalSamplingValue(key, value))
            settings[key] = value;
        else
            invalid.push({key, settingId: `belle.${settingId}`, value, fallback: evalSamplingDefaults[key]});
    }
    return {settings, invalid};
}

/**
 * A value typed into the wizard's input box, or null when it is not one. Full-width digits and point (an IME's
 * "０．７") read as their ASCII forms.
 */
export function parseEvalSamplingInput(key: EvalSamplingKey, text: string): number | null {
    const normalized = text.normalize("NFKC").trim();
    if (!/^(\d+\.?\d*|\.\d+)$/.test(normalized)) return null;
    const value = Number(normalized);
    return isValidEvalSamplingValue(key, value) ? value : null;
}
