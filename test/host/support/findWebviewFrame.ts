import type {Frame, Locator, Page} from "playwright-core";

/**
 * A webview's content lives two iframes deep; this finds the frame in which `locate(frame)` matches, polling
 * until `timeoutMs` while the webview loads.
 */
export async function findWebviewFrame(page: Page, locate: (frame: Frame) => Locator, {timeoutMs = 30_000}: {timeoutMs?: number} = {}): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        for (const frame of page.frames()) {
            if (frame === page.mainFrame() || frame.isDetached()) continue;
            // a frame can navigate or go away between listing and asking it: it then simply has no match
            const found = await locate(frame).count().catch(() => 0);
            if (found > 0) return frame;
        }
        if (Date.now() > deadline) throw new Error(`no webview frame showed the expected content within ${timeoutMs} ms (frames: ${page.frames().map((frame) => frame.url()).join(", ")})`);
        await page.waitForTimeout(250);
    }
}
