// The page's rules are the module's: why a server cannot be updated now is the package's
// blockReason (the planner's own skip_reason), shown as the module words it, for every kind
// of blocked server in a seeded world.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway } from "../node/gateway.mjs";
import { launch } from "./chromium.mjs";
import { api, connect, filterServers, goToServers, openPage, serverCheckbox, serversLoaded, updatable } from "./helpers.mjs";

const SERVERS = 120;
let gw;
let browser;

before(async () => {
  gw = await startGateway(["--servers", String(SERVERS), "--groups", "2", "--seed", "11"]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

test("a blocked server's reason on the page is the module's blockReason", async () => {
  const servers = await api(gw).servers();
  const { page, problems } = await openPage(browser, gw);
  await connect(page);
  await goToServers(page);
  await serversLoaded(page, SERVERS);
  // The module's verdict for every server, asked in the page from the same web build.
  const verdicts = await page.evaluate(async (list) => {
    const pkg = await import("/pkg/web/index.js");
    return list.map((s) => pkg.blockReason(s, { includeBusy: true }));
  }, servers);
  const blocked = servers.map((s, i) => ({ s, v: verdicts[i] })).filter(({ v }) => v);
  const kinds = new Map();
  for (const b of blocked) if (!kinds.has(b.v.reason)) kinds.set(b.v.reason, b);
  // A job or task running (with its job type: the page once added it, and drifted) and a state.
  assert.ok(kinds.has("job_running") && kinds.size >= 2, `kinds of blocked servers: ${[...kinds.keys()]}`);
  assert.ok(verdicts.some((v) => v === null), "some servers are ready");
  for (const { s, v } of kinds.values()) {
    await filterServers(page, { text: s.machine_name ?? s.name });
    const box = await serverCheckbox(page, s.name);
    assert.equal(await box.isDisabled(), true, `${s.name} is not selectable`);
    const row = page.locator("#servers-table-host tr.row", { has: box });
    const detail = (await row.locator(".ready-cell .visually-hidden").textContent()).replace(/^: /, "");
    assert.equal(detail, v.detail, `${s.name}: the page shows the module's reason`);
  }
  const ready = servers.find((_, i) => verdicts[i] === null);
  await filterServers(page, { text: ready.machine_name ?? ready.name });
  assert.equal(await (await serverCheckbox(page, ready.name)).isDisabled(), false, "a server the module clears is selectable");
  assert.deepEqual(problems, { dialogs: [], errors: [], console: [], unloadQuestions: 0 });
});

test("an option out of range shows the engine's own message at its field", async () => {
  const servers = await api(gw).servers();
  const { page } = await openPage(browser, gw);
  await connect(page);
  await goToServers(page);
  await serversLoaded(page, SERVERS);
  const ready = servers.filter((s) => updatable(s));
  await filterServers(page, { status: "ready" });
  await page.getByRole("button", { name: `Select all filtered (${ready.length})` }).click();
  await page.getByRole("button", { name: "Review", exact: true }).click();
  await page.waitForSelector("#plan-summary [data-planned]");
  // What the module says about these options, asked in the page from the same web build.
  const expected = await page.evaluate(async () => {
    const pkg = await import("/pkg/web/index.js");
    const client = new pkg.Client({ endpoint: location.origin, projectId: "0123456789abcdef0123456789abcdef", auth: { none: true } });
    return client.planRollout([], { batchSize: 21 }).then(() => null, (e) => e.errors.find((i) => i.path === "/batchSize").message);
  });
  assert.ok(expected, "the module refuses 21 servers per batch");
  await page.getByLabel("Servers per batch").fill("21");
  const note = page.locator("#opt-batch-size-error");
  await note.waitFor();
  assert.equal((await note.textContent()).trim(), expected);
  assert.equal(await page.getByLabel("Servers per batch").getAttribute("aria-invalid"), "true");
  await page.getByLabel("Servers per batch").fill("20");
  await note.waitFor({ state: "hidden" });
  await page.waitForSelector("#plan-summary [data-planned]");
});
