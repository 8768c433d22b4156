// The soak of the rollout engine, 2,000 servers with 10% faults (tests/soak/soak.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { soak } from "../soak/soak.mjs";

test("2,000 servers with 10% faults: one final outcome each, nobody rebooted twice, limits kept", { timeout: 600_000 }, async () => {
  const r = await soak({ servers: 2000 });
  console.log(`soak: ${JSON.stringify(r)}`);
  assert.equal(r.reportEntries, r.selected, "one entry per selected server");
  assert.equal(r.distinctEntries, r.selected);
  assert.equal(r.nonFinal, 0, "every server has a final outcome");
  assert.equal(r.status, "completed");
  assert.deepEqual(r.appliedTwice, [], "no server applied twice");
  assert.deepEqual(r.lost, [], "the report agrees with the service's ledger");
  assert.deepEqual(r.overLimit, [], "no wave exceeds maxUnavailable");
  assert.equal(r.interleaved, false, "each wave ends before the next starts");
  assert.equal(r.counts.failed, 0, `failures: ${r.failedReasons}`);
  assert.ok(r.counts.unknown <= r.faultsOnBatchCalls, "only ambiguous servers may be unknown");
  assert.ok(r.faultsOnBatchCalls > 0, "faults were injected");
  assert.equal(r.counts.succeeded + r.counts.skipped + r.counts.unknown, r.selected);
});
