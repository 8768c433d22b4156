// The soak: a whole project rolled out through the wasm engine against the simulator, with
// 10% of the API calls failing (429, 500, 503, dropped connections, and batches applied and
// then answered 500 or dropped), or with `faults: {}` none. It returns what it measured; the
// callers assert and print (tests/node/soak.test.mjs, bench/rows/makespan.mjs).
//
//   node tests/soak/soak.mjs [servers]     (make bench runs it with 10,000)
import { Client } from "workspace-tsvi";
import { startGateway, PROJECT, TOKEN } from "../node/gateway.mjs";

export const FAULTS = { p429: 0.02, p500: 0.02, p503: 0.02, p_reset: 0.02, p_applied_then_500: 0.02, retry_after_s: 0, seed: 99 };

export async function soak({ servers = 2000, groups = 8, jobMs = 400, seed = 5, concurrency = 10, maxUnavailable = "25%", faults = FAULTS } = {}) {
  const gw = await startGateway(["--servers", String(servers), "--groups", String(groups), "--job-ms", String(jobMs), "--seed", String(seed)]);
  try {
    const client = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN }, timeoutMs: 5000 });
    const all = await client.listAllServers({}, { concurrency: 4 });
    const plan = await client.planRollout(all.items, { includeBusy: true, maxUnavailable, concurrency });

    // The ideal is the number of waves times the longest job the simulator can make.
    const { longest_job_ms: longestJobMs } = await gw.sim("GET", "settings");
    await gw.faults(faults);
    const events = [];
    const started = performance.now();
    const report = await client.runRollout(plan, { pollIntervalMs: 100, jobTimeoutMs: 120_000, seed: 1, onEvent: (e) => events.push(e) });
    const wallMs = performance.now() - started;
    await gw.faults({});
    const ledger = await gw.ledger();
    const state = await gw.sim("GET", "state");

    // Waves never exceed maxUnavailable: what each wave sent, per group, against its cap,
    // and each wave done before the next starts.
    const groupOf = new Map(all.items.map((s) => [s.id, s.server_group_id]));
    const perWave = new Map();
    for (const e of events.filter((e) => e.type === "batch_submitted")) {
      for (const id of e.server_ids) {
        const key = `${e.wave}/${groupOf.get(id)}`;
        perWave.set(key, (perWave.get(key) ?? 0) + 1);
      }
    }
    const overLimit = [...perWave].filter(([key, n]) => n > plan.max_unavailable_by_group[key.split("/")[1]]);
    const order = events.filter((e) => e.type === "wave_started" || e.type === "wave_done").map((e) => `${e.type}:${e.wave}`);
    const interleaved = order.some((entry, i) => entry.startsWith("wave_started") && i > 0 && !order[i - 1].startsWith("wave_done"));

    const appliedCount = new Map();
    for (const entry of ledger.filter((e) => e.applied)) {
      for (const id of entry.ids) appliedCount.set(id, (appliedCount.get(id) ?? 0) + 1);
    }
    const appliedTwice = [...appliedCount].filter(([, n]) => n > 1).map(([id]) => id);
    const outcomes = new Map(report.servers.map((s) => [s.id, s]));
    // Lost: the service applied it and the report says it was not sent, or the other way round.
    const lost = report.servers.filter((s) => (s.outcome === "succeeded") !== appliedCount.has(s.id) && s.outcome !== "unknown").map((s) => s.id);
    const injected = ledger.filter((e) => e.fault).length;
    const waves = plan.summary.waves;
    return {
      servers,
      selected: all.items.length,
      planned: plan.summary.planned,
      waves,
      counts: report.counts,
      status: report.status,
      reportEntries: report.servers.length,
      distinctEntries: outcomes.size,
      nonFinal: report.servers.filter((s) => !["succeeded", "failed", "skipped", "unknown"].includes(s.outcome)).length,
      unknownReasons: [...new Set(report.servers.filter((s) => s.outcome === "unknown").map((s) => s.reason))],
      failedReasons: [...new Set(report.servers.filter((s) => s.outcome === "failed").map((s) => s.reason))],
      appliedTwice,
      lost,
      overLimit,
      interleaved,
      batchCalls: ledger.length,
      faultsOnBatchCalls: injected,
      faultsInjected: state.faults,
      wallMs: Math.round(wallMs),
      longestJobMs,
      idealMs: waves * longestJobMs,
    };
  } finally {
    await gw.stop();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const servers = Number(process.argv[2] ?? 10_000);
  const result = await soak({ servers, groups: Math.max(8, Math.round(servers / 250)) });
  console.log(JSON.stringify(result, null, 2));
}
