// A rollout in its own process, for tests that kill it with SIGKILL (drain-crash.test.mjs).
//
//   node drain-child.mjs <gateway url> <plan.json> <report.json> [stop-at-event]
//
// It runs the plan and writes every report onReport hands over to <report.json>, atomically
// (a temporary file renamed over it), as an operator's script would. It prints each event's
// type on stdout. With `stop-at-event`, it prints `stopped <type>` when that event comes and
// then blocks its only thread, so the whole engine stands still until the parent kills it.
import { readFileSync, renameSync, writeFileSync, writeSync, existsSync } from "node:fs";
import { Client } from "workspace-tsvi";
import { PROJECT, TOKEN } from "./gateway.mjs";

const [url, planFile, reportFile, stopAt] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, "utf8"));
const client = new Client({ endpoint: url, projectId: PROJECT, auth: { token: TOKEN } });
const pause = new Int32Array(new SharedArrayBuffer(4));

const report = await client.runRollout(plan, {
  pollIntervalMs: 50,
  jobTimeoutMs: 60_000,
  onReport: (r) => {
    writeFileSync(`${reportFile}.tmp`, JSON.stringify(r));
    renameSync(`${reportFile}.tmp`, reportFile);
  },
  onEvent: (e) => {
    writeSync(1, `${e.type}\n`);
    if (e.type === stopAt) {
      writeSync(1, `stopped ${e.type}\n`);
      // Blocks the thread (no timer, no fetch answer, no wasm runs) until SIGKILL. Bounded, in
      // case the parent is gone: the file `<report.json>.release` lets it go on.
      for (let i = 0; i < 600 && !existsSync(`${reportFile}.release`); i++) Atomics.wait(pause, 0, 0, 100);
    }
  },
});
writeSync(1, `done ${report.status}\n`);
