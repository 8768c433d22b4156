// Row 5, listing: 10,000 servers (100 pages of 100) with listAllServers (its default
// concurrency) against Huawei's Python SDK paging one page after another, gateway with
// --latency-ms 20, both signing with AK/SK. Median of the runs; ratio = Python / ours.
import { Client } from "workspace-tsvi";
import { AK, PROJECT, RUNS, SK, SMOKE, emit, median, ms, pythonPeer, round, runPython, startGateway, times, verdict } from "../lib.mjs";

const SERVERS = SMOKE ? 300 : 10_000;
const runs = SMOKE ? 1 : RUNS;
const gw = await startGateway(["--servers", String(SERVERS), "--groups", "8", "--seed", "5", "--latency-ms", SMOKE ? "5" : "20"]);
try {
  const settings = await gw.sim("GET", "settings");
  const client = new Client({ endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk: SK }, timeoutMs: 10_000 });
  await client.listAllServers({}); // warm-up: the wasm's first calls, the connections
  const oursMs = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const { items } = await client.listAllServers({});
    oursMs.push(performance.now() - started);
    if (new Set(items.map((s) => s.id)).size !== SERVERS) throw new Error(`listed ${items.length} of ${SERVERS}`);
  }
  const notes = [];
  let python = null;
  if (pythonPeer()) {
    python = runPython("peer.py", { task: "list", url: gw.url, project: PROJECT, ak: AK, sk: SK, runs });
    if (python.distinct !== SERVERS) throw new Error(`python listed ${python.distinct} of ${SERVERS}`);
  } else {
    notes.push("listing: the Python peer skipped (no .venv with huaweicloudsdkworkspaceapp)");
  }
  const ours = median(oursMs);
  const py = python && median(python.runs_ms);
  emit({
    id: "listing",
    title: `5. Listing (${SERVERS.toLocaleString("en-US")} servers, ${Math.ceil(SERVERS / 100)} pages of 100, gateway --latency-ms ${settings.latency_ms}; median of ${runs}; ratio = Python / ours)`,
    smoke: SMOKE,
    entries: [{
      measure: "`listAllServers`, default concurrency",
      ours: ms(ours),
      peer: `Huawei Python SDK ${python?.version ?? ""}, one page after another`,
      peerFigure: python ? ms(py) : "skipped",
      ratio: python ? times(py / ours) : "n/a",
      target: "≥ 5 × faster",
      met: verdict(python ? py / ours >= 5 : null),
    }],
    raw: { oursMs: oursMs.map((x) => round(x)), pythonMs: python?.runs_ms.map((x) => round(x)) ?? null },
    numbers: { speedup: python && round(py / ours, 2) },
    notes,
  });
} finally {
  await gw.stop();
}
