// Shared by the admin page's browser tests: opening the page, reading the simulated project
// straight from the API (to compute expectations independently of the page), screenshots.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT, TOKEN } from "../node/gateway.mjs";

export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

/** Saves a screenshot of the page as tests/artifacts/<name>.png. */
export async function shot(page, name, options = {}) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), ...options });
}

/**
 * Opens the page with fast polling and records what must never happen: dialogs (but the
 * beforeunload question, which `allowUnload` answers), page errors, failed requests.
 */
export async function openPage(browser, gw, { poll = 50, viewport } = {}) {
  const page = await browser.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const problems = { dialogs: [], errors: [], console: [], unloadQuestions: 0 };
  page.on("console", (m) => m.type() === "error" && problems.console.push(m.text()));
  page.on("dialog", async (dialog) => {
    if (dialog.type() === "beforeunload") {
      problems.unloadQuestions++;
      await dialog.accept();
      return;
    }
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  page.on("pageerror", (e) => problems.errors.push(e.message));
  await page.goto(`${gw.url}/?poll=${poll}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  return { page, problems };
}

/** Visible controls without an accessible name (a label, aria-label(ledby) or text). */
export async function unlabelled(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button, summary, [role=checkbox], [role=button]")]
      .filter((el) => el.checkVisibility())
      .filter((el) => {
        if (el.getAttribute("aria-label")?.trim() || el.getAttribute("aria-labelledby")) return false;
        if (el.labels?.length && [...el.labels].some((l) => l.textContent.trim())) return false;
        if (["BUTTON", "SUMMARY"].includes(el.tagName) && el.textContent.trim()) return false;
        return true;
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

export async function connect(page) {
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.waitForSelector("#step-groups:not([hidden])", { timeout: 20_000 });
}

/** Waits until the page has loaded the whole server list (`count` servers). */
export async function serversLoaded(page, count) {
  await page.waitForSelector(`#servers-table-host[data-loaded="${count}"]`, { state: "attached", timeout: 30_000 });
}

export async function goToServers(page) {
  await page.getByRole("button", { name: "Choose servers" }).click();
  await page.waitForSelector("#step-servers:not([hidden])");
}

export async function filterServers(page, { group = "", status = "", text = "" } = {}) {
  await page.getByLabel("Group", { exact: true }).selectOption(group);
  await page.getByLabel("Status", { exact: true }).selectOption(status);
  await page.getByLabel("Search", { exact: true }).fill(text);
  // The text filter is debounced; wait until the table shows what the filters say.
  const view = JSON.stringify([text.trim().toLowerCase(), group, status]);
  await page.waitForFunction((v) => document.querySelector("#servers-table-host")?.dataset.view === v, view);
}

/** Scrolls the servers table until the checkbox of `name` is rendered, and returns it. */
export async function serverCheckbox(page, name) {
  const box = page.getByRole("checkbox", { name: `Select ${name}`, exact: true });
  for (let i = 0; i < 200; i++) {
    if ((await box.count()) > 0) {
      await box.scrollIntoViewIfNeeded();
      return box;
    }
    await page.evaluate(() => {
      const scroller = document.querySelector("#servers-table-host .vt");
      scroller.scrollTop += scroller.clientHeight / 2;
    });
    await page.waitForTimeout(30);
  }
  throw new Error(`no checkbox for ${name}`);
}

export async function waitForResults(page, timeout = 90_000) {
  await page.waitForSelector("#step-results:not([hidden])", { timeout });
}

/** The four result tiles: { succeeded, failed, skipped, unknown }. */
export async function resultCounts(page) {
  return page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll("#results-summary [data-outcome]")].map((t) => [t.dataset.outcome, Number(t.querySelector(".tile-value").textContent.replace(/,/g, ""))])),
  );
}

// ---------------------------------------------------------------- the API, read directly

export function api(gw) {
  const get = async (route) => {
    const answer = await fetch(`${gw.url}/v1/${PROJECT}/${route}`, { headers: { "X-Auth-Token": TOKEN } });
    assert.equal(answer.status, 200, `${route}: ${await answer.clone().text()}`);
    return answer.json();
  };
  return {
    async servers() {
      const all = [];
      for (;;) {
        const page = await get(`app-servers?limit=100&offset=${all.length}`);
        all.push(...page.items);
        if (all.length >= page.count || page.items.length === 0) return all;
      }
    },
    async groups() {
      const { items } = await get("app-server-groups?limit=100");
      return Promise.all(items.map((g) => get(`app-server-groups/${g.id}`)));
    },
  };
}

const FINISHED_TASKS = new Set(["null", "updating_tsvi_failed", "rebuild_fail", "delete_failed", "migrate_failed", "install_app_failed", "upgrad_access_agent_fail", "upgrad_access_agent_success"]);

/** Whether the service would take an update of the server now (the planner's rules). */
export function updatable(s) {
  if (s.job_status === "WAITING" || s.job_status === "RUNNING") return false;
  if (s.task_status && !FINISHED_TASKS.has(s.task_status)) return false;
  if (s.maintain_status) return false;
  if (s.status === "FREEZE") return false;
  return s.vm_status === "ACTIVE" || s.vm_status === "SHUTOFF";
}

export const byName = (a, b) => new Intl.Collator("en", { numeric: true, sensitivity: "base" }).compare(a.name, b.name);

/**
 * The waves the planner must make, computed here from first principles: idle servers first
 * (a stable sort by sessions of the listing order), each wave taking per group at most its
 * limit (a share of the group's size, at least 1) and at most batchSize × concurrency in all.
 */
export function expectedWaves(selected, groups, { share, count, batchSize, concurrency }) {
  const size = new Map(groups.map((g) => [g.id, g.app_server_count]));
  const cap = (g) => Math.max(1, count ?? Math.floor((size.get(g) * share) / 100));
  let remaining = [...selected].sort((a, b) => (a.session_count ?? 0) - (b.session_count ?? 0));
  const waves = [];
  while (remaining.length) {
    const taken = new Map();
    const members = [];
    const rest = [];
    for (const s of remaining) {
      const used = taken.get(s.server_group_id) ?? 0;
      if (members.length < batchSize * concurrency && used < cap(s.server_group_id)) {
        taken.set(s.server_group_id, used + 1);
        members.push(s.id);
      } else {
        rest.push(s);
      }
    }
    const batches = [];
    for (let i = 0; i < members.length; i += batchSize) batches.push(members.slice(i, i + batchSize));
    waves.push(batches);
    remaining = rest;
  }
  return waves;
}

/** The waves as the review shows them: [[batch sizes]] per wave. */
export async function reviewedWaves(page) {
  // Open every wave so that its batches are listed.
  await page.evaluate(() => {
    for (const d of document.querySelectorAll("#plan-waves details")) {
      if (!d.open) d.open = true;
    }
  });
  await page.waitForTimeout(50);
  return page.evaluate(() =>
    [...document.querySelectorAll("#plan-waves > li")].map((li) => ({
      servers: Number(li.dataset.servers),
      text: li.querySelector("summary").textContent,
      batches: [...li.querySelectorAll("li.batch")].map((b) => Number(b.dataset.size)),
    })),
  );
}

/** The review's summary tiles: { label: value text }. */
export async function planTiles(page) {
  return page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll("#plan-summary .tile")].map((t) => [t.querySelector(".tile-label").textContent, t.querySelector(".tile-value").textContent])),
  );
}

/** Every id in applied ledger entries, with how many times it was applied. */
export async function appliedCounts(gw) {
  const ledger = await gw.ledger();
  const counts = new Map();
  for (const e of ledger.filter((e) => e.applied)) for (const id of e.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return { ledger, counts };
}

export async function until(fn, { timeout = 10_000, interval = 50, message = "condition" } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${message} (last: ${JSON.stringify(last)})`);
}
