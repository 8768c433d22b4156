// The commands. Each is thin: it reads files and flags, calls the module, and prints. Planning,
// validation, option ranges, skip reasons and run safety are the module's.
import { readFileSync, writeFileSync, renameSync, existsSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { Client, validateBatchRequest, reportToCsv } from "../node/index.mjs";
import { clientConfig, numeric } from "./config.mjs";
import { table, json, printPlan, progress, printSummary, text } from "./output.mjs";

/** A mistake in how the CLI was called (exit code 2). */
export class UsageError extends Error {}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 3 };

function connect(ctx, values) {
  const config = clientConfig(values, ctx.env, (m) => ctx.err.write(`warning: ${m}\n`));
  return new Client(config); // throws the module's ValidationError, listing every problem
}

function readJson(file, what) {
  let body;
  try {
    body = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${e.code ?? e.message}`);
  }
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${e.message}`);
  }
}

/** Written whole or not at all, so an interrupted write never leaves half a report. */
function writeAtomically(file, data) {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

// ---- servers list, groups list ----

export async function serversList(ctx, values) {
  const client = connect(ctx, values);
  const query = {};
  if (values.group !== undefined) query.server_group_id = values.group;
  if (values.name !== undefined) query.server_name = values.name;
  if (values.maintain !== undefined) query.maintain_status = values.maintain;
  let { items } = await client.listAllServers(query);
  // ListServers has no status filter: --status matches vm_status or status, in any case.
  if (values.status !== undefined) {
    const want = values.status.toUpperCase();
    items = items.filter((s) => String(s.vm_status ?? "").toUpperCase() === want || String(s.status ?? "").toUpperCase() === want);
  }
  if (values.json) return json(ctx.out, items), EXIT.ok;
  table(
    ctx.out,
    ["ID", "NAME", "GROUP", "VM_STATUS", "STATUS", "TASK", "MAINT", "SESSIONS", "JOB"],
    items.map((s) => [s.id, s.name, s.server_group_name ?? s.server_group_id, s.vm_status, s.status, s.task_status, s.maintain_status ? "yes" : "no", s.session_count ?? "", s.job_status ?? ""]),
  );
  ctx.err.write(`${items.length} servers\n`);
  return EXIT.ok;
}

export async function groupsList(ctx, values) {
  const client = connect(ctx, values);
  const groups = [];
  for (let offset = 0; ; offset += 100) {
    const page = await client.listServerGroups({ offset, limit: 100 });
    groups.push(...page.items);
    if (page.items.length === 0 || groups.length >= page.count) break;
  }
  // ip_virtual comes only from ShowServerGroup.
  const shown = await Promise.all(groups.map((g) => client.showServerGroup(g.id)));
  if (values.json) return json(ctx.out, shown), EXIT.ok;
  table(
    ctx.out,
    ["ID", "NAME", "OS", "SERVERS", "IP_VIRTUAL"],
    shown.map((g) => [g.id, g.name, g.os_type, g.app_server_count ?? "", g.ip_virtual === undefined ? "?" : g.ip_virtual.enable ? "enabled" : "disabled"]),
  );
  return EXIT.ok;
}

// ---- plan ----

/** Parses --drain-timeout: 90 (seconds), 90s, 10m, 1h or 500ms; anything else goes to the module as given. */
function durationMs(value) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (!m) return value;
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]);
}

/** The flags that choose the servers or shape a plan (an apply of a saved plan takes none). */
const SELECTION_FLAGS = ["group", "ids-file", "all", "max-unavailable", "batch-size", "concurrency", "drain", "drain-timeout", "include-busy", "include-maintained", "halt-after"];

export function rolloutOptions(values) {
  const options = {};
  if (values["max-unavailable"] !== undefined) options.maxUnavailable = numeric(values["max-unavailable"]);
  if (values["batch-size"] !== undefined) options.batchSize = numeric(values["batch-size"]);
  if (values.concurrency !== undefined) options.concurrency = numeric(values.concurrency);
  if (values.drain) options.drain = true;
  if (values["drain-timeout"] !== undefined) options.drainTimeoutMs = durationMs(values["drain-timeout"]);
  if (values["include-busy"]) options.includeBusy = true;
  if (values["include-maintained"]) options.includeMaintained = true;
  if (values["halt-after"] !== undefined) options.haltAfterFailures = numeric(values["halt-after"]);
  return options;
}

/** The saved plan's options (as the engine read them) as planRollout takes them. */
function optionsOfPlan(o) {
  const limit = (l) => ("count" in l ? l.count : `${l.percent}%`);
  const options = {
    batchSize: o.batch_size,
    concurrency: o.concurrency,
    maxUnavailable: limit(o.max_unavailable),
    includeBusy: o.include_busy,
    includeMaintained: o.include_maintained,
    drain: o.drain,
    drainTimeoutMs: o.drain_timeout_ms,
  };
  if (o.halt_after_failures !== undefined) options.haltAfterFailures = limit(o.halt_after_failures);
  if (o.enable !== undefined) options.enable = o.enable;
  return options;
}

function readIds(file) {
  let body;
  try {
    body = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read --ids-file ${file}: ${e.code ?? e.message}`);
  }
  if (/^\s*[[{]/.test(body)) {
    let value;
    try {
      value = JSON.parse(body);
    } catch (e) {
      throw new UsageError(`${file} is not JSON: ${e.message}`);
    }
    // A JSON list of ids, of servers ({ id }), or a listing ({ items: [...] }).
    const list = Array.isArray(value) ? value : value?.items;
    if (!Array.isArray(list)) throw new UsageError(`${file}: expected a JSON array of ids or servers`);
    return list.map((x) => (typeof x === "object" && x !== null ? x.id : x)).map(String);
  }
  return body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

/** The servers the user selected, in the order they gave them, as ListServers returns them. */
async function selectServers(client, values) {
  const groups = values.group ?? [];
  if (groups.length === 0 && values["ids-file"] === undefined && !values.all) {
    throw new UsageError("choose the servers: --group ID (repeatable), --ids-file FILE, or --all");
  }
  const listed = [];
  if (groups.length === 0) listed.push(...(await client.listAllServers({})).items);
  for (const group of groups) listed.push(...(await client.listAllServers({ server_group_id: group })).items);
  if (values["ids-file"] === undefined) return listed;
  const byId = new Map(listed.map((s) => [s.id, s]));
  const ids = readIds(values["ids-file"]);
  const missing = [...new Set(ids.filter((id) => !byId.has(id)))];
  if (missing.length > 0) {
    throw new UsageError(
      `${missing.length} id(s) in ${values["ids-file"]} are not servers of this project${groups.length ? " in the given groups" : ""}: ${missing.slice(0, 10).map(text).join(", ")}${missing.length > 10 ? ", …" : ""}`,
    );
  }
  return ids.map((id) => byId.get(id)); // repeated ids stay, so the plan reports them as duplicates
}

export async function plan(ctx, values) {
  const client = connect(ctx, values);
  const servers = await selectServers(client, values);
  const made = await client.planRollout(servers, rolloutOptions(values));
  if (values.json) json(ctx.out, made);
  else printPlan(ctx.out, made);
  if (values.out !== undefined) {
    writeAtomically(values.out, `${JSON.stringify(made, null, 2)}\n`);
    ctx.err.write(`plan saved to ${values.out}\n`);
  }
  return EXIT.ok;
}

// ---- apply, resume ----

/**
 * What differs between a saved plan and the same servers planned again now (the module's
 * planner decides both): servers planned or skipped differently, a group's enable or limit.
 */
export function planChanges(saved, fresh) {
  const changes = [];
  const planned = (p) => new Set(p.waves.flatMap((w) => w.batches.flat()));
  const skipped = (p) => new Map(p.skipped.map((k) => [k.id, k]));
  const [was, now] = [planned(saved), planned(fresh)];
  const nowSkipped = skipped(fresh);
  for (const id of was) if (!now.has(id)) changes.push(`${text(id)}: now skipped (${nowSkipped.get(id)?.reason ?? "gone"}: ${text(nowSkipped.get(id)?.detail ?? "not listed any more")})`);
  for (const id of now) if (!was.has(id)) changes.push(`${text(id)}: now planned (it was skipped)`);
  const wasSkipped = skipped(saved);
  for (const [id, k] of nowSkipped) {
    const before = wasSkipped.get(id);
    if (before && before.reason !== k.reason) changes.push(`${text(id)}: skipped for ${k.reason}, was ${before.reason}`);
  }
  for (const [field, what] of [["enable_by_group", "enable"], ["max_unavailable_by_group", "servers down at once"]]) {
    const groups = new Set([...Object.keys(saved[field]), ...Object.keys(fresh[field])]);
    for (const g of groups) {
      if (saved[field][g] !== fresh[field][g]) changes.push(`group ${text(g)}: ${what} ${saved[field][g]} -> ${fresh[field][g]}`);
    }
  }
  return changes;
}

async function planFromFile(ctx, client, values) {
  const saved = readJson(values.plan, "plan");
  if (!Array.isArray(saved?.waves) || !Array.isArray(saved?.snapshot) || typeof saved?.options !== "object") {
    throw new UsageError(`${values.plan} is not a plan saved by \`plan --out\``);
  }
  // Planned again now, from the same servers and options, by the same planner.
  const ids = saved.snapshot.map((s) => s.id);
  const byId = new Map((await client.listAllServers({})).items.map((s) => [s.id, s]));
  const current = ids.filter((id) => byId.has(id)).map((id) => byId.get(id));
  const fresh = await client.planRollout(current, optionsOfPlan(saved.options));
  const changes = planChanges(saved, fresh);
  if (changes.length === 0) return saved;
  const lines = changes.slice(0, 20).map((c) => `  ${c}\n`).join("") + (changes.length > 20 ? `  … and ${changes.length - 20} more\n` : "");
  if (!values.replan) {
    throw new UsageError(`the servers changed since ${values.plan} was made:\n${lines}run \`plan\` again, or pass --replan to apply the plan as made now`);
  }
  ctx.err.write(`the servers changed since ${values.plan} was made; planned again (--replan):\n${lines}`);
  return fresh;
}

async function confirm(ctx, values, question) {
  if (values.yes) return true;
  if (!ctx.stdin.isTTY) {
    throw new UsageError("stdin is not a terminal, so nothing can be confirmed: pass --yes to run without asking");
  }
  const rl = createInterface({ input: ctx.stdin, output: ctx.err });
  try {
    return (await rl.question(`${question} Type "yes" to go on: `)).trim().toLowerCase() === "yes";
  } finally {
    rl.close();
  }
}

const defaultReportPath = () => `tsvi-report-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;

/** Runs or resumes, saving the report after every change; Ctrl-C stops new batches. */
async function follow(ctx, values, plan, reportPath, start, previous) {
  const controller = new AbortController();
  const show = progress(ctx.out, plan, previous);
  let interrupts = 0;
  let firstAt = 0;
  const onInterrupt = () => {
    // npx forwards the terminal's Ctrl-C to the CLI, which also gets it from the terminal: a
    // second signal within a second is the same Ctrl-C.
    if (interrupts === 1 && Date.now() - firstAt < 1000) return;
    interrupts++;
    if (interrupts === 1) {
      firstAt = Date.now();
      controller.abort();
      show.say(`interrupted: no new batch will be sent; following what was sent (Ctrl-C again to exit now, then \`resume --report ${reportPath}\`)`);
    } else {
      show.end();
      ctx.err.write(`exiting now; the report saved before every call is ${reportPath}: \`resume --report ${reportPath}\` follows what was sent\n`);
      ctx.exit(EXIT.interrupted);
    }
  };
  ctx.onInterrupt(onInterrupt);
  let saveError;
  let report;
  try {
    report = await start({
      signal: controller.signal,
      onEvent: (e) => show.event(e),
      onReport: (r) => {
        try {
          writeAtomically(reportPath, `${JSON.stringify(r, null, 2)}\n`);
        } catch (e) {
          // Without a saved report the run could not be resumed: no new batch is sent.
          if (!saveError) show.say(`cannot save the report (${e.code ?? e.message}): no new batch will be sent`);
          saveError = e;
          controller.abort();
          throw e; // the engine notes it (hook_failed) and follows what was sent
        }
      },
    });
  } finally {
    ctx.onInterrupt(null);
    show.end();
  }
  const csvPath = reportPath.replace(/\.json$/i, "") + ".csv";
  try {
    writeAtomically(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    writeAtomically(csvPath, reportToCsv(report));
  } catch (e) {
    saveError = e;
  }
  printSummary(ctx.out, report, reportPath, csvPath);
  if (saveError) ctx.err.write(`error: the report could not be saved (${saveError.code ?? saveError.message}): ${reportPath} is missing or behind the run\n`);
  if (report.status === "aborted") {
    ctx.err.write(`interrupted: \`resume --report ${reportPath}\` finishes the run\n`);
    return EXIT.interrupted;
  }
  const planned = plan.waves.flatMap((w) => w.batches.flat());
  const outcome = new Map(report.servers.map((s) => [s.id, s.outcome]));
  return planned.every((id) => outcome.get(id) === "succeeded") ? EXIT.ok : EXIT.failed;
}

function runOptions(values) {
  const options = {};
  if (values["poll-interval-ms"] !== undefined) options.pollIntervalMs = numeric(values["poll-interval-ms"]);
  if (values["job-timeout-ms"] !== undefined) options.jobTimeoutMs = numeric(values["job-timeout-ms"]);
  return options;
}

export async function apply(ctx, values) {
  const client = connect(ctx, values);
  let made;
  const planFlags = Object.keys(values).filter((k) => SELECTION_FLAGS.includes(k));
  if (values.plan !== undefined && planFlags.length > 0) {
    throw new UsageError(`--plan runs the saved plan as it is: --${planFlags.join(", --")} cannot change it (plan again instead)`);
  }
  if (values.plan !== undefined) {
    made = await planFromFile(ctx, client, values);
  } else {
    made = await client.planRollout(await selectServers(client, values), rolloutOptions(values));
  }
  printPlan(ctx.out, made);
  if (made.summary.planned === 0) {
    ctx.out.write("Nothing to update.\n");
    return EXIT.ok;
  }
  const reportPath = values.report ?? defaultReportPath();
  if (existsSync(reportPath)) throw new UsageError(`${reportPath} exists: choose another --report, or \`resume --report ${reportPath}\``);
  const question = `This reboots ${made.summary.planned} servers and disconnects ${made.summary.sessions} sessions.`;
  if (!(await confirm(ctx, values, question))) {
    ctx.err.write("not confirmed: nothing was sent\n");
    return EXIT.failed;
  }
  ctx.out.write(`Report: ${reportPath} (saved after every change)\n`);
  return follow(ctx, values, made, reportPath, (o) => client.runRollout(made, { ...runOptions(values), ...o }));
}

export async function resume(ctx, values) {
  if (values.report === undefined) throw new UsageError("resume needs --report FILE (the report an apply wrote)");
  const report = readJson(values.report, "report");
  if (typeof report?.plan !== "object" || !Array.isArray(report?.servers)) {
    throw new UsageError(`${values.report} is not a report written by \`apply\``);
  }
  const client = connect(ctx, values);
  const c = report.counts ?? {};
  ctx.out.write(
    `Report ${values.report}: run ${text(report.status)}; ${c.succeeded ?? 0} succeeded, ${c.failed ?? 0} failed, ${c.unknown ?? 0} unknown, ` +
      `${c.skipped ?? 0} skipped, ${c.pending ?? 0} pending, ${c.in_progress ?? 0} in progress.\n`,
  );
  const question = "Resuming follows the jobs already sent and sends the servers never sent (skipped as aborted or halted included).";
  if (!(await confirm(ctx, values, question))) {
    ctx.err.write("not confirmed: nothing was sent\n");
    return EXIT.failed;
  }
  return follow(ctx, values, report.plan, values.report, (o) => client.resumeRollout(report, { ...runOptions(values), ...o }), report);
}

// ---- job show, job wait ----

async function jobWithSubJobs(client, id) {
  const job = await client.showJob(id);
  const subJobs = [];
  for (let offset = 0; ; offset += 100) {
    const query = { job_id: id, offset, limit: 100 };
    if (job.job_type) query.job_type = job.job_type;
    const page = await client.listSubJobs(query);
    subJobs.push(...page.items);
    if (page.items.length === 0 || subJobs.length >= page.count) break;
  }
  return { job, sub_jobs: subJobs };
}

function printJob(ctx, values, { job, sub_jobs }) {
  if (values.json) return json(ctx.out, { ...job, sub_jobs });
  ctx.out.write(`Job ${text(job.id)}: ${text(job.job_type)} ${text(job.status)}, begun ${text(job.begin_time ?? "-")}, ended ${text(job.end_time ?? "-")}\n`);
  table(
    ctx.out,
    ["SUB_JOB", "SERVER", "NAME", "STATUS", "ERROR"],
    sub_jobs.map((s) => [s.id, s.job_resource_info?.resource_id, s.job_resource_info?.resource_name, s.status, [s.error_code, s.error_message].filter(Boolean).join(" ")]),
  );
}

export async function jobShow(ctx, values, [id]) {
  if (id === undefined) throw new UsageError("job show needs a job id");
  printJob(ctx, values, await jobWithSubJobs(connect(ctx, values), id));
  return EXIT.ok;
}

export async function jobWait(ctx, values, [id]) {
  if (id === undefined) throw new UsageError("job wait needs a job id");
  const client = connect(ctx, values);
  const interval = Number(values.interval ?? 2000);
  const timeout = Number(values["wait-timeout"] ?? 3_600_000);
  if (!(interval >= 10 && timeout >= 0)) throw new UsageError("--interval must be at least 10 ms and --wait-timeout a number of ms");
  const deadline = Date.now() + timeout;
  for (;;) {
    const job = await client.showJob(id);
    if (job.status === "SUCCESS" || job.status === "FAILED") break;
    if (Date.now() >= deadline) {
      ctx.err.write(`job ${text(id)} is still ${text(job.status)} after ${timeout} ms\n`);
      printJob(ctx, values, await jobWithSubJobs(client, id));
      return EXIT.failed;
    }
    if (!values.json) ctx.err.write(`job ${text(id)}: ${text(job.status)}\n`);
    await new Promise((r) => setTimeout(r, interval));
  }
  const shown = await jobWithSubJobs(client, id);
  printJob(ctx, values, shown);
  return shown.job.status === "SUCCESS" ? EXIT.ok : EXIT.failed;
}

// ---- validate ----

export async function validate(ctx, values, [file]) {
  if (file === undefined) throw new UsageError("validate needs a FILE (a batch-update-tsvi body)");
  const result = validateBatchRequest(readJson(file, "body"));
  if (values.json) json(ctx.out, result);
  else if (result.ok) ctx.out.write(`${file}: valid\n`);
  else {
    ctx.out.write(`${file}: ${result.errors.length} problem(s)\n`);
    for (const i of result.errors) ctx.out.write(`  ${text(i.path || "/")}: ${text(i.code)}: ${text(i.message)}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.usage;
}
