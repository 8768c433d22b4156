// Debian's Chromium driven by playwright-core (never a downloaded browser).
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export async function launch() {
  return chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "tsvi-chromium-")), {
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
  });
}

/**
 * Opens a fixture page (one that writes what it found into `#result`) and waits for it.
 * Returns that text and the problems seen meanwhile: page errors, and failed answers other
 * than the deliberate 401 and the browser's favicon probe.
 */
export async function fixtureResult(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("response", (r) => {
    const expected = r.status() === 401 || new URL(r.url()).pathname === "/favicon.ico";
    if (r.status() >= 400 && !expected) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("result").textContent !== "loading", null, { timeout: 20_000 });
  return { text: await page.textContent("#result"), problems };
}
