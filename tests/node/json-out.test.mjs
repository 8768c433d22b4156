// What the module hands to JS is written as one JSON text in the wasm and read by the host's
// JSON.parse: strings from the caller's input come back exactly (control characters, quotes,
// lone surrogates as U+FFFD as every copy into the wasm makes them), numbers are JS numbers
// (fractions written by the host), and every result survives JSON.stringify and JSON.parse
// unchanged (no `undefined` property), which is how a plan or a report is saved and reloaded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, validateBatchRequest, validateClientConfig } from "workspace-tsvi";
import { startGateway, PROJECT, TOKEN } from "./gateway.mjs";

// Every control character JSON escapes, quotes, a backslash, U+2028/2029, lone surrogates, a
// pair, and a key the host would read as a prototype if it assigned rather than defined.
const WEIRD = 'a"b\\c\u0000\u0001\b\f\n\r\t\u001f\u007f\u2028\u2029 \ud800x\udc00 \ud83d\ude00 __proto__';
const WELL_FORMED = WEIRD.toWellFormed();

let gw;
before(async () => {
  gw = await startGateway(["--servers", "12", "--groups", "2", "--job-ms", "50", "--seed", "9"]);
});
after(() => gw?.stop());

const client = () => new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN } });
const survivesJson = (value, what) => assert.deepEqual(JSON.parse(JSON.stringify(value)), value, what);

test("a plan keeps the caller's strings exactly, writes fractions as numbers, and survives JSON", async () => {
  const c = client();
  const { items } = await c.listAllServers({});
  assert.ok(!("stopped" in (await c.listAllServers({}))), "no stopped key when the listing is whole");
  const servers = items.map((s) => ({ ...s, name: `${WEIRD} ${s.id}` }));
  const plan = await c.planRollout(servers, { includeBusy: true, includeMaintained: true, maxUnavailable: "12.5%" });
  assert.equal(plan.snapshot.length, servers.length);
  for (const s of plan.snapshot) assert.equal(s.name, `${WELL_FORMED} ${s.id}`);
  for (const s of plan.skipped) assert.equal(s.name, `${WELL_FORMED} ${s.id}`);
  assert.deepEqual(plan.options.max_unavailable, { percent: 12.5 });
  assert.ok(!("halt_after_failures" in plan.options) && !("enable" in plan.options), "options not given are absent, not undefined");
  survivesJson(plan, "the plan");
  const tenth = await c.planRollout(servers, { maxUnavailable: "0.1%", haltAfterFailures: "33.3%" });
  assert.deepEqual([tenth.options.max_unavailable, tenth.options.halt_after_failures], [{ percent: 0.1 }, { percent: 33.3 }]);
});

test("every event and report of a run survives JSON, and a hook's thrown text comes back exactly", async () => {
  await gw.reset();
  const c = client();
  const { items } = await c.listAllServers({});
  const plan = await c.planRollout(items.slice(0, 4), { includeBusy: true, includeMaintained: true, maxUnavailable: "100%" });
  assert.ok(plan.summary.planned > 0);
  const events = [];
  const reports = [];
  const report = await c.runRollout(plan, {
    pollIntervalMs: 20,
    onEvent: (e) => {
      events.push(e);
      if (e.type === "plan") throw WEIRD;
    },
    onReport: (r) => reports.push(r),
  });
  assert.equal(report.status, "completed");
  const failed = events.filter((e) => e.type === "hook_failed");
  assert.deepEqual(failed, [{ type: "hook_failed", hook: "onEvent", message: WELL_FORMED }]);
  assert.ok(report.notes.some((n) => n.includes(WELL_FORMED)), JSON.stringify(report.notes));
  assert.ok(events.some((e) => e.type === "server_done"));
  for (const e of events) survivesJson(e, e.type);
  for (const r of reports) survivesJson(r, "a saved report");
  survivesJson(report, "the final report");
});

test("validation errors name the caller's keys exactly", () => {
  const result = validateBatchRequest({ items: [{ id: "srv-1", enable: true }], [WEIRD]: 1 });
  assert.equal(result.ok, false);
  assert.deepEqual(result.errors.map((e) => [e.path, e.code]), [[`/${WELL_FORMED}`, "body.unknown_field"]]);
  assert.ok(result.errors[0].message.includes(WELL_FORMED));
  survivesJson(result, "a validation result");
  const config = validateClientConfig({ endpoint: "https://example.com", projectId: PROJECT, auth: { token: "t" }, [WEIRD]: 1 });
  assert.deepEqual(config.errors.map((e) => e.path), [`/${WELL_FORMED}`]);
});
