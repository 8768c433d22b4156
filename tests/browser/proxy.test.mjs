// "The gateway signs": the page served by a gateway in proxy mode connects with no credential
// at all (the gateway signs with keys from its environment) and runs a rollout through it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, PROJECT, AK, SK } from "../node/gateway.mjs";
import { launch } from "./chromium.mjs";
import { appliedCounts, filterServers, goToServers, openPage, resultCounts, serversLoaded, shot, waitForResults } from "./helpers.mjs";

let sim;
let proxy;
let browser;

before(async () => {
  sim = await startGateway(["--servers", "30", "--groups", "2", "--seed", "4", "--job-ms", "200"]);
  await sim.sim("POST", "settings", { session_step_ms: 3_600_000 });
  // The proxy signs with the keys of its environment; the page never sees them.
  Object.assign(process.env, { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT });
  proxy = await startGateway(["--upstream", sim.url]);
  for (const key of ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"]) delete process.env[key];
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await sim?.stop();
});

test("in proxy mode the page connects as 'the gateway signs' and runs through the gateway", async () => {
  const { page, problems } = await openPage(browser, proxy);
  assert.equal(await page.getByRole("radio", { name: "The gateway signs" }).isChecked(), true);
  assert.equal(await page.getByLabel("Token", { exact: true }).isVisible(), false, "no credential to type");
  assert.match(await page.locator("#mode-badge").textContent(), /Proxy/);
  const requests = [];
  page.on("request", (r) => requests.push(r.headers()));
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.waitForSelector("#step-groups:not([hidden])");
  await goToServers(page);
  await serversLoaded(page, 30);
  await filterServers(page, { status: "idle" });
  const boxes = page.locator("#servers-table-host input.row-check");
  await boxes.nth(0).check();
  await boxes.nth(2).click({ modifiers: ["Shift"] });
  await page.getByRole("button", { name: "Review", exact: true }).click();
  await page.waitForSelector('#plan-summary [data-planned="3"]');
  await page.getByLabel(/I understand/).check();
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await waitForResults(page);
  assert.deepEqual(await resultCounts(page), { succeeded: 3, failed: 0, skipped: 0, unknown: 0 });
  await shot(page, "21-proxy-results");
  const { counts } = await appliedCounts(sim);
  assert.equal(counts.size, 3);
  assert.ok(requests.every((h) => !h.authorization && !h["x-auth-token"]), "the browser sent no credential");
  assert.deepEqual(problems, { dialogs: [], errors: [], console: [], unloadQuestions: 0 });
  await page.close();
});
