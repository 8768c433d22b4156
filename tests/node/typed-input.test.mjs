// What the typed reader of a caller's value (src/js_value.rs) takes and refuses, field type
// by field type: strings, booleans, integers, arrays, maps, enum words, nested structs, fields
// in any order. It reads each type through its own method, and names fields by their index;
// these tables pin that it reads exactly what it read through `deserialize_any` and by name.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, blockReason, reportToCsv } from "workspace-tsvi";
import { startGateway, PROJECT, TOKEN } from "./gateway.mjs";

let gw;
before(async () => {
  gw = await startGateway(["--servers", "6", "--groups", "1", "--job-ms", "50", "--seed", "5"]);
});
after(() => gw?.stop());

const refusedAs = (code) => (e) => e.name === "ValidationError" && e.errors[0].code === code;

test("a server is read field by field: each type takes only its own kind of value", () => {
  const busy = { id: "b", server_group_id: "g", vm_status: "ACTIVE", session_count: 3 };
  assert.deepEqual(blockReason(busy, {}), { reason: "busy", detail: "3 active sessions" });
  // The same fields in another order, with unknown ones beside them, read the same.
  assert.deepEqual(blockReason({ colour: [1], session_count: 3, vm_status: "ACTIVE", extra: { a: 1 }, server_group_id: "g", id: "b" }, {}), {
    reason: "busy",
    detail: "3 active sessions",
  });
  for (const [server, expected] of [
    [{ ...busy, session_count: 0 }, null],
    [{ ...busy, session_count: undefined }, null],
    [{ ...busy, session_count: null }, null],
    [{ ...busy, session_count: 2 ** 32 - 1 }, { reason: "busy", detail: "4294967295 active sessions" }],
    [{ ...busy, maintain_status: true, session_count: 0 }, { reason: "maintenance", detail: "already in maintenance mode" }],
    [{ ...busy, session_count: 0, name: "n" }, null],
  ]) {
    assert.deepEqual(blockReason(server, {}), expected, JSON.stringify(server));
  }
  for (const server of [
    { ...busy, id: 1 },
    { ...busy, id: ["b"] },
    { ...busy, id: null },
    { ...busy, session_count: 1.5 },
    { ...busy, session_count: -1 },
    { ...busy, session_count: 2 ** 32 },
    { ...busy, session_count: 2 ** 60 },
    { ...busy, session_count: "3" },
    { ...busy, session_count: true },
    { ...busy, session_count: [3] },
    { ...busy, session_count: { n: 3 } },
    { ...busy, maintain_status: "true" },
    { ...busy, maintain_status: 1 },
    { ...busy, name: 5 },
    { ...busy, name: { text: "n" } },
    { ...busy, vm_status: 7 },
    [busy],
    "b",
  ]) {
    assert.throws(() => blockReason(server, {}), refusedAs("server.invalid"), JSON.stringify(server));
  }
});

test("a report is read with its plan, nested structs, lists, maps and enum words", async () => {
  await gw.reset();
  const client = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN } });
  const { items } = await client.listAllServers({});
  const plan = await client.planRollout(items, { includeBusy: true, batchSize: 2, maxUnavailable: "100%" });
  const report = await client.runRollout(plan, { pollIntervalMs: 20, jobTimeoutMs: 30_000 });
  assert.equal(report.status, "completed");
  const csv = reportToCsv(report);
  assert.equal(csv.trim().split("\n").length, 1 + report.servers.length);
  const copy = () => JSON.parse(JSON.stringify(report));
  const edited = (edit) => {
    const r = copy();
    edit(r);
    return r;
  };
  // Read back whole: every field lands where it was (a field read into another one would
  // change the CSV or be refused), in any key order.
  const reversed = (value) =>
    Array.isArray(value)
      ? value.map(reversed)
      : value && typeof value === "object"
        ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]))
        : value;
  assert.equal(reportToCsv(reversed(copy())), csv);
  // A drain with only some fields: the others take their defaults, each in its own column.
  const row = reportToCsv(edited((r) => (r.servers[0].drain = { sessions_before: 2, waited_ms: 40 }))).split("\r\n")[1];
  assert.equal(row, csv.split("\r\n")[1].replace(/"","","","",""$/, '"40","0","","",""'));
  assert.equal(reportToCsv(edited((r) => (r.servers[0].reason = "a_word_of_another_version"))).split("\n")[1].includes("a_word_of_another_version"), true);
  for (const [what, edit] of [
    ["format as a string", (r) => (r.format = "1")],
    ["a fractional start", (r) => (r.started_at = 1.5)],
    ["a negative start", (r) => (r.started_at = -1)],
    ["an unknown status", (r) => (r.status = "paused")],
    ["a status that is not a word", (r) => (r.status = 1)],
    ["an unknown outcome", (r) => (r.servers[0].outcome = "maybe")],
    ["attempts as a string", (r) => (r.servers[0].attempts = "1")],
    ["a missing required field", (r) => delete r.servers[0].attempts],
    ["job ids as an object", (r) => (r.job_ids = { 0: "j" })],
    ["a job id that is a number", (r) => (r.job_ids = [1])],
    ["servers as an object", (r) => (r.servers = { 0: r.servers[0] })],
    ["counts as an array", (r) => (r.counts = [0, 0, 0, 0, 0, 0])],
    ["a drain flag as a number", (r) => (r.servers[0].drain = { deadline_passed: 1 })],
    ["the plan's group map as an array", (r) => (r.plan.enable_by_group = [true])],
    ["a group's enable as a string", (r) => (r.plan.enable_by_group = { g: "true" })],
    ["a group's limit that is fractional", (r) => (r.plan.max_unavailable_by_group = { g: 1.5 })],
    ["a batch that is a string", (r) => (r.plan.waves[0].batches = ["a"])],
    ["a limit that is not a count or a percentage", (r) => (r.plan.options.max_unavailable = { share: 5 })],
    ["a skip reason that is not a word", (r) => (r.plan.skipped = [{ id: "x", reason: "nope", detail: "" }])],
  ]) {
    assert.throws(() => reportToCsv(edited(edit)), refusedAs("report.invalid"), what);
  }
});
