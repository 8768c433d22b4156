// Errors from the caller's hooks are not swallowed: the run goes on, and the failure is an
// event and a note in the report (a report that could not be saved cannot be resumed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "workspace-tsvi";
import { startGateway, PROJECT, TOKEN } from "./gateway.mjs";

let gw;
before(async () => {
  gw = await startGateway(["--servers", "20", "--groups", "1", "--job-ms", "100", "--seed", "5"]);
});
after(() => gw?.stop());

const client = () => new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN } });
const fast = { pollIntervalMs: 30, jobTimeoutMs: 60_000 };

async function planned(c) {
  const { items } = await c.listAllServers({});
  return c.planRollout(items, { includeBusy: true, includeMaintained: true, maxUnavailable: "100%" });
}

test("an onReport that throws (storage full) is an event and a note; the run finishes", async () => {
  await gw.reset();
  const c = client();
  const plan = await planned(c);
  assert.ok(plan.summary.planned > 0);
  const events = [];
  let saves = 0;
  const report = await c.runRollout(plan, {
    ...fast,
    onEvent: (e) => events.push(e),
    onReport: () => {
      saves += 1;
      throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
    },
  });
  assert.equal(report.status, "completed");
  assert.equal(report.counts.succeeded, plan.summary.planned);
  assert.ok(saves > 1);
  const failed = events.filter((e) => e.type === "hook_failed");
  assert.equal(failed.length, saves, "every failed save is told");
  assert.deepEqual(failed[0], { type: "hook_failed", hook: "onReport", message: "QuotaExceededError: The quota has been exceeded." });
  const notes = report.notes.filter((n) => n.startsWith("onReport failed: QuotaExceededError"));
  assert.equal(notes.length, 1, JSON.stringify(report.notes));
  assert.match(notes[0], /may not resume/);
});

test("an onEvent that throws does not stop the run, and the report says so", async () => {
  await gw.reset();
  const c = client();
  const plan = await planned(c);
  let calls = 0;
  const saved = [];
  const report = await c.runRollout(plan, {
    ...fast,
    onEvent: () => {
      calls += 1;
      throw "listener broke";
    },
    onReport: (r) => saved.push(r),
  });
  assert.equal(report.status, "completed");
  assert.equal(report.counts.succeeded, plan.summary.planned);
  assert.ok(calls > 3, "every event is still offered");
  assert.ok(report.notes.some((n) => n.startsWith("onEvent failed: listener broke")), JSON.stringify(report.notes));
  assert.ok(saved.at(-1).notes.some((n) => n.startsWith("onEvent failed")), "the saved report has the note");
});
