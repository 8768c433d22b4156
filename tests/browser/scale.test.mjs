// The admin page with 5,000 servers (virtualized table: few rows in the DOM, every row
// reachable, sorting and selecting all at once stay quick), keyboard use, and the layout at
// 1280×800 and on a 400-pixel-wide screen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway } from "../node/gateway.mjs";
import { launch } from "./chromium.mjs";
import { api, connect, filterServers, goToServers, openPage, serversLoaded, shot, until, updatable } from "./helpers.mjs";

const SERVERS = 5000;
let gw;
let browser;

before(async () => {
  gw = await startGateway(["--servers", String(SERVERS), "--groups", "8", "--seed", "11", "--job-ms", "200"]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

/** True when nothing makes the page scroll sideways; otherwise what sticks out. */
async function noSideScroll(page) {
  const wide = await page.evaluate(() => {
    if (document.documentElement.scrollWidth <= window.innerWidth) return [];
    return [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && el.checkVisibility())
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} (${Math.round(el.getBoundingClientRect().right)} px)`);
  });
  assert.deepEqual(wide, [], "nothing sticks out sideways");
  return true;
}

test("5,000 servers: loaded with progress, virtualized, sorted and selected quickly, keyboard works", async () => {
  const servers = await api(gw).servers();
  const { page, problems } = await openPage(browser, gw);
  await connect(page);
  await goToServers(page);
  await serversLoaded(page, SERVERS);
  const rows = () => page.locator("#servers-table-host tr.row").count();
  assert.ok((await rows()) < 80, `only the rows in view are in the DOM (${await rows()})`);
  assert.equal(await page.locator("#servers-table-host table").getAttribute("aria-rowcount"), String(SERVERS + 1));

  // The last row is reachable by scrolling.
  await page.evaluate(() => {
    const el = document.querySelector("#servers-table-host .vt");
    el.scrollTop = el.scrollHeight;
  });
  await until(() => page.evaluate(() => [...document.querySelectorAll("#servers-table-host tr.row")].some((r) => r.getAttribute("aria-rowindex") === "5001")), { message: "the last row" });
  assert.ok((await rows()) < 80);

  // Sorting by sessions, the busiest first.
  const sessions = page.getByRole("button", { name: "Sessions", exact: true });
  await sessions.click();
  await sessions.click();
  assert.equal(await page.locator("th", { has: sessions }).getAttribute("aria-sort"), "descending");
  await page.evaluate(() => (document.querySelector("#servers-table-host .vt").scrollTop = 0));
  const most = Math.max(...servers.map((s) => s.session_count ?? 0));
  await until(async () => (await page.locator("#servers-table-host tr.row").first().locator("td").nth(8).textContent()) === String(most), { message: "the busiest server first" });

  // Select every server that can be updated, at once.
  const selectable = servers.filter(updatable).length;
  const started = Date.now();
  await page.getByRole("button", { name: `Select all filtered (${selectable.toLocaleString("en-US")})` }).click();
  await until(async () => (await page.locator("#selection-count").textContent()) === `${selectable.toLocaleString("en-US")} servers selected`, { message: "all selected" });
  const took = Date.now() - started;
  assert.ok(took < 3000, `selecting ${selectable} servers took ${took} ms`);
  await shot(page, "15-servers-5000");

  // Keyboard: Space toggles a row, Shift+Space on a later row selects the range between.
  await page.getByRole("button", { name: "Clear selection" }).click();
  await filterServers(page, { status: "ready" });
  const boxes = page.locator("#servers-table-host input.row-check");
  await boxes.nth(0).focus();
  await page.keyboard.press("Space");
  for (let i = 0; i < 4; i++) await page.keyboard.press("Tab");
  await page.keyboard.press("Shift+Space");
  assert.equal(await page.locator("#selection-count").textContent(), "5 servers selected");
  const focusRing = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(focusRing, "none", "the focused checkbox shows where the focus is");

  // The review of a large selection still plans at once.
  await page.getByRole("button", { name: "Select all filtered (", exact: false }).click();
  await page.getByRole("button", { name: "Review", exact: true }).click();
  await page.waitForSelector(`#plan-summary [data-planned]`, { timeout: 20_000 });
  assert.ok(await noSideScroll(page), "nothing wider than 1280 px");
  await shot(page, "16-review-large");
  assert.deepEqual(problems, { dialogs: [], errors: [], console: [], unloadQuestions: 0 });
  await page.close();
});

test("a 400-pixel-wide screen: every step fits, nothing scrolls sideways but the tables", async () => {
  const { page, problems } = await openPage(browser, gw, { viewport: { width: 400, height: 800 } });
  assert.ok(await noSideScroll(page));
  await shot(page, "17-narrow-connect");
  await connect(page);
  assert.ok(await noSideScroll(page));
  await shot(page, "18-narrow-groups");
  await goToServers(page);
  await serversLoaded(page, SERVERS);
  await filterServers(page, { status: "idle" });
  await page.locator("#servers-table-host input.row-check").nth(0).check();
  await page.locator("#servers-table-host input.row-check").nth(3).click({ modifiers: ["Shift"] });
  assert.equal(await page.locator("#selection-count").textContent(), "4 servers selected");
  assert.ok(await noSideScroll(page));
  await shot(page, "19-narrow-servers");
  await page.getByRole("button", { name: "Review", exact: true }).click();
  await page.waitForSelector('#plan-summary [data-planned="4"]');
  assert.ok(await noSideScroll(page));
  await shot(page, "20-narrow-review", { fullPage: true });
  assert.deepEqual(problems, { dialogs: [], errors: [], console: [], unloadQuestions: 0 });
  await page.close();
});
