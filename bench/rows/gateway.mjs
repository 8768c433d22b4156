// Row 8, the gateway: ListServers with 100,000 servers, 100 per page, median and p95, from the
// gateway's own cargo bench (gateway/benches/list_servers.rs: 200 requests on one keep-alive
// loopback connection after 20 warm-ups, release build). No peer; the bar is the gateway
// README's, a median under 5 ms. Skipped in the smoke (it builds and starts the release binary).
import { spawnSync } from "node:child_process";
import { ROOT, SMOKE, emit, verdict } from "../lib.mjs";

if (SMOKE) {
  emit({ id: "gateway", title: "8. The gateway (skipped in the smoke: `make bench` runs its cargo bench)", smoke: true, entries: [], raw: {}, numbers: {}, notes: ["gateway: skipped in the smoke"] });
  process.exit(0);
}
const bench = spawnSync("cargo", ["bench", "-q", "-p", "workspace-tsvi-gateway", "--bench", "list_servers"], {
  cwd: ROOT,
  encoding: "utf8",
  env: { ...process.env, CARGO_PROFILE_BENCH_PANIC: "unwind" },
  maxBuffer: 16 << 20,
});
if (bench.status !== 0) throw new Error(`cargo bench failed:\n${bench.stdout}\n${bench.stderr}`);
const series = [...bench.stdout.matchAll(/^(ListServers[^\n]*?)\s+n=(\d+) median=([\d.]+) ms\s+p95=([\d.]+) ms/gm)].map((m) => ({
  name: m[1].trim(),
  n: Number(m[2]),
  median: Number(m[3]),
  p95: Number(m[4]),
}));
const page = series.find((s) => s.name === "ListServers limit=100");
if (!page) throw new Error(`no ListServers line in:\n${bench.stdout}`);
emit({
  id: "gateway",
  title: `8. The gateway (ListServers, 100,000 servers, limit=100, ${page.n} requests on one keep-alive connection, release build; cargo bench)`,
  smoke: false,
  entries: series.map((s) => ({
    measure: s.name.replace("ListServers limit=100", "ListServers `limit=100`"),
    ours: `median ${s.median.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms`,
    peer: "",
    peerFigure: "",
    ratio: "",
    target: s === page ? "median < 5 ms" : "",
    met: s === page ? verdict(s.median < 5) : null,
  })),
  raw: { series, startLine: bench.stdout.split("\n").find((l) => l.startsWith("tsvi-gateway with")) },
  numbers: { medianMs: page.median, p95Ms: page.p95 },
  notes: [],
});
