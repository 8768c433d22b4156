// `make bench`: runs every row of the benchmark (one script each, each printing one JSON line),
// prints the table, and writes bench/results.md with the date, the machine and the versions.
//
//   node bench/run.mjs                 every row; writes bench/results.md
//   node bench/run.mjs --only sign     some rows (comma-separated ids); prints only
//   BENCH_SMOKE=1 node bench/run.mjs   the smoke of `make test`: tiny sizes, no target checked,
//                                      rows whose peers are missing skip them with a line
//
// Full runs use the release gateway (TSVI_GATEWAY_BIN, default target/release/tsvi-gateway);
// the smoke uses the debug one the other tests use.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BENCH, PYTHON, ROOT, SMOKE, peerVersion } from "./lib.mjs";

const ROWS = [
  ["size", "rows/size.mjs"],
  ["sign", "sign.mjs"],
  ["submission", "rows/submission.mjs"],
  ["makespan", "rows/makespan.mjs"],
  ["listing", "rows/listing.mjs"],
  ["page", "rows/page.mjs"],
  ["cold-import", "rows/cold-import.mjs"],
  ["gateway", "rows/gateway.mjs"],
];
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt > 0 ? process.argv[onlyAt + 1].split(",") : null;
const selected = ROWS.filter(([id]) => !only || only.includes(id));
if (only && selected.length !== only.length) throw new Error(`unknown row in --only: ${only} (rows: ${ROWS.map(([id]) => id)})`);

const env = { ...process.env };
if (!SMOKE) env.TSVI_GATEWAY_BIN ??= path.join(ROOT, "target/release/tsvi-gateway");
if (env.TSVI_GATEWAY_BIN && !existsSync(env.TSVI_GATEWAY_BIN)) throw new Error(`no gateway at ${env.TSVI_GATEWAY_BIN}: cargo build --release -p workspace-tsvi-gateway`);

/** Runs one row's script; its last stdout line is its JSON. Its stderr passes through. */
function runRow(script) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(BENCH, script)], { cwd: BENCH, env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

const ENTRY_KEYS = ["measure", "ours", "peer", "peerFigure", "ratio", "target", "met"];
function check(row, id) {
  const problems = [];
  if (row.id !== id) problems.push(`id ${row.id}`);
  if (!Array.isArray(row.entries)) problems.push("no entries");
  for (const e of row.entries ?? []) {
    for (const k of ENTRY_KEYS) if (!(k in e)) problems.push(`an entry without ${k}`);
    if (SMOKE && e.met !== null) problems.push("a target checked in the smoke");
  }
  return problems;
}

const started = Date.now();
const loadBefore = os.loadavg();
const results = [];
let failed = 0;
for (const [id, script] of selected) {
  const t0 = Date.now();
  const { code, out } = await runRow(script);
  const seconds = (Date.now() - t0) / 1000;
  let row = null;
  try {
    row = JSON.parse(out.trim().split("\n").pop());
  } catch {
    // reported below
  }
  const problems = code !== 0 ? [`exit ${code}`] : row ? check(row, id) : ["no JSON line"];
  if (problems.length) {
    failed++;
    console.error(`bench: ${id} FAILED (${problems.join("; ")})\n${out}`);
    results.push({ id, failed: problems.join("; "), seconds });
    continue;
  }
  for (const note of row.notes ?? []) console.log(`bench: ${note}`);
  console.log(`bench: ${id} done in ${seconds.toFixed(1)} s`);
  results.push({ ...row, seconds });
}
const totalSeconds = (Date.now() - started) / 1000;
const loadAfter = os.loadavg();

const version = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n")[0];
  } catch {
    return "not found";
  }
};
const pyVersions = version(PYTHON, ["-c", "import sys; from importlib.metadata import version as v; print(sys.version.split()[0], 'huaweicloudsdkcore', v('huaweicloudsdkcore'), 'huaweicloudsdkworkspaceapp', v('huaweicloudsdkworkspaceapp'))"]);
const cpus = os.cpus();
const machine = `${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.type()} ${os.release()}`;
const versions = [
  `node ${process.version}`,
  version("rustc", ["--version"]),
  `Python ${pyVersions}`,
  ...["@huaweicloud/huaweicloud-sdk-core", "uuid", "@aws-sdk/client-appstream", "esbuild"].map((p) => `${p} ${peerVersion(p) ?? "not installed"}`),
  version(process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", ["--version"]),
  `playwright-core ${version(process.execPath, ["-p", "require('playwright-core/package.json').version"])}`,
];
const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");

const cell = (s) => String(s ?? "").replaceAll("|", "\\|").replaceAll("\n", " ");
const met = (m) => (m === true ? "**met**" : m === false ? "**not met**" : "");
const lines = [
  `Date: ${date}. Machine: ${machine}. Total time: ${totalSeconds.toFixed(0)} s; load average ${loadBefore.map((x) => x.toFixed(1)).join(" ")} at the start, ${loadAfter.map((x) => x.toFixed(1)).join(" ")} at the end.`,
  "",
  `Versions: ${versions.join("; ")}.`,
  "",
];
for (const r of results) {
  lines.push(`**${r.failed ? r.id : r.title}** (${r.seconds.toFixed(1)} s)`, "");
  if (r.failed) {
    lines.push(`FAILED: ${r.failed}`, "");
    continue;
  }
  if (r.entries.length === 0) {
    lines.push(...(r.notes ?? []).map((n) => `- ${n}`), "");
    continue;
  }
  lines.push("| measure | ours | peer | peer's figure | ratio | target | |", "|---|---|---|---|---|---|---|");
  for (const e of r.entries) lines.push(`| ${[e.measure, e.ours, e.peer, e.peerFigure, e.ratio, e.target, met(e.met)].map(cell).join(" | ")} |`);
  lines.push("");
}
const verdicts = results.flatMap((r) => (r.entries ?? []).filter((e) => e.met !== null).map((e) => `${met(e.met)}: ${r.id}, ${e.measure} (${e.ours}; target ${e.target})`));
const table = lines.join("\n");
console.log(`\n${table}`);
if (verdicts.length) console.log(`Targets:\n${verdicts.map((v) => `- ${v}`).join("\n")}`);

if (!SMOKE && !only) {
  const raw = results.map((r) => `- \`${r.id}\`: \`${JSON.stringify(r.raw ?? r.failed)}\``);
  writeFileSync(
    path.join(BENCH, "results.md"),
    [
      "# `make bench` results",
      "",
      "Written by `bench/run.mjs` (`make bench`); every row is one script of `bench/`, whose header says what it",
      "measures and how. Ratios are taken within this one run. The machine is shared: see the load average.",
      "",
      table,
      "## Targets",
      "",
      ...verdicts.map((v) => `- ${v}`),
      "",
      "## Raw figures (every run, ms unless named otherwise)",
      "",
      ...raw,
      "",
    ].join("\n"),
  );
  console.log(`bench: wrote bench/results.md (${totalSeconds.toFixed(0)} s in all)`);
}
if (failed) {
  console.error(`bench: ${failed} row(s) failed`);
  process.exit(1);
}
