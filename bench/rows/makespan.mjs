// Row 4, rollout makespan: 10,000 servers, 25% per group, through the soak (tests/soak/soak.mjs)
// with faults off and with 10% of the calls faulted. The figure is the run's wall time against
// the ideal: the number of waves times the longest job the simulator can make (its
// `longest_job_ms`, read from GET /_sim/settings). One run each: two 10,000-server rollouts
// already take most of the bench's time budget.
import { soak, FAULTS } from "../../tests/soak/soak.mjs";
import { SMOKE, emit, ms, times, verdict } from "../lib.mjs";

const SERVERS = SMOKE ? 100 : 10_000;
const shape = { servers: SERVERS, groups: Math.max(8, Math.round(SERVERS / 250)), jobMs: SMOKE ? 50 : 400 };
const runs = [
  { name: "faults off", faults: {}, bound: 1.15 },
  { name: "10% faults", faults: FAULTS, bound: 1.3 },
];
for (const run of runs) run.result = await soak({ ...shape, faults: run.faults });

const safe = (r) => r.appliedTwice.length === 0 && r.lost.length === 0 && r.overLimit.length === 0 && r.nonFinal === 0;
for (const { name, result } of runs) {
  if (!safe(result)) throw new Error(`makespan, ${name}: unsafe run ${JSON.stringify(result)}`);
}
const first = runs[0].result;
if (!(first.longestJobMs > 0)) throw new Error(`the gateway did not tell its longest job: ${first.longestJobMs}`);
emit({
  id: "makespan",
  title: `4. Rollout makespan (${SERVERS.toLocaleString("en-US")} servers in ${shape.groups} groups, 25% per group, concurrency 10, --job-ms ${shape.jobMs}, longest job ${first.longestJobMs} ms, ${first.waves} waves; one run each; ratio = wall / ideal)`,
  smoke: SMOKE,
  entries: runs.map(({ name, bound, result: r }) => ({
    measure: `${name}: ${r.planned.toLocaleString("en-US")} planned, ${r.counts.succeeded.toLocaleString("en-US")} succeeded, ${r.counts.unknown} unknown, ${r.appliedTwice.length} applied twice, ${r.lost.length} lost`,
    ours: ms(r.wallMs),
    peer: "ideal: waves × longest job",
    peerFigure: ms(r.idealMs),
    ratio: times(r.wallMs / r.idealMs),
    target: `≤ ${bound} × ideal`,
    met: verdict(r.wallMs <= bound * r.idealMs),
  })),
  raw: Object.fromEntries(runs.map(({ name, result }) => [name, result])),
  numbers: Object.fromEntries(runs.map(({ name, result: r }) => [name, Math.round((r.wallMs / r.idealMs) * 100) / 100])),
  notes: [],
});
