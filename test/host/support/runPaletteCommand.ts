import type {Page} from "playwright-core";

/**
 * Runs a command by its palette label (e.g. "BELLE: Open Chat") the way a user does: F1, type, click the entry.
 * Retries until `timeoutMs`, since an extension's commands appear only once the extension host has scanned it.
 */
export async function runPaletteCommand(page: Page, label: string, {timeoutMs = 30_000}: {timeoutMs?: number} = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const remainingMs = (atMostMs = Infinity) => Math.max(1, Math.min(atMostMs, deadline - Date.now()));
    // The quick input's text box; a bare `.quick-input-widget input` would hit its checkbox first.
    const input = page.locator(".quick-input-widget .quick-input-box input");
    // Clicked rather than Enter: fuzzy matching may rank another entry first.
    const row = page.locator(".quick-input-widget .quick-input-list .monaco-list-row", {hasText: label}).first();
    for (;;) {
        await page.keyboard.press("F1");
        try {
            // F1 pressed while another quick input is still closing (Ctrl+P's, say) can be lost: press it again
            await input.waitFor({state: "visible", timeout: remainingMs(3_000)});
        } catch (error) {
            if (Date.now() > deadline) throw new Error(`the command palette did not open: ${(error as Error).message}`);
            await page.keyboard.press("Escape");
            continue;
        }
        try {
            // The box seen may have been a closing quick input's (Ctrl+P's after its pick): it hides under the fill
            await input.fill(`>${label}`, {timeout: remainingMs(3_000)});
            await row.waitFor({state: "visible", timeout: remainingMs(3_000)});
            break;
        } catch (error) {
            if (Date.now() > deadline) throw new Error(`the command palette never offered "${label}": ${(error as Error).message}`);
            await page.keyboard.press("Escape");
        }
    }
    await row.click();
    // The palette closes; a command that asks something at once (a quick pick) reuses the same widget, which then
    // shows that question, no longer the ">label" typed here.
    // (a string: this runs in the page, where the DOM types the Node-side tsconfig lacks exist)
    await page.waitForFunction(`(() => {
        const box = document.querySelector(".quick-input-widget .quick-input-box input");
        return box == null || box.offsetParent == null || !box.value.startsWith(">");
    })()`, undefined, {timeout: remainingMs()});
}
