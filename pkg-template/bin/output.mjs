// How the CLI prints: tables, the plan, progress (live on a terminal, plain lines when piped),
// the summary and errors. Every API string is printed as data, never as a terminal escape.

/** Control characters (ANSI escapes included) shown as `?`, so a server name cannot drive the terminal. */
export const text = (value) => String(value ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");

export function table(out, headers, rows) {
  const cells = rows.map((row) => row.map(text));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  out.write(`${line(headers)}\n`);
  for (const row of cells) out.write(`${line(row)}\n`);
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export const json = (out, value) => out.write(`${JSON.stringify(value, null, 2)}\n`);

/** The plan as the user reviews it before anything is sent. */
export function printPlan(out, plan) {
  const s = plan.summary;
  out.write(`Plan: ${s.planned} of ${s.selected} servers in ${s.waves} waves, ${s.batches} batches; ${s.skipped} skipped.\n`);
  const o = plan.options;
  const limit = (l) => (l === undefined ? "none" : "count" in l ? `${l.count}` : `${l.percent}%`);
  out.write(
    `Options: batch size ${o.batch_size}, ${o.concurrency} batches per wave, at most ${limit(o.max_unavailable)} per group down, ` +
      `drain ${o.drain ? `on (timeout ${o.drain_timeout_ms} ms)` : "off"}, include busy ${o.include_busy ? "yes" : "no"}, ` +
      `${o.halt_after_failures === undefined ? "no halt" : `halt after ${limit(o.halt_after_failures)} failures`}.\n`,
  );
  for (const [group, enable] of Object.entries(plan.enable_by_group)) {
    out.write(`Group ${text(group)}: enable=${enable}, at most ${plan.max_unavailable_by_group[group]} servers down at once.\n`);
  }
  for (const wave of plan.waves) {
    const servers = wave.batches.reduce((n, b) => n + b.length, 0);
    const sizes = wave.batches.length > 1 ? ` (${wave.batches.map((b) => b.length).join(" + ")})` : "";
    out.write(`  wave ${wave.index}: ${plural(servers, "server", "servers")} in ${plural(wave.batches.length, "batch", "batches")}${sizes}\n`);
  }
  if (s.with_sessions > 0) {
    out.write(`Sessions cut: ${s.sessions} sessions on ${s.with_sessions} servers will be disconnected${o.drain ? " (after draining, if they remain)" : ""}.\n`);
  } else {
    out.write("Sessions cut: none (no planned server has a session).\n");
  }
  if (plan.skipped.length > 0) {
    out.write("Skipped:\n");
    for (const k of plan.skipped) out.write(`  ${text(k.id)}  ${text(k.name ?? "")}  ${k.reason}: ${text(k.detail)}\n`);
  }
  for (const w of plan.warnings) out.write(`Warning (${w.code}): ${text(w.message)}\n`);
}

/**
 * Follows a run's events. On a terminal: one status line rewritten in place, with waves and
 * failures as lines above it. Piped: one timestamped line per event worth logging.
 */
export function progress(out, plan, report) {
  const live = Boolean(out.isTTY);
  const planned = new Set(plan.waves.flatMap((w) => w.batches.flat()));
  const state = { wave: 0, batchesSent: 0, done: 0, failed: 0, unknown: 0 };
  // A resumed run counts what its report already holds.
  for (const s of report?.servers ?? []) {
    if (!planned.has(s.id)) continue;
    if (s.outcome === "succeeded") state.done++;
    else if (s.outcome === "failed") state.failed++;
    else if (s.outcome === "unknown") state.unknown++;
  }
  let statusShown = false;
  const status = () =>
    `wave ${state.wave}/${plan.summary.waves} · batches sent ${state.batchesSent}/${plan.summary.batches} · ` +
    `servers done ${state.done}/${planned.size} · failed ${state.failed} · unknown ${state.unknown}`;
  const say = (line) => {
    if (live) {
      out.write(`\r\x1b[K${line}\n${status()}`);
      statusShown = true;
    } else {
      out.write(`${new Date().toISOString()} ${line}\n`);
    }
  };
  const redraw = () => {
    if (live) {
      out.write(`\r\x1b[K${status()}`);
      statusShown = true;
    }
  };
  return {
    say,
    event(e) {
      switch (e.type) {
        case "wave_started":
          state.wave = e.wave;
          say(`wave ${e.wave} started: ${e.servers} servers`);
          break;
        case "drain_started":
          say(`wave ${e.wave}: draining ${e.servers} servers (maintenance mode)`);
          break;
        case "drain_done":
          say(`wave ${e.wave}: drained after ${e.waited_ms} ms, ${e.sessions_left} sessions left${e.deadline_passed ? " (deadline passed)" : ""}`);
          break;
        case "batch_submitted":
          state.batchesSent++;
          say(`wave ${e.wave}: batch of ${e.server_ids.length} sent, job ${text(e.job_id)}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`);
          break;
        case "batch_failed":
          say(`wave ${e.wave}: batch of ${e.server_ids.length} failed (${e.class}): ${e.status ?? ""} ${text(e.error_code)} ${text(e.message)}`.replace(/  +/g, " "));
          break;
        case "server_done":
          if (!planned.has(e.server_id)) break;
          if (e.outcome === "succeeded") state.done++;
          else if (e.outcome === "failed") state.failed++;
          else if (e.outcome === "unknown") state.unknown++;
          if (e.outcome === "succeeded" && live) redraw();
          else say(`server ${text(e.server_id)} ${e.outcome}${e.reason ? ` (${e.reason})` : ""}`);
          break;
        case "wave_done":
          say(`wave ${e.wave} done: ${e.succeeded} succeeded, ${e.failed} failed, ${e.unknown} unknown`);
          break;
        case "changed":
          say(`server ${text(e.server_id)} changed since the plan: ${text(e.detail)}${e.skipped ? " (skipped)" : ""}`);
          break;
        case "halted":
          say(`halted: ${text(e.reason)}`);
          break;
        case "aborted":
          say("aborted: no new batch will be sent");
          break;
        case "hook_failed":
          if (!state[e.hook]) say(`${e.hook} failed: ${text(e.message)}`);
          state[e.hook] = true; // told once: the engine repeats it for every save
          break;
        default:
          break;
      }
    },
    end() {
      if (live && statusShown) out.write("\n");
    },
  };
}

/** The end of a run: counts, notes, where the report and the CSV are. */
export function printSummary(out, report, reportPath, csvPath) {
  const c = report.counts;
  out.write(
    `Run ${report.status}: ${c.succeeded} succeeded, ${c.failed} failed, ${c.unknown} unknown, ${c.skipped} skipped` +
      `${c.pending + c.in_progress > 0 ? `, ${c.pending} pending, ${c.in_progress} in progress` : ""}.\n`,
  );
  if (report.halt_reason) out.write(`Halted: ${text(report.halt_reason)}\n`);
  for (const note of report.notes) out.write(`Note: ${text(note)}\n`);
  const bad = report.servers.filter((s) => s.outcome === "failed" || s.outcome === "unknown");
  for (const s of bad) {
    out.write(`  ${s.outcome} ${text(s.id)} ${text(s.name ?? "")} ${text(s.reason ?? "")} ${text(s.error_code ?? "")} ${text(s.error_msg ?? "")}`.trimEnd() + "\n");
  }
  out.write(`Report: ${reportPath}\nCSV: ${csvPath}\n`);
}

/** An error thrown by the module, with the fields of its kind (the module's errors hold no secret). */
export function printError(err, e) {
  if (e?.name === "ValidationError" && Array.isArray(e.errors)) {
    err.write(`error: ${text(e.message)}\n`);
    for (const i of e.errors) err.write(`  ${text(i.path || "/")}: ${text(i.code)}: ${text(i.message)}\n`);
  } else if (e?.name === "ApiError") {
    err.write(`error: the API answered ${e.status}: ${text(e.error_code)}: ${text(e.error_msg)}${e.request_id ? ` (request id ${text(e.request_id)})` : ""}\n`);
  } else {
    err.write(`error: ${text(e?.name ?? "Error")}: ${text(e?.message ?? e)}\n`);
  }
}
