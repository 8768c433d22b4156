// Row 3, submission: 2,000 servers (100 batches of 20) against the gateway with --latency-ms 50.
// Our engine with maxUnavailable 100% and concurrency 1, 4 and 8, and Huawei's Python SDK sending
// the same batches one after another. The figure is the time from the call that starts the run
// until the last batch is accepted (the last `batch_submitted` event; for Python, the last
// answer), so the last jobs' time does not count; against the ideal ceil(batches / c) × latency.
// "in waves" adds up, per wave, the time from `wave_started` to its last `batch_submitted`: what
// submitting costs without the waits between waves. The world is reset before every run, outside
// the timing, so every run sends the same servers. A configuration whose first run takes longer
// than LONG_RUN_MS (the engine at concurrency 1, while each of its 100 waves waits for its jobs)
// is not run again, to keep the whole bench within its 5 minutes; the title says how many runs
// each got.
import { Client } from "workspace-tsvi";
import { AK, PROJECT, RUNS, SK, SMOKE, emit, median, ms, pythonPeer, round, runPython, startGateway, times, verdict } from "../lib.mjs";

const SERVERS = SMOKE ? 100 : 2000;
const LATENCY_MS = SMOKE ? 5 : 50;
const JOB_MS = 20; // short, so the engine's waits between waves show little job time
const POLL_MS = 100;
const CONCURRENCY = SMOKE ? [4] : [1, 4, 8];
const runs = SMOKE ? 1 : RUNS;
const LONG_RUN_MS = 12_000;

// More servers than needed, so that 2,000 fit ones remain after the seeded world's unfit ones
// (a job running, in ERROR, ...).
const gw = await startGateway(["--servers", String(Math.ceil(SERVERS * 1.25)), "--groups", "4", "--seed", "3", "--latency-ms", String(LATENCY_MS), "--job-ms", String(JOB_MS)]);
try {
  const settings = await gw.sim("GET", "settings");
  const client = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk: SK }, timeoutMs: 10_000 });
  const all = (await client.listAllServers({})).items;
  const options = (c) => ({ includeBusy: true, maxUnavailable: "100%", concurrency: c });
  const fit = new Set((await client.planRollout(all, options(1))).waves.flatMap((w) => w.batches.flat()).slice(0, SERVERS));
  if (fit.size !== SERVERS) throw new Error(`only ${fit.size} of ${SERVERS} servers can be updated`);
  const servers = all.filter((s) => fit.has(s.id));

  // A world already reset stays as the seed made it, so every plan holds. Once more if the
  // gateway closed the idle keep-alive connection just as it was reused (its head timeout).
  const reset = () => gw.sim("POST", "reset", {}).catch(() => gw.sim("POST", "reset", {}));
  const ours = [];
  for (const c of CONCURRENCY) {
    const plan = await client.planRollout(servers, options(c));
    const batches = plan.summary.batches;
    const figures = { c, batches, waves: plan.summary.waves, submitMs: [], inWavesMs: [], wallMs: [] };
    for (let r = 0; r < (r > 0 && figures.wallMs[0] > LONG_RUN_MS ? 1 : runs); r++) {
      await reset();
      const seen = [];
      const started = performance.now();
      const report = await client.runRollout(plan, { pollIntervalMs: POLL_MS, seed: 1, onEvent: (e) => seen.push([performance.now() - started, e]) });
      figures.wallMs.push(performance.now() - started);
      if (report.counts.succeeded !== SERVERS) throw new Error(`c=${c}: ${JSON.stringify(report.counts)}`);
      const submitted = seen.filter(([, e]) => e.type === "batch_submitted");
      if (submitted.length !== batches) throw new Error(`c=${c}: ${submitted.length} batches accepted of ${batches}`);
      figures.submitMs.push(submitted.at(-1)[0]);
      let inWaves = 0;
      for (const [at, e] of seen.filter(([, e]) => e.type === "wave_started")) {
        inWaves += Math.max(...submitted.filter(([, s]) => s.wave === e.wave).map(([t]) => t)) - at;
      }
      figures.inWavesMs.push(inWaves);
    }
    figures.idealMs = Math.ceil(batches / c) * settings.latency_ms;
    ours.push(figures);
  }

  let python = null;
  const notes = [];
  if (pythonPeer()) {
    const plan = await client.planRollout(servers, options(1));
    const enableOf = new Map(servers.map((s) => [s.id, plan.enable_by_group[s.server_group_id]]));
    const batches = plan.waves.flatMap((w) => w.batches).map((ids) => ids.map((id) => ({ id, enable: enableOf.get(id) })));
    python = runPython("peer.py", { task: "submit", url: gw.url, project: PROJECT, ak: AK, sk: SK, runs, batches, reset: true });
    if (python.jobs !== batches.length) throw new Error(`python: ${python.jobs} jobs`);
    python.idealMs = batches.length * settings.latency_ms;
  } else {
    notes.push("submission: the Python peer skipped (no .venv with huaweicloudsdkworkspaceapp)");
  }

  const py = python && median(python.runs_ms);
  emit({
    id: "submission",
    title: `3. Submission (${SERVERS.toLocaleString("en-US")} servers, ${ours[0].batches} batches, gateway --latency-ms ${settings.latency_ms}, --job-ms ${settings.job_ms}, poll ${POLL_MS} ms; median of ${ours.map((f) => `${f.submitMs.length} at c = ${f.c}`).join(", ")}, ${runs} for Python; until the last batch is accepted; ratio = Python / ours)`,
    smoke: SMOKE,
    entries: ours.map((f) => {
      const m = median(f.submitMs);
      return {
        measure: `engine, maxUnavailable 100%, concurrency ${f.c} (${f.waves} waves)`,
        ours: `${ms(m)} = ${times(m / f.idealMs)} ideal ${ms(f.idealMs)} (in waves ${ms(median(f.inWavesMs))})`,
        peer: `Huawei Python SDK ${python?.version ?? ""}, one batch after another`,
        peerFigure: python ? `${ms(py)} (ideal ${ms(python.idealMs)})` : "skipped",
        ratio: python ? times(py / m) : "n/a",
        target: f.c === 8 ? "≤ 1.15 × ideal" : "",
        met: f.c === 8 ? verdict(m <= 1.15 * f.idealMs) : null,
      };
    }),
    raw: {
      settings,
      ours: ours.map((f) => ({ ...f, submitMs: f.submitMs.map((x) => round(x)), inWavesMs: f.inWavesMs.map((x) => round(x)), wallMs: f.wallMs.map((x) => round(x)) })),
      python: python && { runsMs: python.runs_ms.map((x) => round(x)), idealMs: python.idealMs },
    },
    numbers: Object.fromEntries(ours.map((f) => [`c${f.c}OverIdeal`, round(median(f.submitMs) / f.idealMs, 2)])),
    notes,
  });
} finally {
  await gw.stop();
}
