// The TypeScript declarations against REAL values: a run against the simulator (drain, a
// throttled and skewed client, failures, a halt, an abort, a hook that throws, a server
// that changed) collects what the module produces; each value is written as a literal typed
// by the package's declarations (fresh literals: a field the declarations lack is an error
// too), and tests/consumers/consume.ts consumes them with exhaustive switches. Compiled with
// `strict`, target ES2022, no `lib` override, skipLibCheck off, NodeNext and Bundler, with and
// without @types/node.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, blockReason } from "workspace-tsvi";
import { startGateway, PROJECT, AK, SK } from "./gateway.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
let gw;
before(async () => {
  gw = await startGateway(["--servers", "60", "--groups", "2", "--job-ms", "100", "--seed", "9"]);
});
after(() => gw?.stop());

const fast = { pollIntervalMs: 30, jobTimeoutMs: 60_000 };

async function collect() {
  const clientEvents = [];
  const events = [];
  await gw.sim("POST", "clock", { offset_ms: 20 * 60_000 });
  await gw.faults({ p429: 0.4, p503: 0.4, retry_after_s: 0, seed: 3 });
  const c = new Client(
    { endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk: SK }, retry: { maxAttempts: 8, baseMs: 1, maxMs: 5 } },
    { onEvent: (e) => clientEvents.push(e) },
  );
  for (let i = 0; i < 6; i++) await c.listServers({ limit: 10 }).catch(() => {});
  await gw.faults({});
  const { items } = await c.listAllServers({});
  const blocked = items.slice(0, 20).map((s) => blockReason(s, { includeBusy: false }));

  // A drained run whose sub-jobs fail half the time, halted after the first failures, with a
  // server changed since the plan and an onReport that throws once.
  await gw.sim("POST", "settings", { session_step_ms: 50, sub_job_failure_rate: 0.5 });
  const plan = await c.planRollout(items, { drain: true, drainTimeoutMs: 2000, batchSize: 5, concurrency: 2, maxUnavailable: "50%", haltAfterFailures: 2 });
  const later = plan.waves.at(-1).batches[0][0];
  await gw.sim("POST", "servers", [{ id: later, maintain_status: true }]);
  let thrown = false;
  const report = await c.runRollout(plan, {
    ...fast,
    onEvent: (e) => events.push(e),
    onReport: () => {
      if (!thrown) {
        thrown = true;
        throw new Error("storage full");
      }
    },
  });

  // A run whose submission is applied and answered 500 (ambiguous), then one aborted at its first wave.
  await gw.sim("POST", "settings", { sub_job_failure_rate: 0 });
  await gw.faults({ p_applied_then_500: 1 });
  const refused = await c.planRollout(items.slice(0, 3), { includeBusy: true, includeMaintained: true });
  await c.runRollout(refused, { ...fast, onEvent: (e) => events.push(e) });
  await gw.faults({});
  const controller = new AbortController();
  const aborting = await c.planRollout(items, { includeBusy: true, includeMaintained: true, batchSize: 2, concurrency: 1 });
  await c.runRollout(aborting, { ...fast, signal: controller.signal, onEvent: (e) => (events.push(e), e.type === "wave_started" && controller.abort()) });
  await gw.sim("POST", "clock", { offset_ms: 0 });
  // Answers of the API as the client returns them (the fields declared required must be there).
  const jobId = events.find((e) => e.type === "batch_submitted").job_id;
  const answers = {
    servers: items.slice(0, 3),
    group: await c.showServerGroup(items[0].server_group_id),
    job: await c.showJob(jobId),
    subJobs: (await c.listSubJobs({ job_id: jobId })).items,
  };
  return { clientEvents, events, plan, report, blocked, answers };
}

function writeFixture(dir, values) {
  const literal = (v) => JSON.stringify(v, null, 1);
  writeFileSync(
    join(dir, "fixture.ts"),
    [
      `import type { ClientEvent, RolloutEvent, Plan, Report, BlockReason, AppServer, ServerGroup, JobDetail, SubJob } from "workspace-tsvi";`,
      `export const clientEvents: ClientEvent[] = ${literal(values.clientEvents)};`,
      `export const events: RolloutEvent[] = ${literal(values.events)};`,
      `export const plan: Plan = ${literal(values.plan)};`,
      `export const report: Report = ${literal(values.report)};`,
      `export const blocked: (BlockReason | null)[] = ${literal(values.blocked)};`,
      `export const answers: { servers: AppServer[]; group: ServerGroup; job: JobDetail; subJobs: SubJob[] } = ${literal(values.answers)};`,
      "",
    ].join("\n"),
  );
  copyFileSync(join(root, "tests/consumers/consume.ts"), join(dir, "consume.ts"));
}

function tsc(dir, { resolution, node }) {
  const config = {
    compilerOptions: {
      strict: true, target: "ES2022", module: resolution === "Bundler" ? "ESNext" : "NodeNext", moduleResolution: resolution,
      skipLibCheck: false, noEmit: true, types: node ? ["node"] : [],
    },
    files: ["consume.ts"],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, type: "module" }));
  try {
    execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", dir], { encoding: "utf8" });
  } catch (error) {
    assert.fail(`tsc (${resolution}, ${node ? "with" : "without"} @types/node):\n${error.stdout}${error.stderr}`);
  }
}

test("the declarations type every value the module really produced, strict, in every setup", async () => {
  const values = await collect();
  const seen = new Set(values.events.map((e) => e.type));
  for (const type of ["plan", "changed", "wave_started", "drain_started", "drain_done", "batch_submitted", "batch_failed", "server_progress", "server_done", "wave_done", "halted", "aborted", "run_done", "hook_failed"]) {
    assert.ok(seen.has(type), `a ${type} event was produced (saw ${[...seen]})`);
  }
  const clientSeen = new Set(values.clientEvents.map((e) => e.type));
  for (const type of ["retry", "clock_skew", "throttled"]) assert.ok(clientSeen.has(type), `a ${type} client event (saw ${[...clientSeen]})`);
  assert.ok(values.blocked.some((b) => b === null) && values.blocked.some((b) => b !== null));

  // Under the repository, so "workspace-tsvi" resolves to pkg/ through node_modules.
  const base = join(root, "target", "types-check");
  rmSync(base, { recursive: true, force: true });
  for (const resolution of ["NodeNext", "Bundler"]) {
    for (const node of [false, true]) {
      const dir = join(base, `${resolution}-${node ? "node" : "plain"}`);
      mkdirSync(dir, { recursive: true });
      writeFixture(dir, values);
      tsc(dir, { resolution, node });
    }
  }
});
