// Opens each page in headless Chromium (Debian's, through playwright-core) and checks what the
// page wrote into #result: the real calls it made against the gateway that served it.
// Usage: node pages.mjs BASE_URL NAME=PATH...   Prints one line per page; exits 1 on any failure.
import { launch } from "../browser/chromium.mjs";

const [base, ...pages] = process.argv.slice(2);
const browser = await launch();
let failed = 0;
try {
  for (const spec of pages) {
    const [name, path] = spec.split("=");
    const page = await browser.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && !/404/.test(m.text()) && problems.push(`console: ${m.text()}`));
    page.on("response", (r) => {
      const expected = r.status() === 404 && /no-such-server|favicon/.test(r.url());
      if (r.status() >= 400 && !expected) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    let text = "";
    try {
      await page.goto(base + path);
      await page.waitForFunction(() => !/^loading/.test(document.getElementById("result")?.textContent ?? "loading"), null, { timeout: 20_000 });
      text = await page.textContent("#result");
    } catch (e) {
      problems.push(String(e.message).split("\n")[0]);
    }
    let result;
    try {
      result = JSON.parse(text);
    } catch {
      problems.push(`#result: ${text}`);
    }
    // The README's example lists servers; the bundled app checks the error classes too.
    const ok =
      problems.length === 0 &&
      result?.servers > 0 &&
      (name === "readme" ||
      result.firstId === "string" &&
      result.apiError?.[0] === "ApiError" && result.apiError[1] === 404 &&
      result.validationError === "projectId.invalid");
    console.log(`${ok ? "ok" : "FAILED"}: ${name} in Chromium: ${text.slice(0, 200)} ${problems.join("; ")}`);
    if (!ok) failed++;
    await page.close();
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
