// Every string the chat webview shows, by key, in English. The extension translates each one with
// `vscode.l10n.t(english)` (Chinese lives in l10n/bundle.l10n.zh-cn.json, keyed by the English text) and sends
// the result in the `init` notification; the webview never hard-codes user-facing text.
export const uiStrings = {
    send: "Send",
    stop: "Stop"
} as const;

export type UiStringKey = keyof typeof uiStrings;
