// A reload while a wave is draining: the page offers to resume, says which servers this run put
// in maintenance, and resuming drains them on and lifts exactly the run's own marks: no server
// applied twice, every server with a final outcome, servers in maintenance before still in it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway } from "../node/gateway.mjs";
import { launch } from "./chromium.mjs";
import { api, appliedCounts, connect, filterServers, goToServers, openPage, resultCounts, serversLoaded, shot, until, updatable, waitForResults } from "./helpers.mjs";

const SERVERS = 90;
const KEY = "workspace-tsvi.rollout";
let gw;
let browser;

before(async () => {
  gw = await startGateway(["--servers", String(SERVERS), "--groups", "2", "--seed", "9", "--job-ms", "300"]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

const stored = (page) => page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? "null")?.report ?? null, KEY);

test("a reload during a drain, then resume: the run's marks are lifted, others kept, nobody applied twice", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { session_step_ms: 3_600_000 }); // sessions end only when we say
  const [servers, groups] = await Promise.all([api(gw).servers(), api(gw).groups()]);
  const group = groups[0];
  const ids = servers.filter((s) => s.server_group_id === group.id && updatable(s)).map((s) => s.id);
  assert.ok(ids.length >= 15);
  // Every selected server has users, so each wave waits in its drain.
  await gw.sim("POST", "servers", ids.map((id) => ({ id, session_count: 3 })));

  const { page, problems } = await openPage(browser, gw);
  await connect(page);
  await goToServers(page);
  await serversLoaded(page, SERVERS);
  await filterServers(page, { group: group.id, status: "ready" });
  await page.getByRole("button", { name: `Select all filtered (${ids.length})` }).click();
  await page.getByRole("button", { name: "Review", exact: true }).click();
  await page.getByLabel("Max. unavailable per group").fill("5");
  await page.getByLabel("Drain first").check();
  await page.waitForSelector(`#plan-summary [data-planned="${ids.length}"]`);
  await until(async () => (await page.locator("#plan-waves > li").count()) === Math.ceil(ids.length / 5), { message: "the waves of five" });
  await page.getByLabel(/I understand/).check();

  // Another admin puts one of them in maintenance after the review: the run must skip it and
  // must never take it out of maintenance.
  const theirs = ids.at(-1);
  await gw.sim("POST", "servers", { id: theirs, maintain_status: true });
  const inMaintenanceBefore = new Set([...servers.filter((s) => s.maintain_status).map((s) => s.id), theirs]);

  await page.getByRole("button", { name: "Submit", exact: true }).click();
  // The first wave is marked (confirmed in the saved report) and waits for its sessions.
  const saved = await until(async () => {
    const r = await stored(page);
    const marked = r?.servers.filter((s) => s.drain?.marked_by_run) ?? [];
    return marked.length > 0 && marked.every((s) => typeof s.drain.marked_at === "number") && r;
  }, { timeout: 20_000, message: "the first wave marked" });
  const held = saved.servers.filter((s) => s.drain?.marked_by_run && s.drain.lifted_at == null).map((s) => s.id);
  assert.ok(held.length >= 4 && !held.includes(theirs), JSON.stringify(held));
  const now = await api(gw).servers();
  assert.ok(held.every((id) => now.find((s) => s.id === id).maintain_status), "the marks are on the servers");
  assert.equal((await appliedCounts(gw)).ledger.length, 0, "nothing sent while draining");

  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  const banner = page.getByRole("region", { name: "Interrupted rollout" });
  await banner.waitFor();
  assert.match(await banner.textContent(), new RegExp(`A rollout was interrupted[\\s\\S]*${held.length} servers in maintenance mode set by this run`));
  await shot(page, "15-drain-resume-offered");

  await connect(page);
  await page.getByRole("button", { name: "Resume the rollout" }).click();
  await page.waitForSelector("#step-run:not([hidden])");
  await gw.sim("POST", "settings", { session_step_ms: 100 }); // the users leave
  await waitForResults(page);
  assert.deepEqual(await resultCounts(page), { succeeded: ids.length - 1, failed: 0, skipped: 1, unknown: 0 });
  await shot(page, "16-drain-resumed-results");

  const { counts } = await appliedCounts(gw);
  assert.deepEqual([...counts.keys()].sort(), ids.filter((id) => id !== theirs).sort());
  assert.deepEqual([...counts.values()].filter((n) => n !== 1), [], "no server applied twice");
  const after = await api(gw).servers();
  assert.deepEqual(after.filter((s) => s.maintain_status).map((s) => s.id).sort(), [...inMaintenanceBefore].sort(), "exactly the servers in maintenance before");

  const report = await stored(page);
  assert.equal(report.status, "completed");
  assert.deepEqual(report.servers.filter((s) => !["succeeded", "failed", "skipped", "unknown"].includes(s.outcome)), []);
  const skipped = report.servers.find((s) => s.id === theirs);
  assert.equal(skipped.reason, "maintenance");
  assert.ok(!skipped.drain?.marked_by_run);
  for (const s of report.servers.filter((s) => s.id !== theirs)) {
    assert.ok(s.drain?.marked_by_run && typeof s.drain.lifted_at === "number", `${s.id}: marked and lifted`);
  }
  // The results show it per server.
  await page.getByLabel("Show", { exact: true }).selectOption("succeeded");
  assert.match(await page.locator("#results-host tr.row").first().textContent(), /Set by this run, lifted/);
  // Nothing is held any more: a reload offers the results, not a resume.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await page.getByRole("region", { name: "Interrupted rollout" }).count(), 0);
  assert.deepEqual(problems.dialogs, []);
  assert.deepEqual(problems.errors, []);
  await page.close();
});
