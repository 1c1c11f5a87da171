/**
 * A view's UI strings by key: English (the view's `…Strings.ts`) until the extension sends the translated set; a key
 * it did not send falls back to English rather than showing the key. `{0}`, `{1}`… are filled in by `t`.
 */
export class StringTable<K extends string> {
    private _strings: Record<K, string>;

    public constructor(private readonly _english: Readonly<Record<K, string>>) {
        this._strings = {..._english};
    }

    /** Takes the translated strings (from the extension's `vscode.l10n.t`); unknown keys are ignored. */
    public configure(translated: Readonly<Record<string, string>>): void {
        const strings: Record<K, string> = {...this._english};
        for (const key of Object.keys(this._english) as K[]) {
            const text = translated[key];
            if (typeof text === "string") strings[key] = text;
        }
        this._strings = strings;
    }

    /** The string for `key` with `{0}`, `{1}`… replaced by `args` (`format` turns each into text; a missing one stays). */
    public t(key: K, args: ReadonlyArray<string | number> = [], format: (value: string | number) => string = String): string {
        const template = this._strings[key];
        if (args.length === 0) return template;
        return template.replace(/\{(\d+)\}/g, (match, index: string) => {
            const value = args[Number(index)];
            return value === undefined ? match : format(value);
        });
    }
}
