// The command line (pkg/bin/workspace-tsvi.mjs) against the gateway's simulator, run as a user
// runs it: a child process with the credentials in Huawei's env names, stdin not a terminal and
// stdout piped. Runs are checked against /_sim/ledger; every output is searched for the secrets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startGateway, PROJECT, AK, SK, TOKEN } from "./gateway.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(root, "pkg/bin/workspace-tsvi.mjs");
const CANARY_SK = "canary-cli-sk-5d21e0";
const CANARY_TOKEN = "canary-cli-token-9b4c77";

let gw;
let dir;
const outputs = []; // every stdout and stderr, searched for secrets at the end
before(async () => {
  gw = await startGateway(["--servers", "60", "--groups", "2", "--job-ms", "300", "--seed", "5"]);
  dir = mkdtempSync(path.join(tmpdir(), "tsvi-cli-"));
});
after(async () => {
  await gw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The environment a user sets: the region's endpoint and AK/SK in Huawei's names, nothing inherited. */
function userEnv(extra = {}) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  return {
    ...env,
    HUAWEICLOUD_SDK_REGION_WORKSPACEAPP_SIM_LOCAL_1: gw.url,
    HUAWEICLOUD_SDK_AK: AK,
    HUAWEICLOUD_SDK_SK: SK,
    HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
    ...extra,
  };
}
const REGION = ["--region", "sim-local-1"];
const FAST = ["--poll-interval-ms", "100"];

/** Runs the CLI; `onStdout(text, child)` hears its output as it comes. Bounded by a timeout. */
function cli(args, { env = userEnv(), input, onStdout, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: dir, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`workspace-tsvi ${args.join(" ")} did not end in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d) => (stderr += d));
    if (input !== undefined) child.stdin.end(input);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      outputs.push(stdout, stderr);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** How many times the simulator applied each server (batches that were applied only). */
async function appliedCounts() {
  const counts = new Map();
  for (const entry of await gw.ledger()) if (entry.applied) for (const id of entry.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}
const plannedIds = (plan) => plan.waves.flatMap((w) => w.batches.flat());
const file = (name) => path.join(dir, name);

async function groups() {
  const { code, stdout } = await cli(["groups", "list", ...REGION, "--json"]);
  assert.equal(code, 0);
  return JSON.parse(stdout);
}

test("--help on every command exits 0 with an example; unknown commands and flags exit 2", async () => {
  for (const command of [[], ["servers", "list"], ["groups", "list"], ["plan"], ["apply"], ["resume"], ["job", "show"], ["job", "wait"], ["validate"]]) {
    const { code, stdout } = await cli([...command, "--help"]);
    assert.equal(code, 0, command.join(" "));
    assert.match(stdout, /Example:\n  (export|workspace-tsvi)/, command.join(" "));
  }
  assert.match((await cli(["apply", "--help"])).stdout, /second Ctrl-C \(a second or more later\) exits at once/);
  for (const args of [["frobnicate"], ["plan", "--no-such-flag"], ["servers", "list", "extra"], []]) {
    assert.equal((await cli(args)).code, 2, args.join(" "));
  }
});

test("servers list: a table, --json, and the API's filters", async () => {
  await gw.reset();
  const table = await cli(["servers", "list", ...REGION]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^ID\s+NAME\s+GROUP\s+VM_STATUS/);
  assert.equal(lines.length, 61);

  const all = JSON.parse((await cli(["servers", "list", ...REGION, "--json"])).stdout);
  assert.equal(all.length, 60);
  assert.equal(new Set(all.map((s) => s.id)).size, 60);
  for (const s of all) assert.ok(table.stdout.includes(s.id));

  const group = all[0].server_group_id;
  const inGroup = JSON.parse((await cli(["servers", "list", ...REGION, "--group", group, "--json"])).stdout);
  assert.ok(inGroup.length > 0 && inGroup.length < 60 && inGroup.every((s) => s.server_group_id === group));
  const maintained = JSON.parse((await cli(["servers", "list", ...REGION, "--maintain", "true", "--json"])).stdout);
  assert.deepEqual(maintained.map((s) => s.id).sort(), all.filter((s) => s.maintain_status).map((s) => s.id).sort());
  const shutoff = JSON.parse((await cli(["servers", "list", ...REGION, "--status", "shutoff", "--json"])).stdout);
  assert.deepEqual(shutoff.map((s) => s.id).sort(), all.filter((s) => s.vm_status === "SHUTOFF").map((s) => s.id).sort());
  // A bad filter value is the module's validation error: exit 2, nothing listed.
  const bad = await cli(["servers", "list", ...REGION, "--maintain", "maybe"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /maintain_status/);
});

test("groups list: every group with its ip_virtual", async () => {
  const list = await groups();
  assert.equal(list.length, 2);
  for (const g of list) assert.equal(typeof g.ip_virtual?.enable, "boolean");
  const { stdout } = await cli(["groups", "list", ...REGION]);
  assert.match(stdout.split("\n")[0], /IP_VIRTUAL/);
  for (const g of list) assert.match(stdout, new RegExp(`${g.id}.*${g.ip_virtual.enable ? "enabled" : "disabled"}`));
});

test("plan prints waves, skips with reasons, sessions and saves --out; its options are the module's", async () => {
  await gw.reset();
  const [group] = await groups();
  const out = file("plan-a.json");
  const run = await cli(["plan", ...REGION, "--group", group.id, "--max-unavailable", "3", "--batch-size", "2", "--out", out]);
  assert.equal(run.code, 0, run.stderr);
  const plan = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(plan.options.batch_size, 2);
  assert.deepEqual(plan.options.max_unavailable, { count: 3 });
  assert.match(run.stdout, new RegExp(`^Plan: ${plan.summary.planned} of ${plan.summary.selected} servers in ${plan.summary.waves} waves`));
  for (const wave of plan.waves) assert.match(run.stdout, new RegExp(`wave ${wave.index}: `));
  assert.ok(plan.skipped.length > 0);
  for (const k of plan.skipped) assert.ok(run.stdout.includes(`${k.id}`) && run.stdout.includes(`${k.reason}: ${k.detail}`));
  assert.match(run.stdout, /Sessions cut: /);

  // Durations, shares, and what the user must know: the sessions cut and the engine's warnings.
  const busy = await cli(["plan", ...REGION, "--group", group.id, "--include-busy", "--halt-after", "10%", "--drain-timeout", "10m", "--json"]);
  const busyPlan = JSON.parse(busy.stdout);
  assert.deepEqual(busyPlan.options.halt_after_failures, { percent: 10 });
  assert.equal(busyPlan.options.drain_timeout_ms, 600_000);
  assert.ok(busyPlan.summary.sessions > 0 && busyPlan.warnings.length > 0);
  const shown = await cli(["plan", ...REGION, "--group", group.id, "--include-busy"]);
  assert.match(shown.stdout, new RegExp(`Sessions cut: ${busyPlan.summary.sessions} sessions on ${busyPlan.summary.with_sessions} servers`));
  for (const w of busyPlan.warnings) assert.ok(shown.stdout.includes(`Warning (${w.code}): ${w.message}`));

  // --ids-file, one id a line, in the given order; an unknown id is refused.
  const ids = plannedIds(plan).slice(0, 3);
  writeFileSync(file("ids.txt"), `${ids.join("\n")}\n`);
  const fromIds = JSON.parse((await cli(["plan", ...REGION, "--ids-file", file("ids.txt"), "--json"])).stdout);
  assert.deepEqual(plannedIds(fromIds).sort(), [...ids].sort());
  writeFileSync(file("ids.json"), JSON.stringify([...ids, "no-such-server"]));
  const unknown = await cli(["plan", ...REGION, "--ids-file", file("ids.json")]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no-such-server/);

  // Option ranges come from the engine's errors.
  const range = await cli(["plan", ...REGION, "--group", group.id, "--batch-size", "21"]);
  assert.equal(range.code, 2);
  assert.match(range.stderr, /batchSize/);
  assert.equal((await cli(["plan", ...REGION])).code, 2, "no selection");
  assert.equal((await gw.ledger()).length, 0, "planning sends nothing");
});

test("apply without --yes on a stdin that is not a terminal refuses, and sends nothing", async () => {
  await gw.reset();
  const [group] = await groups();
  const run = await cli(["apply", ...REGION, "--group", group.id, "--report", file("refused.json")]);
  assert.equal(run.code, 2);
  assert.match(run.stdout, /^Plan: /, "the plan is shown");
  assert.match(run.stderr, /pass --yes/);
  assert.equal((await gw.ledger()).length, 0);
  assert.ok(!existsSync(file("refused.json")));
});

test("apply --yes, piped: plain lines, every planned server sent exactly once, report and CSV written", async () => {
  await gw.reset();
  const [group] = await groups();
  await cli(["plan", ...REGION, "--group", group.id, "--out", file("plan-b.json")]);
  const plan = JSON.parse(readFileSync(file("plan-b.json"), "utf8"));
  assert.ok(plan.summary.planned >= 3);
  const run = await cli(["apply", ...REGION, "--plan", file("plan-b.json"), "--report", file("run-b.json"), "--yes", ...FAST]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.ok(!/[\r\x1b]/.test(run.stdout), "no terminal control when piped");
  assert.match(run.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z wave 0 started: \d+ servers$/m);
  assert.match(run.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z wave 0: batch of \d+ sent, job \d+$/m);
  assert.match(run.stdout, new RegExp(`Run completed: ${plan.summary.planned} succeeded, 0 failed, 0 unknown`));
  assert.match(run.stdout, new RegExp(`CSV: ${file("run-b.csv").replaceAll(".", "\\.")}`));

  const counts = await appliedCounts();
  assert.deepEqual([...counts.keys()].sort(), plannedIds(plan).sort(), "exactly the planned servers");
  assert.ok([...counts.values()].every((n) => n === 1), "each once");
  const report = JSON.parse(readFileSync(file("run-b.json"), "utf8"));
  assert.equal(report.status, "completed");
  assert.equal(report.counts.succeeded, plan.summary.planned);
  assert.equal(readFileSync(file("run-b.csv"), "utf8").trim().split("\r\n").length, report.servers.length + 1);

  // Another run never overwrites a report, and a saved plan is not reshaped by plan flags.
  const again = await cli(["apply", ...REGION, "--group", group.id, "--report", file("run-b.json"), "--yes", ...FAST]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /run-b\.json exists/);
  const reshaped = await cli(["apply", ...REGION, "--plan", file("plan-b.json"), "--batch-size", "1", "--report", file("run-b2.json"), "--yes"]);
  assert.equal(reshaped.code, 2);
  assert.match(reshaped.stderr, /--batch-size cannot change it/);
  // A report that cannot be saved stops the run before any batch: it could not be resumed.
  await gw.reset();
  const unsaved = await cli(["apply", ...REGION, "--group", group.id, "--report", file("no-such-dir/run.json"), "--yes", ...FAST]);
  assert.equal(unsaved.code, 3, unsaved.stdout + unsaved.stderr);
  assert.match(unsaved.stdout, /cannot save the report \(ENOENT\): no new batch will be sent/);
  assert.equal((await gw.ledger()).length, 0);
});

test("apply --plan refuses a plan whose servers changed, unless --replan", async () => {
  await gw.reset();
  const [group] = await groups();
  await cli(["plan", ...REGION, "--group", group.id, "--out", file("plan-c.json")]);
  const plan = JSON.parse(readFileSync(file("plan-c.json"), "utf8"));
  const [victim] = plannedIds(plan);
  await gw.sim("POST", "servers", { id: victim, session_count: 4 }); // now busy: the planner skips it
  const refused = await cli(["apply", ...REGION, "--plan", file("plan-c.json"), "--report", file("run-c.json"), "--yes", ...FAST]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`${victim}: now skipped \\(busy`));
  assert.equal((await gw.ledger()).length, 0);

  const replanned = await cli(["apply", ...REGION, "--plan", file("plan-c.json"), "--replan", "--report", file("run-c.json"), "--yes", ...FAST]);
  assert.equal(replanned.code, 0, replanned.stdout + replanned.stderr);
  const counts = await appliedCounts();
  assert.ok(!counts.has(victim), "the now-busy server was not sent");
  assert.equal(counts.size, plan.summary.planned - 1);
});

test("Ctrl-C during apply: exit 3 with the report written; resume finishes it, nothing sent twice", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { job_ms: 1500 });
  const reportPath = file("run-d.json");
  let interrupted = false;
  const run = await cli(["apply", ...REGION, "--all", "--include-busy", "--max-unavailable", "5", "--batch-size", "5", "--concurrency", "1", "--report", reportPath, "--yes", ...FAST], {
    onStdout: (text, child) => {
      if (!interrupted && /batch of \d+ sent/.test(text)) {
        interrupted = true;
        child.kill("SIGINT");
        setTimeout(() => child.kill("SIGINT"), 20); // npx forwards the terminal's Ctrl-C too
      }
    },
  });
  assert.ok(interrupted);
  assert.equal(run.code, 3, run.stdout + run.stderr);
  assert.doesNotMatch(run.stderr, /exiting now/, "the signal npx forwards is the same Ctrl-C, not a second one");
  assert.match(run.stdout, /interrupted: no new batch will be sent/);
  assert.match(run.stderr, /resume --report/);
  const report = JSON.parse(readFileSync(reportPath, "utf8"));
  assert.equal(report.status, "aborted");
  const sentBefore = await appliedCounts();
  assert.equal(sentBefore.size, 5, "the batch that was sent was followed, no other was sent");
  assert.ok(report.servers.some((s) => s.reason === "aborted"));
  for (const id of sentBefore.keys()) assert.equal(report.servers.find((s) => s.id === id).outcome, "succeeded");

  await gw.sim("POST", "settings", { job_ms: 300 });
  const resumed = await cli(["resume", ...REGION, "--report", reportPath, "--yes", ...FAST]);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const final = JSON.parse(readFileSync(reportPath, "utf8"));
  assert.equal(final.status, "completed");
  const planned = plannedIds(final.plan);
  const counts = await appliedCounts();
  assert.deepEqual([...counts.keys()].sort(), [...planned].sort());
  assert.ok([...counts.values()].every((n) => n === 1), "nothing sent twice");
  assert.equal(final.counts.succeeded, planned.length);
});

test("a second Ctrl-C exits at once; resume follows the job that was sent instead of sending it again", async () => {
  await gw.reset();
  await gw.sim("POST", "settings", { job_ms: 6000 });
  const reportPath = file("run-f.json");
  const args = ["apply", ...REGION, "--all", "--include-busy", "--max-unavailable", "5", "--batch-size", "5", "--concurrency", "1", "--report", reportPath, "--yes", ...FAST];
  let signals = 0;
  const started = Date.now();
  const run = await cli(args, {
    onStdout: (text, child) => {
      if (signals === 0 && /batch of \d+ sent/.test(text)) {
        signals = 1;
        child.kill("SIGINT");
      } else if (signals === 1 && /interrupted: no new batch/.test(text)) {
        signals = 2;
        setTimeout(() => child.kill("SIGINT"), 1100);
      }
    },
  });
  assert.equal(signals, 2);
  assert.equal(run.code, 3, run.stdout + run.stderr);
  assert.ok(Date.now() - started < 6000, "it did not wait for the job");
  assert.match(run.stderr, /exiting now/);
  const saved = JSON.parse(readFileSync(reportPath, "utf8"));
  assert.equal(saved.status, "running", "the run stopped in the middle");
  const inFlight = saved.servers.filter((s) => s.outcome === "in_progress");
  assert.equal(inFlight.length, 5);
  assert.ok(inFlight.every((s) => s.job_id === saved.job_ids[0]));

  await gw.sim("POST", "settings", { job_ms: 300 });
  const resumed = await cli(["resume", ...REGION, "--report", reportPath, "--yes", ...FAST]);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const final = JSON.parse(readFileSync(reportPath, "utf8"));
  const counts = await appliedCounts();
  assert.deepEqual([...counts.keys()].sort(), plannedIds(final.plan).sort());
  assert.ok([...counts.values()].every((n) => n === 1), "the job in flight was followed, not sent again");
  for (const s of inFlight) assert.equal(final.servers.find((f) => f.id === s.id).job_id, saved.job_ids[0]);
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`), answering `answer` to its question. */
function onTerminal(args, answer) {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env: userEnv(), cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let answered = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no end on the terminal:\n${output}`));
    }, 60_000);
    child.stdout.on("data", (d) => {
      output += d;
      if (!answered && output.includes('Type "yes" to go on: ')) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      outputs.push(output);
      resolve({ code, output, answered });
    });
  });
}

test("on a terminal, apply asks first: anything but yes sends nothing; yes runs with a live status line", async () => {
  await gw.reset();
  const [group] = await groups();
  const declined = await onTerminal(["apply", ...REGION, "--group", group.id, "--report", file("tty-no.json"), ...FAST], "no");
  assert.ok(declined.answered, declined.output);
  assert.equal(declined.code, 1);
  assert.match(declined.output, /not confirmed: nothing was sent/);
  assert.equal((await gw.ledger()).length, 0);

  const run = await onTerminal(["apply", ...REGION, "--group", group.id, "--report", file("tty-yes.json"), ...FAST], "yes");
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /This reboots \d+ servers and disconnects \d+ sessions\./);
  assert.match(run.output, /\r\x1b\[Kwave 0\/\d+ · batches sent 1\/\d+ · servers done \d+\/\d+ · failed 0 · unknown 0/);
  const report = JSON.parse(readFileSync(file("tty-yes.json"), "utf8"));
  assert.equal(report.status, "completed");
  assert.equal((await appliedCounts()).size, report.counts.succeeded);
});

test("exit 1 when a server fails (injected by the simulator); job show and job wait", async () => {
  await gw.reset();
  const [group] = await groups();
  const plan = JSON.parse((await cli(["plan", ...REGION, "--group", group.id, "--json"])).stdout);
  const [failing] = plannedIds(plan);
  await gw.sim("POST", "servers", { id: failing, fail_updates: true });
  const run = await cli(["apply", ...REGION, "--group", group.id, "--report", file("run-e.json"), "--yes", ...FAST]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, new RegExp(`server ${failing} failed`));
  assert.match(run.stdout, new RegExp(`^  failed ${failing} `, "m"));
  const report = JSON.parse(readFileSync(file("run-e.json"), "utf8"));
  const failedJob = report.servers.find((s) => s.id === failing).job_id;

  const shown = await cli(["job", "show", failedJob, ...REGION, "--json"]);
  assert.equal(shown.code, 0, shown.stderr);
  const job = JSON.parse(shown.stdout);
  assert.equal(job.id, failedJob);
  assert.ok(job.sub_jobs.some((s) => s.job_resource_info?.resource_id === failing && s.status === "FAILED"));
  const table = await cli(["job", "show", failedJob, ...REGION]);
  assert.match(table.stdout, new RegExp(`${failing}.*FAILED`));
  assert.equal((await cli(["job", "wait", failedJob, ...REGION, "--interval", "50"])).code, 1, "a FAILED job");
  const good = report.servers.find((s) => s.outcome === "succeeded" && s.job_id !== failedJob);
  if (good) assert.equal((await cli(["job", "wait", good.job_id, ...REGION, "--interval", "50"])).code, 0);
  assert.equal((await cli(["job", "show", ...REGION])).code, 2, "no job id");
});

test("exit 2 for usage and validation: missing credentials, a bad project id, validate FILE", async () => {
  const noProject = await cli(["groups", "list", ...REGION], { env: userEnv({ HUAWEICLOUD_SDK_PROJECT_ID: "" }) });
  assert.equal(noProject.code, 2);
  assert.match(noProject.stderr, /projectId/);
  const noEndpoint = await cli(["groups", "list"]);
  assert.equal(noEndpoint.code, 2);
  assert.match(noEndpoint.stderr, /endpoint/);

  writeFileSync(file("good.json"), JSON.stringify({ items: [{ id: "a", enable: true }] }));
  const good = await cli(["validate", file("good.json")]);
  assert.equal(good.code, 0);
  assert.match(good.stdout, /valid/);
  writeFileSync(file("bad.json"), JSON.stringify({ items: [{ id: "a", enable: 1 }, { id: "a", enable: true }], extra: 1 }));
  const bad = await cli(["validate", file("bad.json")]);
  assert.equal(bad.code, 2);
  for (const expected of ["/extra: body.unknown_field", "/items/0/enable: enable.not_boolean", "/items/1/id: id.duplicate"]) assert.ok(bad.stdout.includes(expected), expected);
  writeFileSync(file("notjson.json"), "{items");
  assert.equal((await cli(["validate", file("notjson.json")])).code, 2);
});

test("secrets: a flag value warns, stdin and env are read, and no secret is ever printed", async () => {
  // A token as a flag: accepted with a warning that does not repeat it.
  const flagged = await cli(["groups", "list", ...REGION, "--token", TOKEN]);
  assert.equal(flagged.code, 0);
  assert.match(flagged.stderr, /warning: --token puts a secret in the process list/);
  // The secret key from stdin.
  const fromStdin = await cli(["groups", "list", ...REGION, "--sk-stdin"], { env: userEnv({ HUAWEICLOUD_SDK_SK: "" }), input: `${SK}\n` });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  // Wrong secrets: the 401 is printed, the canaries are not.
  const wrongSk = await cli(["groups", "list", ...REGION], { env: userEnv({ HUAWEICLOUD_SDK_SK: CANARY_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN: CANARY_TOKEN }) });
  assert.equal(wrongSk.code, 1);
  assert.match(wrongSk.stderr, /the API answered 401: APIGW\.0301/);
  const wrongToken = await cli(["apply", ...REGION, "--all", "--yes", "--token", CANARY_TOKEN]);
  assert.equal(wrongToken.code, 1);
  const noAk = await cli(["groups", "list", ...REGION, "--sk", CANARY_SK], { env: userEnv({ HUAWEICLOUD_SDK_AK: "" }) });
  assert.equal(noAk.code, 2);

  for (const text of outputs) {
    for (const secret of [SK, TOKEN, CANARY_SK, CANARY_TOKEN]) assert.ok(!text.includes(secret), `${secret} printed:\n${text.slice(0, 500)}`);
  }
  for (const name of ["run-b.json", "run-d.json", "run-b.csv"]) {
    const saved = readFileSync(file(name), "utf8");
    for (const secret of [SK, TOKEN]) assert.ok(!saved.includes(secret), `${secret} in ${name}`);
  }
});

test("progress on a terminal: one status line rewritten in place, events as lines above it", async () => {
  const { progress } = await import(path.join(root, "pkg/bin/output.mjs"));
  let written = "";
  const tty = { isTTY: true, write: (s) => (written += s) };
  const plan = { summary: { waves: 2, batches: 2 }, waves: [{ index: 0, batches: [["a", "b"]] }, { index: 1, batches: [["c"]] }] };
  const show = progress(tty, plan);
  show.event({ type: "wave_started", wave: 0, servers: 2 });
  show.event({ type: "batch_submitted", wave: 0, job_id: "j1", server_ids: ["a", "b"], attempt: 1 });
  show.event({ type: "server_done", server_id: "a", outcome: "succeeded" });
  show.event({ type: "server_done", server_id: "b", outcome: "failed", reason: "sub_job_failed" });
  show.end();
  assert.match(written, /\r\x1b\[Kwave 0 started: 2 servers\n/);
  assert.match(written, /\r\x1b\[Kwave 0\/2 · batches sent 1\/2 · servers done 1\/3 · failed 0 · unknown 0$/m);
  assert.match(written, /server b failed \(sub_job_failed\)\nwave 0\/2 · batches sent 1\/2 · servers done 1\/3 · failed 1 · unknown 0\n$/);
  assert.ok(!/server a /.test(written), "successes only move the status line");
});
