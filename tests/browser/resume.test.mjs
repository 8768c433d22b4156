// A run interrupted by a reload is offered for resuming (after connecting again, since
// credentials are never stored) and finishes without applying any server twice; Cancel stops
// new batches and follows the ones already sent.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway } from "../node/gateway.mjs";
import { launch } from "./chromium.mjs";
import { api, appliedCounts, connect, filterServers, goToServers, openPage, resultCounts, serversLoaded, shot, until, updatable, waitForResults } from "./helpers.mjs";

const SERVERS = 90;
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

/** Selects every server of the first group that can be updated, and opens the review. */
async function selectGroupAndReview(page, group, count) {
  await connect(page);
  await goToServers(page);
  await serversLoaded(page, SERVERS);
  await filterServers(page, { group: group.id, status: "ready" });
  await page.getByRole("button", { name: `Select all filtered (${count})` }).click();
  await page.getByRole("button", { name: "Review", exact: true }).click();
  // Five at a time: several waves, busy servers included.
  await page.getByLabel("Max. unavailable per group").fill("5");
  await page.getByLabel("Include servers with active sessions").check();
  await page.waitForSelector(`#plan-summary [data-planned="${count}"]`);
  await until(async () => (await page.locator("#plan-waves > li").count()) === Math.ceil(count / 5), { message: "the waves of five" });
  await page.getByLabel(/I understand/).check();
}

test("a reload in the middle of a run offers to resume, and resuming applies nobody twice", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { session_step_ms: 3_600_000 });
  const [servers, groups] = await Promise.all([api(gw).servers(), api(gw).groups()]);
  const group = groups[0];
  const ids = servers.filter((s) => s.server_group_id === group.id && updatable(s)).map((s) => s.id);
  assert.ok(ids.length >= 15);

  const { page, problems } = await openPage(browser, gw);
  await selectGroupAndReview(page, group, ids.length);
  // Time stands still: the first wave's job cannot finish before the reload.
  await gw.sim("POST", "clock", { paused: true });
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await page.waitForSelector("#run-waves .job-id");
  const sentBefore = (await appliedCounts(gw)).counts;
  assert.equal(sentBefore.size, 5, "the first wave was sent");
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("workspace-tsvi.rollout") ?? "{}").report?.job_ids?.length === 1);

  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(problems.unloadQuestions, 1, "leaving a running rollout asks first");
  const banner = page.getByRole("region", { name: "Interrupted rollout" });
  await banner.waitFor();
  assert.match(await banner.textContent(), new RegExp(`A rollout was interrupted[\\s\\S]*${ids.length} servers · 5 sent[\\s\\S]*Connect again to resume`));
  const resume = page.getByRole("button", { name: "Resume the rollout" });
  assert.equal(await resume.isDisabled(), true, "resuming needs the credentials again");
  await shot(page, "12-resume-offered");

  await connect(page);
  assert.equal(await resume.isDisabled(), false);
  await resume.click();
  await page.waitForSelector("#step-run:not([hidden])");
  await gw.sim("POST", "clock", { paused: false });
  await waitForResults(page);
  assert.deepEqual(await resultCounts(page), { succeeded: ids.length, failed: 0, skipped: 0, unknown: 0 });
  await shot(page, "13-resumed-results");

  const { counts } = await appliedCounts(gw);
  assert.deepEqual([...counts.keys()].sort(), [...ids].sort());
  assert.deepEqual([...counts.values()].filter((n) => n !== 1), [], "no server applied twice");
  // The finished run replaced the interrupted one: a new reload offers its results, not a resume.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await page.getByRole("region", { name: "Interrupted rollout" }).count(), 0);
  await page.getByRole("button", { name: "View its results" }).click();
  assert.deepEqual(await resultCounts(page), { succeeded: ids.length, failed: 0, skipped: 0, unknown: 0 });
  assert.deepEqual(problems.dialogs, []);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test("Cancel sends no new batch and follows the ones already sent to the end", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { session_step_ms: 3_600_000 });
  const [servers, groups] = await Promise.all([api(gw).servers(), api(gw).groups()]);
  const group = groups[1];
  const ids = servers.filter((s) => s.server_group_id === group.id && updatable(s)).map((s) => s.id);

  const { page } = await openPage(browser, gw);
  await selectGroupAndReview(page, group, ids.length);
  await gw.sim("POST", "clock", { paused: true });
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await page.waitForSelector("#run-waves .job-id");
  await page.getByRole("button", { name: "Cancel", exact: true }).click();
  await until(async () => /Cancelling/.test(await page.locator(".run-status").textContent()), { message: "the cancelling state" });
  await shot(page, "14-cancelling");
  await gw.sim("POST", "clock", { paused: false });
  await waitForResults(page);
  assert.deepEqual(await resultCounts(page), { succeeded: 5, failed: 0, skipped: ids.length - 5, unknown: 0 });
  assert.match(await page.locator("#results-host [role=status]").first().textContent(), /cancelled/);
  const { counts } = await appliedCounts(gw);
  assert.equal(counts.size, 5, "only the first wave was sent");
  await page.getByLabel("Show", { exact: true }).selectOption("skipped");
  assert.match(await page.locator("#results-host tr.row").first().textContent(), /Not started: cancelled/);
  await page.close();
});
