// A drained rollout killed with SIGKILL at each stage, then resumed from the last report it
// saved: no server the run marked stays in maintenance, none is applied twice, every server
// ends with a final outcome, and servers in maintenance before the run stay in it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "workspace-tsvi";
import { startGateway, PROJECT, TOKEN } from "./gateway.mjs";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "drain-child.mjs");
const SELECTED = 9;
const LATENCY_MS = 3000;

let gw;
let dir;
before(async () => {
  gw = await startGateway(["--servers", "60", "--groups", "2", "--job-ms", "300", "--seed", "33"]);
  dir = mkdtempSync(path.join(tmpdir(), "tsvi-drain-"));
});
after(async () => {
  await gw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const client = () => new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN } });
const FINAL = ["succeeded", "failed", "skipped", "unknown"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, what, timeout = 30_000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const value = await fn();
    if (value) return value;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function readReport(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null; // not written yet
  }
}

/**
 * Nine idle, updatable servers, two of them put in maintenance before the run (included, so
 * they are drained but never marked), all with sessions; waves of three, batches of two.
 */
async function prepare(sessionStepMs) {
  await gw.reset();
  await gw.faults({});
  await gw.sim("POST", "settings", { session_step_ms: sessionStepMs });
  const c = client();
  const { items } = await c.listAllServers({});
  const fit = items.filter((s) => s.vm_status === "ACTIVE" && !s.maintain_status && !s.task_status && s.job_status !== "RUNNING" && s.job_status !== "WAITING");
  const chosen = fit.slice(0, SELECTED);
  assert.equal(chosen.length, SELECTED);
  const preMaintained = chosen.slice(0, 2).map((s) => s.id);
  await gw.sim("POST", "servers", chosen.map((s) => ({ id: s.id, session_count: 4, maintain_status: preMaintained.includes(s.id) })));
  const { items: now } = await c.listAllServers({});
  const inMaintenanceBefore = new Set(now.filter((s) => s.maintain_status).map((s) => s.id));
  assert.ok(preMaintained.every((id) => inMaintenanceBefore.has(id)));
  assert.ok(inMaintenanceBefore.size > preMaintained.length, "the seeded world has servers in maintenance too");
  const selected = now.filter((s) => chosen.some((c) => c.id === s.id));
  const plan = await c.planRollout(selected, { drain: true, drainTimeoutMs: 600_000, includeMaintained: true, maxUnavailable: 3, batchSize: 2 });
  assert.equal(plan.summary.planned, SELECTED);
  return { c, plan, preMaintained, inMaintenanceBefore };
}

/** Starts the run in a child process; resolves its stdout lines as they come. */
const children = new Set();
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

function startChild(plan, name, stopAt) {
  const planFile = path.join(dir, `${name}.plan.json`);
  const reportFile = path.join(dir, `${name}.report.json`);
  writeFileSync(planFile, JSON.stringify(plan));
  const child = spawn(process.execPath, [CHILD, gw.url, planFile, reportFile, ...(stopAt ? [stopAt] : [])], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.on("exit", () => children.delete(child));
  const lines = [];
  let err = "";
  child.stdout.on("data", (chunk) => lines.push(...String(chunk).split("\n").filter(Boolean)));
  child.stderr.on("data", (chunk) => (err += chunk));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, lines, reportFile, exited, stderr: () => err };
}

async function kill(run) {
  run.child.kill("SIGKILL");
  const { signal } = await run.exited;
  assert.equal(signal, "SIGKILL", run.stderr());
  assert.ok(!run.lines.some((l) => l.startsWith("done")), "killed before the run ended");
}

/** Resumes from the report file, then checks what must hold after any crash. */
async function resumeAndCheck({ c, plan, preMaintained, inMaintenanceBefore }, reportFile) {
  const saved = readReport(reportFile);
  assert.ok(saved, "a report was saved before the kill");
  const report = await c.resumeRollout(saved, { pollIntervalMs: 50, jobTimeoutMs: 60_000 });
  assert.equal(report.status, "completed");
  assert.deepEqual(report.servers.filter((s) => !FINAL.includes(s.outcome)), [], "every server has a final outcome");
  assert.equal(report.counts.succeeded, plan.summary.planned, JSON.stringify(report.servers.filter((s) => s.outcome !== "succeeded")));

  const ledger = await gw.ledger();
  const applied = new Map();
  for (const e of ledger.filter((e) => e.applied)) for (const id of e.ids) applied.set(id, (applied.get(id) ?? 0) + 1);
  assert.deepEqual([...applied].filter(([, n]) => n > 1), [], "no server applied twice");
  assert.equal(applied.size, plan.summary.planned);

  const { items } = await c.listAllServers({});
  const inMaintenanceAfter = new Set(items.filter((s) => s.maintain_status).map((s) => s.id));
  assert.deepEqual([...inMaintenanceAfter].sort(), [...inMaintenanceBefore].sort(), "exactly the servers in maintenance before are in it now");
  for (const s of report.servers) {
    const before = preMaintained.includes(s.id);
    assert.equal(s.drain?.already_in_maintenance, before, s.id);
    assert.equal(s.drain?.marked_by_run, !before, s.id);
    assert.equal(typeof s.drain?.lifted_at === "number", !before, `${s.id}: the lift is recorded`);
  }
  return { saved, report };
}

test("SIGKILL while the batch-maint call is in flight: the saved report already names the servers, the resume lifts or drains them", async () => {
  const world = await prepare(100);
  const run = startChild(world.plan, "maint", "drain_started");
  await until(() => run.lines.includes("stopped drain_started"), "the first drain");
  // From now on every call takes LATENCY_MS: the mark call is still unanswered when we kill.
  await gw.faults({ latency_ms: LATENCY_MS });
  writeFileSync(`${run.reportFile}.release`, "");
  const written = await until(() => {
    const r = readReport(run.reportFile);
    return r?.servers.some((s) => s.drain?.marked_by_run && s.drain.marked_at === undefined) && r;
  }, "the write-ahead entry of the marks");
  await kill(run);
  const marked = written.servers.filter((s) => s.drain?.marked_by_run).map((s) => s.id);
  assert.ok(marked.length > 0 && marked.every((id) => !world.preMaintained.includes(id)));
  assert.equal((await gw.ledger()).length, 0, "nothing was sent for update");
  // A call the dead process sent may still land: let it, as it would before an operator resumes.
  await sleep(LATENCY_MS + 500);
  await gw.faults({});
  await resumeAndCheck(world, run.reportFile);
});

test("SIGKILL while waiting for sessions: the resume goes on with the drain instead of skipping its own marks", async () => {
  const world = await prepare(3_600_000); // sessions do not end while the run is alive
  const run = startChild(world.plan, "wait");
  // Watched on the service, not in the report: the first wave's servers go into maintenance.
  const draining = world.plan.waves[0].batches.flat().filter((id) => !world.preMaintained.includes(id));
  assert.ok(draining.length > 0);
  await until(async () => {
    const states = await Promise.all(draining.map((id) => world.c.showServer(id)));
    return states.every((s) => s.maintain_status);
  }, "the first wave in maintenance");
  await sleep(300); // a few polls of the sessions
  await kill(run);
  const saved = readReport(run.reportFile);
  assert.equal(saved.job_ids.length, 0, "nothing sent yet");
  assert.equal((await gw.ledger()).length, 0);
  await gw.sim("POST", "settings", { session_step_ms: 100 }); // now the sessions drain
  const { report } = await resumeAndCheck(world, run.reportFile);
  assert.ok(!report.notes.some((n) => /maintenance false -> true/.test(n)), report.notes.join("\n"));
  for (const id of draining) assert.equal(report.servers.find((s) => s.id === id).drain.sessions_at_reboot, 0, `${id} drained`);
});

test("SIGKILL after the update was sent, before its job id was saved: the resume follows that job and sends nothing twice", async () => {
  const world = await prepare(100);
  const run = startChild(world.plan, "update", "batch_submitted");
  await until(() => run.lines.includes("stopped batch_submitted"), "the first batch answered");
  await kill(run);
  const saved = readReport(run.reportFile);
  const sent = (await gw.ledger()).filter((e) => e.applied).flatMap((e) => e.ids);
  assert.ok(sent.length > 0);
  for (const id of sent) {
    const s = saved.servers.find((x) => x.id === id);
    assert.ok(s.attempts >= 1 && s.submitted_at, `${id}: the send was saved before it left`);
  }
  assert.ok(sent.some((id) => !saved.servers.find((x) => x.id === id).job_id), "a job the report never recorded");
  await resumeAndCheck(world, run.reportFile);
});

test("the saved reports of a drained run never hold a credential", async () => {
  const world = await prepare(100);
  const run = startChild(world.plan, "clean");
  await until(() => run.lines.some((l) => l.startsWith("done")), "the run to end");
  await run.exited;
  const text = readFileSync(run.reportFile, "utf8");
  assert.ok(!text.includes(TOKEN), "no token in the report");
  assert.ok(!existsSync(`${run.reportFile}.tmp`));
  const report = JSON.parse(text);
  assert.equal(report.counts.succeeded, SELECTED);
  assert.ok(report.servers.every((s) => (s.drain.marked_by_run ? typeof s.drain.lifted_at === "number" : s.drain.already_in_maintenance)));
});
