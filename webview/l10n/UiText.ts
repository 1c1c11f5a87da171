import {uiStrings, type UiStringKey} from "../protocol/uiStrings";

/**
 * The strings and number/date formats of the UI language. English (uiStrings.ts) until `init` brings the
 * translated set; a key the extension did not send falls back to English rather than showing the key.
 */
export class UiText {
    private _strings: Record<string, string> = {...uiStrings};
    private _locale: string;
    private _numberFormat: Intl.NumberFormat;
    private _dateFormat: Intl.DateTimeFormat;

    public constructor(locale: string) {
        this._locale = "en";
        this._numberFormat = new Intl.NumberFormat("en", {maximumFractionDigits: 1});
        this._dateFormat = new Intl.DateTimeFormat("en", {dateStyle: "medium", timeStyle: "short"});
        this._setFormats(locale);
    }

    public get locale(): string {
        return this._locale;
    }

    public configure(locale: string, strings: Record<string, string>): void {
        this._strings = {...uiStrings, ...strings};
        this._setFormats(locale);
    }

    private _setFormats(locale: string): void {
        try {
            this._numberFormat = new Intl.NumberFormat(locale, {maximumFractionDigits: 1});
            this._dateFormat = new Intl.DateTimeFormat(locale, {dateStyle: "medium", timeStyle: "short"});
            this._locale = locale;
        } catch {
            // A tag Intl rejects keeps the previous formats; the translated strings still apply.
        }
    }

    /** The string for `key` with `{0}`, `{1}`… replaced by `args`. */
    public t(key: UiStringKey, ...args: Array<string | number>): string {
        const template = this._strings[key] ?? uiStrings[key];
        if (args.length === 0) return template;
        return template.replace(/\{(\d+)\}/g, (match, index: string) => {
            const value = args[Number(index)];
            return value === undefined ? match : typeof value === "number" ? this.number(value) : value;
        });
    }

    public number(value: number): string {
        return this._numberFormat.format(value);
    }

    public date(epochMs: number): string {
        return this._dateFormat.format(new Date(epochMs));
    }
}
