import * as vscode from "vscode";

/** A view's English UI strings through `vscode.l10n.t`: the English text is the key of l10n/bundle.l10n.*.json. */
export function translateStrings<K extends string>(english: Readonly<Record<K, string>>): Record<K, string> {
    const translated = {} as Record<K, string>;
    for (const key of Object.keys(english) as K[]) translated[key] = vscode.l10n.t(english[key]);
    return translated;
}
