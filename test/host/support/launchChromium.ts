import {chromium, type Browser} from "playwright-core";

/** Debian's Chromium; playwright-core downloads no browser of its own. */
export const chromiumPath = process.env.BELLE_CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium for the code-server workbench, quiet on the network (no component updates, sync,
 * or background requests) since the machine may have no internet. `headless: true` adds `--headless`.
 */
export async function launchChromium(): Promise<Browser> {
    return await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync"
        ]
    });
}
