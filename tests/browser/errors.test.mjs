// Errors and safety on the admin page: a wrong token (401) shown with its status, code,
// message and request id; validation errors at their field; a network failure; a server name
// that is HTML stays text everywhere and runs nothing; credentials are never stored.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { startGateway, TOKEN, PROJECT } from "../node/gateway.mjs";
import { launch } from "./chromium.mjs";
import { connect, filterServers, goToServers, openPage, resultCounts, serverCheckbox, serversLoaded, shot, waitForResults } from "./helpers.mjs";

const EVIL = "<img src=x onerror=alert(1)>";
let gw;
let browser;

before(async () => {
  gw = await startGateway(["--servers", "40", "--groups", "2", "--seed", "3", "--job-ms", "200"]);
  await gw.sim("POST", "settings", { session_step_ms: 3_600_000 });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

test("a wrong token shows the 401 with its status, error code, message and request id", async () => {
  const { page, problems } = await openPage(browser, gw);
  await page.getByLabel("Token", { exact: true }).fill("not-the-token");
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("/app-server-groups")),
    page.getByRole("button", { name: "Connect", exact: true }).click(),
  ]);
  assert.equal(answer.status(), 401);
  const box = page.locator("#connect-error [role=alert]");
  await box.waitFor();
  const text = await box.textContent();
  assert.match(text, /Authentication failed \(HTTP 401\)/);
  assert.match(text, /Check the token/);
  const detail = async (label) => (await box.locator("dt", { hasText: label }).locator("xpath=following-sibling::dd[1]").textContent()).trim();
  assert.equal(await detail("Status"), "401");
  assert.equal(await detail("Error code"), "APIGW.0301");
  assert.match(await detail("Message"), /Incorrect IAM authentication information/);
  assert.equal(await detail("Request ID"), answer.headers()["x-request-id"]);
  assert.ok(!text.includes("not-the-token"), "the token is not repeated");
  // Still on the connect step, nothing else unlocked.
  assert.equal(await page.locator("#step-connect").isVisible(), true);
  assert.equal(await page.getByRole("button", { name: "Step 3: Servers" }).isDisabled(), true);
  await shot(page, "09-error-401");
  assert.deepEqual(problems.dialogs, []);
  assert.deepEqual(problems.errors, []);
  await page.close();
});

test("validation errors point at their field, and a network failure says so", async () => {
  const { page } = await openPage(browser, gw);
  await page.getByLabel("Project ID").fill("not-a-project");
  await page.getByLabel("Token", { exact: true }).fill("");
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  const project = page.getByLabel("Project ID");
  assert.equal(await project.getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#project-id-error").textContent(), /32|hex/i);
  assert.equal(await page.getByLabel("Token", { exact: true }).getAttribute("aria-invalid"), "true");
  // The first bad field has the focus, and its message is its description.
  assert.equal(await page.evaluate(() => document.activeElement?.id), "project-id");
  assert.match(await project.getAttribute("aria-describedby"), /project-id-error/);
  await shot(page, "10-error-validation");

  // The page may only call its own origin (CSP connect-src 'self'): another endpoint fails in transit.
  await page.getByLabel("Project ID").fill(PROJECT);
  await page.getByLabel("Token", { exact: true }).fill(TOKEN);
  await page.getByLabel("Endpoint").fill("http://127.0.0.1:9");
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  const box = page.locator("#connect-error [role=alert]");
  await box.waitFor();
  assert.match(await box.textContent(), /Could not reach the endpoint[\s\S]*NetworkError/);
  assert.equal(await project.getAttribute("aria-invalid"), null, "the earlier field error is gone");
  await page.close();
});

test("a server named like HTML is shown as text everywhere and runs nothing", async () => {
  const [added] = await gw.sim("POST", "servers", { name: EVIL, session_count: 0 });
  const { page, problems } = await openPage(browser, gw);
  await connect(page);
  await goToServers(page);
  await serversLoaded(page, 41);
  await filterServers(page, { text: "onerror" });
  const box = await serverCheckbox(page, EVIL);
  const row = page.locator("#servers-table-host tr.row", { has: box });
  assert.equal(await row.locator("td").nth(1).textContent(), EVIL);
  await box.check();
  await page.getByRole("button", { name: "Review", exact: true }).click();
  await page.waitForSelector('#plan-summary [data-planned="1"]');
  await page.locator("#plan-waves summary").first().click();
  assert.equal(await page.locator("#plan-waves .batch-names").first().textContent(), EVIL);
  await page.getByLabel(/I understand/).check();
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await waitForResults(page);
  assert.deepEqual(await resultCounts(page), { succeeded: 1, failed: 0, skipped: 0, unknown: 0 });
  assert.equal(await page.locator("#results-host tr.row td").first().textContent(), EVIL);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV", exact: true }).click()]);
  assert.ok((await readFile(await download.path(), "utf8")).includes(`"${added.id}","${EVIL.replaceAll('"', '""')}",`));
  // Nothing ran: no dialog, no <img> anywhere (the page itself uses none), no page error.
  assert.equal(await page.evaluate(() => document.querySelectorAll("img").length), 0);
  assert.deepEqual(problems, { dialogs: [], errors: [], console: [], unloadQuestions: 0 });
  await shot(page, "11-html-name-as-text");

  // Credentials were never stored; Disconnect forgets them.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + location.href + document.cookie);
  assert.ok(!stored.includes(TOKEN));
  await page.getByRole("button", { name: "Disconnect", exact: true }).first().click();
  await page.waitForSelector("#step-connect:not([hidden])");
  assert.equal(await page.getByLabel("Token", { exact: true }).inputValue(), "");
  assert.equal(await page.getByRole("button", { name: "Step 3: Servers" }).isDisabled(), true);
  await page.close();
});
