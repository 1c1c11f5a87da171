// Renders media/icon.svg to media/icon.png (128×128, the Marketplace's icon size) with headless Chromium, so the
// committed PNG can be regenerated from its source: node scripts/render-icon.mjs
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {chromium} from "playwright-core";

const mediaDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "media");
const sizePx = 128;
const svg = fs.readFileSync(path.join(mediaDir, "icon.svg"), "utf8");

const browser = await chromium.launch({
    executablePath: process.env.BELLE_CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
});
try {
    const page = await browser.newPage({viewport: {width: sizePx, height: sizePx}, deviceScaleFactor: 1});
    await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
    await page.locator("svg").screenshot({path: path.join(mediaDir, "icon.png"), omitBackground: true});
} finally {
    await browser.close();
}
