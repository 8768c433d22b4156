// The rollout engine (wasm) against the simulator: abort and resume, draining, halting.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, reportToCsv } from "workspace-tsvi";
import { startGateway, PROJECT, TOKEN } from "./gateway.mjs";

let gw;
before(async () => {
  gw = await startGateway(["--servers", "300", "--groups", "3", "--job-ms", "300", "--seed", "21"]);
});
after(() => gw?.stop());

const client = () => new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN } });
const fast = { pollIntervalMs: 50, jobTimeoutMs: 60_000 };


test("an abort mid-run gives a complete report, and the resume finishes the rest once", async () => {
  await gw.reset();
  const c = client();
  const { items } = await c.listAllServers({});
  const plan = await c.planRollout(items, { includeBusy: true, batchSize: 10, concurrency: 2 });
  assert.ok(plan.summary.waves >= 4);
  const controller = new AbortController();
  const saved = [];
  const report = await c.runRollout(plan, {
    ...fast,
    signal: controller.signal,
    onEvent: (e) => e.type === "wave_started" && e.wave === 2 && controller.abort(),
    onReport: (r) => saved.push(r),
  });
  assert.equal(report.status, "aborted");
  assert.ok(report.servers.every((s) => ["succeeded", "failed", "skipped", "unknown"].includes(s.outcome)), "complete");
  const stopped = report.servers.filter((s) => s.reason === "aborted");
  assert.ok(stopped.length > 0 && report.counts.succeeded > 0);
  assert.ok(saved.length > 0 && JSON.stringify(saved.at(-1)).length > 0, "the report was offered for saving");

  const stored = JSON.parse(JSON.stringify(report)); // as localStorage would keep it
  const resumed = await c.resumeRollout(stored, fast);
  assert.equal(resumed.status, "completed");
  assert.equal(resumed.counts.succeeded, plan.summary.planned);
  assert.equal(resumed.servers.length, report.servers.length);
  const ledger = await gw.ledger();
  const counts = new Map();
  for (const e of ledger.filter((e) => e.applied)) for (const id of e.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, n]) => n > 1), [], "no server applied twice");
  assert.equal(counts.size, plan.summary.planned);

  const csv = reportToCsv(resumed);
  assert.equal(csv.trim().split("\r\n").length, resumed.servers.length + 1);
});

test("drain: maintenance first, no reboot with sessions unless the deadline passed, nothing left in maintenance", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { session_step_ms: 100 });
  const c = client();
  const { items } = await c.listAllServers({});
  const inMaintenanceBefore = new Set(items.filter((s) => s.maintain_status).map((s) => s.id));
  const busy = items.filter((s) => s.session_count > 0 && s.vm_status === "ACTIVE" && !s.maintain_status && !s.task_status).slice(0, 12);
  assert.equal(busy.length, 12);
  const plan = await c.planRollout(busy, { drain: true, drainTimeoutMs: 30_000, maxUnavailable: "100%" });
  assert.equal(plan.summary.planned, 12);
  const report = await c.runRollout(plan, fast);
  assert.equal(report.counts.succeeded, 12);
  for (const s of report.servers) {
    assert.ok(s.drain, s.id);
    assert.ok(s.drain.sessions_at_reboot === 0 || s.drain.deadline_passed, `${s.id} rebooted with sessions`);
  }
  const { items: after } = await c.listAllServers({ maintain_status: true });
  assert.deepEqual(new Set(after.map((s) => s.id)), inMaintenanceBefore, "only the servers that were in maintenance before are");
});

test("an abort while draining lifts the maintenance mark and sends nothing", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { session_step_ms: 60_000 }); // sessions will not end
  const c = client();
  const { items } = await c.listAllServers({});
  const busy = items.filter((s) => s.session_count > 1 && s.vm_status === "ACTIVE" && !s.maintain_status && !s.task_status).slice(0, 5);
  const plan = await c.planRollout(busy, { drain: true, drainTimeoutMs: 600_000, maxUnavailable: "100%" });
  const controller = new AbortController();
  const report = await c.runRollout(plan, { ...fast, signal: controller.signal, onEvent: (e) => e.type === "drain_started" && setTimeout(() => controller.abort(), 200) });
  assert.equal(report.status, "aborted");
  assert.ok(report.servers.every((s) => s.outcome === "skipped" && s.reason === "aborted"));
  const ledger = await gw.ledger();
  assert.equal(ledger.filter((e) => e.applied).length, 0);
  for (const s of busy) assert.equal((await c.showServer(s.id)).maintain_status, false, `${s.id} left in maintenance`);
});

test("haltAfterFailures stops starting waves once too many servers failed", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { sub_job_failure_rate: 0.5 });
  const c = client();
  const { items } = await c.listAllServers({});
  const plan = await c.planRollout(items, { includeBusy: true, batchSize: 10, concurrency: 1, haltAfterFailures: 3 });
  const waves = [];
  const report = await c.runRollout(plan, { ...fast, onEvent: (e) => e.type === "wave_done" && waves.push(e) });
  assert.equal(report.status, "halted");
  assert.match(report.halt_reason, /haltAfterFailures/);
  // It halted right after the first wave that took the failures past 3, and not before.
  let failed = 0;
  const crossed = waves.findIndex((w) => (failed += w.failed) > 3);
  assert.equal(crossed, waves.length - 1);
  assert.ok(report.servers.some((s) => s.reason === "halted"));
  assert.ok(report.servers.filter((s) => s.outcome === "failed").every((s) => s.error_code && s.error_msg));
});
