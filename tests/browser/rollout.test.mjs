// The admin page end to end in Chromium against the simulator: connect, filter, select 45
// servers across two groups, review the plan, submit, follow it to the end, export; then a run
// with injected failures and "retry the failed ones".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { startGateway, TOKEN } from "../node/gateway.mjs";
import { launch } from "./chromium.mjs";
import {
  api, appliedCounts, byName, connect, expectedWaves, filterServers, goToServers, openPage, resultCounts,
  planTiles, reviewedWaves, serverCheckbox, unlabelled, serversLoaded, shot, until, updatable, waitForResults,
} from "./helpers.mjs";

const SERVERS = 160;
let gw;
let browser;

before(async () => {
  gw = await startGateway(["--servers", String(SERVERS), "--groups", "4", "--seed", "5", "--job-ms", "300"]);
  // Sessions stay as listed during the test, so the plan's session counts are known.
  await gw.sim("POST", "settings", { session_step_ms: 3_600_000 });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

test("select 45 servers across two groups, review the waves, submit, all succeed once", async () => {
  const read = api(gw);
  const [servers, groups] = await Promise.all([read.servers(), read.groups()]);
  const ready = (g) => servers.filter((s) => s.server_group_id === g.id && updatable(s)).sort(byName);
  // Group A is taken whole ("select all filtered"); the rest comes from group B as a range.
  let choice = null;
  for (const a of groups) {
    for (const b of groups) {
      const k = 45 - ready(a).length;
      if (a === b || k < 3 || ready(b).length < k) continue;
      if (!choice || k < choice.k) choice = { a, b, k };
    }
  }
  assert.ok(choice, "the seeded world has two groups to pick 45 servers from");
  const { a, b, k } = choice;
  const fromA = ready(a);
  const fromB = ready(b).slice(0, k);
  const expectedIds = [...fromA, ...fromB].map((s) => s.id);
  assert.equal(expectedIds.length, 45);

  const { page, problems } = await openPage(browser, gw);
  await shot(page, "01-connect");
  assert.deepEqual(await unlabelled(page), [], "every control is labelled");
  await connect(page);
  await page.waitForFunction(() => [...document.querySelectorAll("#groups-table .pill")].every((p) => !p.textContent.includes("Reading")));
  // The groups show name, OS, size and the virtual-IP setting read from ShowServerGroup.
  for (const g of groups) {
    const row = page.locator("#groups-table tbody tr", { hasText: g.name });
    await assert.doesNotReject(row.waitFor());
    const text = await row.textContent();
    assert.ok(text.includes(g.os_type) && text.includes(String(g.app_server_count)), text);
    assert.ok(text.includes(g.ip_virtual.enable ? "On" : "Off"), `${g.name}: ${text}`);
  }
  assert.match(await page.locator("#group-note").textContent(), /group-wide[\s\S]*reboots the server/);
  await shot(page, "02-groups");
  assert.deepEqual(await unlabelled(page), [], "every control is labelled");

  await goToServers(page);
  await serversLoaded(page, SERVERS);

  // Servers that cannot be updated show why, and cannot be selected.
  const blocked = servers.find((s) => !updatable(s));
  await filterServers(page, { text: blocked.machine_name });
  const blockedBox = await serverCheckbox(page, blocked.name);
  assert.equal(await blockedBox.isDisabled(), true, "a blocked server is not selectable");
  const blockedRow = page.locator("#servers-table-host tr.row", { has: blockedBox });
  assert.match(await blockedRow.textContent(), /Job running|Task running|In maintenance|Frozen|VM /);

  // Group A: every server that can be updated, with "select all filtered".
  await filterServers(page, { group: a.id, status: "ready" });
  await page.getByRole("button", { name: `Select all filtered (${fromA.length})` }).click();
  await until(async () => (await page.locator("#selection-count").textContent()) === `${fromA.length} servers selected`, { message: "group A selected" });

  // Group B: a shift-click range from its first to its k-th server by name.
  await filterServers(page, { group: b.id, status: "ready" });
  await (await serverCheckbox(page, fromB[0].name)).click();
  await (await serverCheckbox(page, fromB[k - 1].name)).click({ modifiers: ["Shift"] });
  assert.equal(await page.locator("#selection-count").textContent(), "45 servers selected");
  assert.match(await page.locator("#selection-detail").textContent(), /in 2 groups/);
  await shot(page, "03-servers");
  assert.deepEqual(await unlabelled(page), [], "every control is labelled");

  // The review: 50% of each group at once, batches of 10, 4 batches per wave, busy included.
  await page.getByRole("button", { name: "Review", exact: true }).click();
  await page.waitForSelector("#step-review:not([hidden])");
  await page.getByLabel("Max. unavailable per group").fill("50%");
  await page.getByLabel("Servers per batch").fill("10");
  await page.getByLabel("Batches per wave").fill("4");
  await page.getByLabel("Include servers with active sessions").check();
  const selected = servers.filter((s) => expectedIds.includes(s.id)); // the listing order, as the page passes them
  const waves = expectedWaves(selected, groups, { share: 50, batchSize: 10, concurrency: 4 });
  const expected = waves.map((w) => ({ servers: w.flat().length, batches: w.map((batch) => batch.length) }));
  assert.ok(waves.length >= 2 && waves.some((w) => w.length > 1), "the options give several waves and a wave of several batches");
  let shown;
  await until(async () => {
    shown = (await reviewedWaves(page)).map(({ servers, batches }) => ({ servers, batches }));
    return JSON.stringify(shown) === JSON.stringify(expected);
  }, { message: "the planned waves" }).catch(() => assert.deepEqual(shown, expected));
  const withSessions = selected.filter((s) => s.session_count > 0).length;
  const sessions = selected.reduce((n, s) => n + (s.session_count ?? 0), 0);
  const tiles = await planTiles(page);
  assert.deepEqual(
    [tiles["Servers to update"], tiles.Waves, tiles.Batches, tiles["With active sessions"], tiles.Skipped],
    ["45", String(waves.length), String(waves.flat().length), String(withSessions), "0"],
  );
  const first = page.locator("#plan-waves > li").first();
  assert.equal(await first.locator(".wave-servers").textContent(), `${expected[0].servers} servers`);
  assert.equal(await first.locator(".wave-batches").textContent(), `${expected[0].batches.length} batches`);
  // Every batch holds at most 20 servers, and submitting needs the acknowledgement.
  assert.ok(shown.every((w) => w.batches.every((n) => n >= 1 && n <= 20)));
  const submit = page.getByRole("button", { name: "Submit", exact: true });
  assert.equal(await submit.isDisabled(), true, "Submit waits for the acknowledgement");
  assert.equal(await page.locator("#ack-text").textContent(), `I understand that submitting reboots 45 servers and disconnects the users of ${withSessions} servers (${sessions} sessions).`);
  await shot(page, "04-review");
  assert.deepEqual(await unlabelled(page), [], "every control is labelled");
  await page.getByLabel(/I understand that submitting reboots 45 servers/).check();
  assert.equal(await submit.isDisabled(), false);
  await submit.click();

  // The run: batches with their job ids, live server status.
  await page.waitForSelector("#step-run:not([hidden])");
  await page.waitForSelector("#run-waves .job-id");
  await shot(page, "05-run");
  assert.deepEqual(await unlabelled(page), [], "every control is labelled");
  await waitForResults(page);
  assert.deepEqual(await resultCounts(page), { succeeded: 45, failed: 0, skipped: 0, unknown: 0 });
  const jobsShown = await page.locator("#run-waves .job-id").allTextContents();
  await shot(page, "06-results");
  assert.deepEqual(await unlabelled(page), [], "every control is labelled");

  // The service received exactly those 45 servers, each once, in the jobs the run showed.
  const { ledger, counts } = await appliedCounts(gw);
  assert.deepEqual([...counts.keys()].sort(), [...expectedIds].sort());
  assert.deepEqual([...counts.values()].filter((n) => n !== 1), []);
  assert.ok(ledger.every((e) => e.status === 200 && e.ids.length <= 10), "every batch accepted, none larger than asked");
  assert.deepEqual([...new Set(jobsShown)].sort(), ledger.map((e) => e.job_id).sort());

  // Exports: CSV (the package's) and JSON, as downloads.
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV", exact: true }).click()]);
  const csv = await readFile(await csvDownload.path(), "utf8");
  assert.match(csvDownload.suggestedFilename(), /^tsvi-rollout-.*\.csv$/);
  assert.equal(csv.trim().split("\r\n").length, 46);
  const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON", exact: true }).click()]);
  const report = JSON.parse(await readFile(await jsonDownload.path(), "utf8"));
  assert.equal(report.status, "completed");
  assert.equal(report.servers.filter((s) => s.outcome === "succeeded").length, 45);

  // Credentials stayed in memory: not in storage, not in the address.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + location.href);
  assert.ok(!stored.includes(TOKEN), "the token is not stored");
  assert.ok(stored.includes("workspace-tsvi.rollout"), "the report is stored for resuming");
  assert.deepEqual(problems, { dialogs: [], errors: [], console: [], unloadQuestions: 0 });
  await page.close();
});

test("failed servers show why, and 'retry the failed ones' completes them in a new reviewed run", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { session_step_ms: 3_600_000 });
  const read = api(gw);
  const [servers, groups] = await Promise.all([read.servers(), read.groups()]);
  const group = groups[1];
  // "Can be updated, no sessions": running or shut off, without users.
  const idle = servers.filter((s) => s.server_group_id === group.id && updatable(s) && !s.session_count).sort(byName);
  assert.ok(idle.length >= 10);
  const chosen = idle.slice(0, 10);
  const failing = chosen.filter((s) => s.vm_status === "ACTIVE").filter((_, i) => i % 3 === 1).slice(0, 3);
  assert.equal(failing.length, 3);
  await gw.sim("POST", "servers", failing.map((s) => ({ id: s.id, fail_updates: true })));

  const { page, problems } = await openPage(browser, gw);
  await connect(page);
  await goToServers(page);
  await serversLoaded(page, SERVERS);
  await filterServers(page, { group: group.id, status: "idle" });
  await (await serverCheckbox(page, chosen[0].name)).click();
  await (await serverCheckbox(page, chosen[9].name)).click({ modifiers: ["Shift"] });
  const idleActive = (await page.locator("#selection-count").textContent()) === "10 servers selected";
  assert.ok(idleActive, await page.locator("#selection-count").textContent());
  await page.getByRole("button", { name: "Review", exact: true }).click();
  await page.getByLabel("Max. unavailable per group").fill("100%");
  await page.waitForSelector('#plan-summary [data-planned="10"]');
  await page.getByLabel(/I understand/).check();
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await waitForResults(page);
  assert.deepEqual(await resultCounts(page), { succeeded: 7, failed: 3, skipped: 0, unknown: 0 });

  // Each failed server says why: the engine's reason and the sub-job's error code and message.
  await page.getByLabel("Show", { exact: true }).selectOption("failed");
  const rows = page.locator("#results-host tr.row");
  await until(async () => (await rows.count()) === 3, { message: "3 failed rows" });
  for (const s of failing) {
    const text = await page.locator("#results-host tr.row", { hasText: s.name }).textContent();
    assert.match(text, /Failed/);
    assert.match(text, /The update failed/);
    assert.match(text, /WKS\.12\d\d: \S/);
  }
  await shot(page, "07-results-with-failures");

  // Clear the fault, then retry: the review shows only the three, and they complete.
  await gw.sim("POST", "servers", failing.map((s) => ({ id: s.id, fail_updates: false })));
  const before = (await gw.ledger()).length;
  await page.getByRole("button", { name: "Retry the failed ones", exact: true }).click();
  await page.waitForSelector("#step-review:not([hidden])");
  assert.match(await page.locator("#review-lead").textContent(), /Retrying 3 servers that failed/);
  await page.waitForSelector('#plan-summary [data-planned="3"]');
  await shot(page, "08-review-retry");
  await page.getByLabel(/I understand that submitting reboots 3 servers/).check();
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await until(async () => (await page.locator("#step-results").isVisible()) && (await resultCounts(page)).succeeded === 3, { timeout: 60_000, message: "the retry's results" });
  assert.deepEqual(await resultCounts(page), { succeeded: 3, failed: 0, skipped: 0, unknown: 0 });
  const retried = (await gw.ledger()).slice(before);
  assert.deepEqual(retried.filter((e) => e.applied).flatMap((e) => e.ids).sort(), failing.map((s) => s.id).sort());
  const { counts } = await appliedCounts(gw);
  for (const s of chosen) assert.equal(counts.get(s.id), failing.includes(s) ? 2 : 1, s.name);
  assert.deepEqual(problems, { dialogs: [], errors: [], console: [], unloadQuestions: 0 });
  await page.close();
});
