import {uiStrings, type UiStringKey} from "../protocol/uiStrings";
import {StringTable} from "./StringTable";

/**
 * The chat's strings and number/date formats of the UI language. English (uiStrings.ts) until `init` brings
 * the translated set (StringTable); numbers filled into a string are formatted for the locale.
 */
export class UiText {
    private readonly _strings = new StringTable<UiStringKey>(uiStrings);
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
        this._strings.configure(strings);
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
        return this._strings.t(key, args, (value) => typeof value === "number" ? this.number(value) : value);
    }

    public number(value: number): string {
        return this._numberFormat.format(value);
    }

    public date(epochMs: number): string {
        return this._dateFormat.format(new Date(epochMs));
    }
}
