/**
 * Some of VS Code's Default Dark Modern colours, for screenshots of a webview in a plain browser page (in VS Code the
 * workbench sets them on the webview's <html>). Set them through the CSSOM, which the webviews' CSP allows.
 */
export const darkModernColours: Record<string, string> = {
    "--vscode-font-family": "system-ui, 'Noto Sans CJK SC', sans-serif", "--vscode-font-size": "13px", "--vscode-foreground": "#cccccc",
    "--vscode-descriptionForeground": "#9d9d9d", "--vscode-errorForeground": "#f85149", "--vscode-badge-background": "#616161",
    "--vscode-badge-foreground": "#f8f8f8", "--vscode-button-background": "#0078d4", "--vscode-button-foreground": "#ffffff",
    "--vscode-button-hoverBackground": "#026ec1", "--vscode-button-secondaryBackground": "#313131",
    "--vscode-button-secondaryForeground": "#cccccc", "--vscode-button-secondaryHoverBackground": "#3c3c3c", "--vscode-button-border": "#ffffff12",
    "--vscode-charts-blue": "#3794ff", "--vscode-charts-orange": "#d18616", "--vscode-charts-green": "#89d185", "--vscode-charts-purple": "#b180d7",
    "--vscode-editorWidget-border": "#454545", "--vscode-widget-border": "#313131", "--vscode-panel-border": "#2b2b2b",
    "--vscode-testing-iconPassed": "#73c991", "--vscode-focusBorder": "#0078d4", "--vscode-input-background": "#313131",
    "--vscode-input-foreground": "#cccccc", "--vscode-input-border": "#3c3c3c", "--vscode-editorWarning-foreground": "#cca700",
    "--vscode-inputValidation-errorBackground": "#5a1d1d", "--vscode-inputValidation-warningBackground": "#352a05"
};

/** `page.evaluate` source that applies the colours and the editor background. */
export const applyDarkModernColours = `(() => {
    for (const [name, value] of Object.entries(${JSON.stringify(darkModernColours)})) document.documentElement.style.setProperty(name, value);
    document.body.style.setProperty("background", "#1f1f1f");
})()`;
