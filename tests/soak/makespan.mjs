// Where a rollout's time goes: one run against the simulator with every API call and every
// engine event timed, then the wall time split into phases (the re-read at the start, sending
// each wave, following its jobs, between waves) and each job's poll lag (from when the job
// ended at the latest to when the engine saw it). Not a test; a measuring tool.
//
//   node tests/soak/makespan.mjs [--servers N] [--faults] [--latency-ms N] [--job-ms N]
//        [--max-unavailable 25%] [--concurrency 10] [--poll-ms 100] [--groups N] [--json]
//   node tests/soak/makespan.mjs --floor [--servers 2000] [--latency-ms 50] [--concurrency 8]
import { startGateway, PROJECT, TOKEN } from "../node/gateway.mjs";
import { FAULTS } from "./soak.mjs";

// Every fetch the package makes, timed (the package calls the global fetch).
const calls = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input.url;
  const method = init?.method ?? input.method ?? "GET";
  const call = { method, path: new URL(url).pathname, start: performance.now(), end: 0, status: 0 };
  calls.push(call);
  try {
    const answer = await realFetch(input, init);
    call.status = answer.status;
    return answer;
  } finally {
    call.end = performance.now();
  }
};
// TSVI_PKG: another build of the package (a directory like pkg/), to compare two builds.
const { Client } = await import(process.env.TSVI_PKG ? `${process.env.TSVI_PKG}/node/index.mjs` : "workspace-tsvi");

function kind({ method, path }) {
  if (path.endsWith("/batch-update-tsvi")) return "batch";
  if (path.endsWith("/batch-maint")) return "maint";
  if (/\/job\/[^/]+$/.test(path)) return "show_job";
  if (path.includes("sub-jobs")) return "sub_jobs";
  if (path.startsWith("/_sim/")) return "sim";
  if (/\/app-servers\/[^/]+$/.test(path) && method === "GET") return "show_server";
  if (path.endsWith("/app-servers")) return "list_servers";
  return `${method} ${path.replace(/\/v1\/[^/]+/, "")}`;
}

const quantile = (xs, q) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x) => Math.round(x);

export async function measure({
  servers = 10_000,
  groups = Math.max(8, Math.round(servers / 250)),
  jobMs = 400,
  seed = 5,
  faults = false,
  latencyMs = 0,
  maxUnavailable = "25%",
  concurrency = 10,
  pollIntervalMs = 100,
} = {}) {
  const args = ["--servers", String(servers), "--groups", String(groups), "--job-ms", String(jobMs), "--seed", String(seed)];
  if (latencyMs) args.push("--latency-ms", String(latencyMs));
  const gw = await startGateway(args);
  try {
    const clientEvents = [];
    const client = new Client(
      { endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN }, timeoutMs: 5000 },
      { onEvent: (e) => clientEvents.push({ at: performance.now(), ...e }) },
    );
    const all = await client.listAllServers({}, { concurrency: 4 });
    const plan = await client.planRollout(all.items, { includeBusy: true, maxUnavailable, concurrency });
    if (faults) await gw.faults(FAULTS);
    calls.length = 0;
    clientEvents.length = 0;
    const events = [];
    const cpu = process.cpuUsage();
    const started = performance.now();
    const report = await client.runRollout(plan, { pollIntervalMs, jobTimeoutMs: 120_000, seed: 1, onEvent: (e) => events.push({ at: performance.now(), ...e }) });
    const ended = performance.now();
    const cpuMs = process.cpuUsage(cpu);
    const runCalls = calls.splice(0);
    await gw.faults({});
    const ledger = await gw.ledger();

    const waves = [];
    for (const e of events) {
      if (e.type === "wave_started") waves.push({ wave: e.wave, start: e.at, submitted: [], done: 0 });
      const w = waves.at(-1);
      if (e.type === "batch_submitted" && w) w.submitted.push(e.at);
      if (e.type === "wave_done" && w) w.done = e.at;
    }
    const firstWave = waves[0]?.start ?? ended;
    const sum = (f) => round(waves.reduce((n, w, i) => n + f(w, i), 0));
    const lastSubmit = (w) => (w.submitted.length ? Math.max(...w.submitted) : w.start);
    const phases = {
      recheck_ms: round(firstWave - started),
      submit_ms: sum((w) => lastSubmit(w) - w.start),
      follow_ms: sum((w) => w.done - lastSubmit(w)),
      between_waves_ms: sum((w, i) => (i + 1 < waves.length ? waves[i + 1].start - w.done : 0)),
      tail_ms: round(ended - (waves.at(-1)?.done ?? ended)),
    };

    // Poll lag per job: the engine sees a job done on a poll; the job ended after the poll
    // before it was sent. So the lag is at most (done poll answered - previous poll sent).
    const jobPolls = new Map();
    for (const c of runCalls.filter((c) => kind(c) === "show_job")) {
      const job = c.path.split("/").at(-1);
      if (!jobPolls.has(job)) jobPolls.set(job, []);
      jobPolls.get(job).push(c);
    }
    const lags = [];
    const pollsPerJob = [];
    for (const polls of jobPolls.values()) {
      pollsPerJob.push(polls.length);
      if (polls.length >= 2) lags.push(polls.at(-1).end - polls.at(-2).start);
    }
    const byKind = {};
    for (const c of runCalls) {
      const k = kind(c);
      byKind[k] ??= { n: 0, ms: [] };
      byKind[k].n += 1;
      byKind[k].ms.push(c.end - c.start);
    }
    const apiCalls = Object.fromEntries(
      Object.entries(byKind).map(([k, v]) => [k, { calls: v.n, median_ms: round(quantile(v.ms, 0.5)), p95_ms: round(quantile(v.ms, 0.95)) }]),
    );
    const acceptedAt = waves.flatMap((w) => w.submitted);
    // Each wave's sending, split: the engine before the first batch call leaves, the calls
    // (first sent to last answered), and the engine after the last answer.
    const batchCalls = runCalls.filter((c) => kind(c) === "batch");
    const split = { before_first_call_ms: 0, calls_ms: 0, after_last_answer_ms: 0 };
    for (const w of waves) {
      const mine = batchCalls.filter((c) => c.start >= w.start && c.end <= lastSubmit(w) + 0.001);
      if (mine.length === 0) continue;
      const first = Math.min(...mine.map((c) => c.start));
      const last = Math.max(...mine.map((c) => c.end));
      split.before_first_call_ms += first - w.start;
      split.calls_ms += last - first;
      split.after_last_answer_ms += lastSubmit(w) - last;
    }
    for (const k of Object.keys(split)) split[k] = round(split[k]);
    const nWaves = plan.summary.waves;
    const idealMs = round(nWaves * jobMs * 1.3);
    const appliedCount = new Map();
    for (const entry of ledger.filter((e) => e.applied)) for (const id of entry.ids) appliedCount.set(id, (appliedCount.get(id) ?? 0) + 1);
    return {
      servers,
      planned: plan.summary.planned,
      waves: nWaves,
      batches: plan.summary.batches,
      faults,
      latencyMs,
      pollIntervalMs,
      counts: report.counts,
      appliedTwice: [...appliedCount.values()].filter((n) => n > 1).length,
      wallMs: round(ended - started),
      idealMs,
      ratio: Number(((ended - started) / idealMs).toFixed(3)),
      // The time until the last batch was accepted, from the run's start; and the waves'
      // sending alone (each wave's start to its last batch accepted), against one latency per
      // wave of batches sent together (issue 11, row 3).
      lastAcceptedMs: round(Math.max(...acceptedAt) - started),
      submission: {
        ms: phases.submit_ms,
        idealMs: Math.ceil(plan.summary.batches / concurrency) * latencyMs,
        ...split,
      },
      phases,
      perWave: {
        submit_median_ms: round(quantile(waves.map((w) => lastSubmit(w) - w.start), 0.5)),
        follow_median_ms: round(quantile(waves.map((w) => w.done - lastSubmit(w)), 0.5)),
        wave_median_ms: round(quantile(waves.map((w) => w.done - w.start), 0.5)),
        wave_p90_ms: round(quantile(waves.map((w) => w.done - w.start), 0.9)),
      },
      pollLag: { median_ms: round(quantile(lags, 0.5)), p90_ms: round(quantile(lags, 0.9)), max_ms: round(Math.max(0, ...lags)) },
      pollsPerJob: { median: quantile(pollsPerJob, 0.5), max: Math.max(0, ...pollsPerJob) },
      apiCalls,
      clientEvents: {
        retries: clientEvents.filter((e) => e.type === "retry").length,
        retry_delay_ms: round(clientEvents.filter((e) => e.type === "retry").reduce((n, e) => n + e.delay_ms, 0)),
        throttled: clientEvents.filter((e) => e.type === "throttled").map((e) => `${round(e.at - started)}ms:${e.rate?.toFixed(1)}/s,${e.max_in_flight}`),
      },
      // Waves where a batch failed against waves where none did, and for each failed batch
      // the time from its failure to the acceptance that settled its servers.
      faultCost: (() => {
        const failedWaves = new Set(events.filter((e) => e.type === "batch_failed").map((e) => e.wave));
        const pick = (failed) => waves.filter((w) => failedWaves.has(w.wave) === failed).map((w) => w.done - w.start);
        const settle = [];
        for (const [i, e] of events.entries()) {
          if (e.type !== "batch_failed") continue;
          const next = events.slice(i + 1).find((n) => n.type === "batch_submitted" && n.server_ids.some((id) => e.server_ids.includes(id)));
          if (next) settle.push({ key: `${e.class}:${e.status ?? e.error_code}`, ms: next.at - e.at });
        }
        const byKey = {};
        for (const { key, ms } of settle) (byKey[key] ??= []).push(ms);
        return {
          waves_with_failure: pick(true).length,
          wave_median_ms_with_failure: round(quantile(pick(true), 0.5)),
          wave_median_ms_without: round(quantile(pick(false), 0.5)),
          failure_to_accepted_median_ms: Object.fromEntries(Object.entries(byKey).map(([k, v]) => [k, round(quantile(v, 0.5))])),
        };
      })(),
      batchFailures: Object.entries(
        events.filter((e) => e.type === "batch_failed").reduce((m, e) => ({ ...m, [`${e.class}:${e.status ?? e.error_code}`]: (m[`${e.class}:${e.status ?? e.error_code}`] ?? 0) + 1 }), {}),
      ),
      engineCpuMs: round((cpuMs.user + cpuMs.system) / 1000),
    };
  } finally {
    await gw.stop();
  }
}

// The floor under the engine's sending: the same plan's batches sent with a bare fetch,
// `concurrency` at a time, each round after the last is answered, no job followed. What it
// takes is Node's fetch and the gateway (its latency included), with no engine around them.
export async function submissionFloor({ servers = 2000, groups = Math.max(8, Math.round(servers / 250)), latencyMs = 50, concurrency = 8, seed = 5 } = {}) {
  const gw = await startGateway(["--servers", String(servers), "--groups", String(groups), "--job-ms", "20", "--seed", String(seed), "--latency-ms", String(latencyMs)]);
  try {
    const client = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN }, timeoutMs: 5000 });
    const all = await client.listAllServers({}, { concurrency: 4 });
    const plan = await client.planRollout(all.items, { includeBusy: true, maxUnavailable: "100%", concurrency });
    const url = `${gw.url}/v1/${PROJECT}/app-servers/actions/batch-update-tsvi`;
    const headers = { "content-type": "application/json", "x-auth-token": TOKEN, "x-project-id": PROJECT };
    let total = 0;
    for (const wave of plan.waves) {
      const started = performance.now();
      await Promise.all(
        wave.batches.map(async (batch) => {
          const body = JSON.stringify({ items: batch.map((id) => ({ id, enable: true })) });
          const answer = await realFetch(url, { method: "PATCH", headers, body });
          if (!answer.ok) throw new Error(`batch answered ${answer.status}: ${await answer.text()}`);
          await answer.json();
        }),
      );
      total += performance.now() - started;
    }
    return { batches: plan.summary.batches, rounds: plan.waves.length, concurrency, latencyMs, floorMs: round(total), idealMs: Math.ceil(plan.summary.batches / concurrency) * latencyMs };
  } finally {
    await gw.stop();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const argv = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const servers = Number(opt("servers", 10_000));
  const result = argv.includes("--floor")
    ? await submissionFloor({ servers, latencyMs: Number(opt("latency-ms", 50)), concurrency: Number(opt("concurrency", 8)) })
    : await measure({
    servers,
    groups: Number(opt("groups", Math.max(8, Math.round(servers / 250)))),
    jobMs: Number(opt("job-ms", 400)),
    faults: argv.includes("--faults"),
    latencyMs: Number(opt("latency-ms", 0)),
    maxUnavailable: opt("max-unavailable", "25%"),
    concurrency: Number(opt("concurrency", 10)),
    pollIntervalMs: Number(opt("poll-ms", 100)),
  });
  console.log(JSON.stringify(result, null, argv.includes("--json") ? 0 : 2));
}
