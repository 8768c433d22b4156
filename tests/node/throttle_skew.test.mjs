// The built package against the gateway's simulator: a signing clock 20 minutes off either
// way is corrected once, and a 2,000-server plan and run completes under `--rate-limit 20`
// with 3% of the calls answered 429 on top.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "workspace-tsvi";
import { startGateway, PROJECT, AK, SK, TOKEN } from "./gateway.mjs";

for (const offsetMin of [20, -20]) {
  test(`the gateway's clock ${offsetMin > 0 ? "ahead" : "behind"} by 20 minutes: one resend, then signed right`, async () => {
    const gw = await startGateway(["--servers", "30"]);
    try {
      const offset = offsetMin * 60_000;
      await gw.sim("POST", "clock", { offset_ms: offset });
      const events = [];
      const client = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk: SK } }, { onEvent: (e) => events.push(e) });
      const page = await client.listServers({ limit: 10 });
      assert.equal(page.items.length, 10);
      const skews = events.filter((e) => e.type === "clock_skew");
      assert.equal(skews.length, 1);
      assert.ok(Math.abs(skews[0].offset_ms - offset) < 5_000, `corrected by ${skews[0].offset_ms} ms`);
      // Later calls are signed with the corrected clock from the start.
      await client.showServerGroup((await client.listServerGroups({ limit: 1 })).items[0].id);
      await client.listAllServers({});
      assert.equal(events.filter((e) => e.type === "clock_skew").length, 1, "corrected once for the client's life");
      assert.equal(events.filter((e) => e.type === "retry").length, 0);

      // A token is not signed: a skewed clock changes nothing, and nothing is resent.
      const tokenEvents = [];
      const byToken = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN } }, { onEvent: (e) => tokenEvents.push(e) });
      await byToken.listServers({ limit: 1 });
      assert.deepEqual(tokenEvents, []);
    } finally {
      await gw.stop();
    }
  });
}

test("a wrong key under a skewed clock is resent once, never more, and the error says so", async () => {
  const gw = await startGateway(["--servers", "5"]);
  try {
    await gw.sim("POST", "clock", { offset_ms: 20 * 60_000 });
    const client = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk: "not-the-sk" } });
    const error = await client.listServers({ limit: 1 }).catch((e) => e);
    assert.equal(error.name, "ApiError");
    assert.equal(error.status, 401);
    assert.ok(Math.abs(error.clockSkewMs - 20 * 60_000) < 5_000, `clockSkewMs ${error.clockSkewMs}`);
    const state = await gw.sim("GET", "state");
    assert.ok(state, "the gateway still answers");
  } finally {
    await gw.stop();
  }
});

test("2,000 servers planned and rolled out at --rate-limit 20 with 3% 429s", { timeout: 600_000 }, async () => {
  const jobMs = 400;
  const gw = await startGateway(["--servers", "2000", "--groups", "8", "--job-ms", String(jobMs), "--seed", "5", "--rate-limit", "20"]);
  try {
    await gw.faults({ p429: 0.03, retry_after_s: 1, seed: 7 });
    const events = [];
    const client = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk: SK }, timeoutMs: 10_000 }, { onEvent: (e) => events.push(e) });
    const started = performance.now();
    const all = await client.listAllServers({}, { concurrency: 4 });
    assert.equal(all.items.length, 2000);
    assert.equal(all.stopped, undefined);
    const plan = await client.planRollout(all.items, { includeBusy: true, maxUnavailable: "25%", concurrency: 10 });
    const planMs = performance.now() - started;
    const runEvents = [];
    const report = await client.runRollout(plan, { pollIntervalMs: 500, jobTimeoutMs: 300_000, seed: 1, onEvent: (e) => runEvents.push(e) });
    const wallMs = performance.now() - started;
    const ledger = await gw.ledger();
    const state = await gw.sim("GET", "state");

    // The client reports every 429 it gets as a "throttled" event.
    const throttled = events.filter((e) => e.type === "throttled").length;
    const retries = events.filter((e) => e.type === "retry").length;
    const applied = new Map();
    for (const entry of ledger.filter((e) => e.applied)) for (const id of entry.ids) applied.set(id, (applied.get(id) ?? 0) + 1);
    // Every API call passed the rate limit and then fault injection, which counts them; the
    // 429s the client saw beyond the injected ones came from the rate limit.
    const injected429 = state.faults.injected.r429;
    const rateLimit429 = throttled - injected429;
    const calls = state.faults.injected.calls + rateLimit429;
    // The calls made at 20 a second, or the waves' jobs back to back, whichever is longer.
    const idealMs = Math.max(plan.summary.waves * jobMs * 1.3, (calls / 20) * 1000);
    const result = {
      selected: all.items.length,
      planned: plan.summary.planned,
      waves: plan.summary.waves,
      status: report.status,
      counts: report.counts,
      batchCalls: ledger.length,
      all429: throttled,
      injected429,
      rateLimit429,
      retries,
      faults: state.faults,
      calls,
      planMs: Math.round(planMs),
      wallMs: Math.round(wallMs),
      idealMs: Math.round(idealMs),
    };
    console.log(`rate-limited rollout: ${JSON.stringify(result)}`);
    assert.equal(report.status, "completed");
    assert.equal(report.servers.length, 2000);
    assert.equal(report.counts.failed, 0, JSON.stringify(report.servers.filter((s) => s.outcome === "failed").slice(0, 3)));
    assert.ok(report.servers.every((s) => ["succeeded", "skipped", "unknown"].includes(s.outcome)));
    assert.deepEqual([...applied].filter(([, n]) => n > 1), [], "no server applied twice");
    assert.ok(throttled > 0, "429s were met");
  } finally {
    await gw.stop();
  }
});
