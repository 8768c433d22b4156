// What every row script of `make bench` shares: the smoke switch, medians, the Python peer,
// the gateway, and the one JSON line a row prints for bench/run.mjs.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BENCH = path.join(ROOT, "bench");
/** BENCH_SMOKE=1 (make test): tiny sizes, one or two runs, no target checked. */
export const SMOKE = process.env.BENCH_SMOKE === "1";
/** Runs per figure where the issue asks for a median (at least 5 outside the smoke). */
export const RUNS = Number(process.env.BENCH_RUNS ?? (SMOKE ? 1 : 5));
export const PYTHON = path.join(ROOT, ".venv/bin/python");

export { startGateway, PROJECT, TOKEN, AK, SK } from "../tests/node/gateway.mjs";

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Nearest-rank percentile. */
export const percentile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
export const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A package installed into bench/node_modules by `make bench`, or null when it is not there. */
const requireFromBench = createRequire(path.join(BENCH, "package.json"));
export function benchPeer(name) {
  try {
    return requireFromBench.resolve(name);
  } catch {
    return null;
  }
}
export function peerVersion(name) {
  try {
    return requireFromBench(`${name}/package.json`).version;
  } catch {
    return null;
  }
}

/** Whether the repo's venv has Huawei's Python SDK (make setup installs it). */
export function pythonPeer() {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ["-c", "import huaweicloudsdkworkspaceapp"], { stdio: "ignore" }).status === 0;
}

/** Runs bench/py/<script> with the JSON `input` on stdin and returns the JSON it prints. */
export function runPython(script, input) {
  const out = execFileSync(PYTHON, [path.join(BENCH, "py", script)], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.trim().split("\n").pop());
}

/** The ratio's text: "2.31 ×". */
export const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} ×` : "n/a");
export const ms = (x) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 0)} ms`);

/**
 * A target's verdict: null in the smoke (no target is checked there) or when a figure is
 * missing, otherwise whether `ok` holds.
 */
export const verdict = (ok) => (SMOKE || ok === null || ok === undefined ? null : Boolean(ok));

/**
 * Prints the row's result as the one JSON line bench/run.mjs reads. `entries` are the table's
 * lines: { measure, ours, peer, peerFigure, ratio, target, met }, all strings but `met`
 * (true, false, or null for no target); `raw` holds every run's figures.
 */
export function emit(row) {
  console.log(JSON.stringify(row));
}
