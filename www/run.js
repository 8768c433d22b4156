// Steps 5 and 6: running the plan (runRollout / resumeRollout) with live progress per wave,
// batch and server, Cancel through an AbortSignal, the report saved for resuming; then the
// results with CSV and JSON exports and "retry the failed ones".
import { h, $, clear, icon, fmt, plural, pill, progressBar, frameThrottle, download, time, duration } from "./dom.js";
import { errorBox } from "./errors.js";
import { VirtualTable } from "./table.js";
import { OUTCOME, reasonText, maintenanceText } from "./rules.js";
import { saveReport } from "./store.js";

const FINAL = new Set(["succeeded", "failed", "skipped", "unknown"]);
const OUTCOME_ORDER = { failed: 0, unknown: 1, skipped: 2, in_progress: 3, pending: 4, succeeded: 5 };

export function initRun(app) {
  let run = null; // the run on screen
  let saveWarned = false;

  // ------------------------------------------------------------------ model
  function model(report) {
    const plan = report.plan;
    const servers = new Map();
    for (const s of report.servers) servers.set(s.id, { ...s });
    const waves = plan.waves.map((w) => ({
      index: w.index,
      state: "waiting",
      drain: null,
      batches: w.batches.map((ids, i) => ({ index: i, ids, jobIds: [], errors: [] })),
    }));
    const batchOf = new Map();
    for (const w of waves) for (const b of w.batches) for (const id of b.ids) batchOf.set(id, b);
    for (const s of servers.values()) {
      if (s.job_id && batchOf.has(s.id)) {
        const b = batchOf.get(s.id);
        if (!b.jobIds.includes(s.job_id)) b.jobIds.push(s.job_id);
      }
    }
    return { report, plan, servers, waves, batchOf, log: [], controller: new AbortController(), active: true, cancelled: false, currentWave: null, done: false, startedAt: Date.now() };
  }

  function planned(r) {
    return [...r.servers.values()].filter((s) => r.batchOf.has(s.id));
  }

  function mergeReport(r, report) {
    r.report = report;
    for (const s of report.servers) {
      const mine = r.servers.get(s.id);
      Object.assign(mine ?? {}, s);
      if (!mine) r.servers.set(s.id, { ...s });
      const b = r.batchOf.get(s.id);
      if (b && s.job_id && !b.jobIds.includes(s.job_id)) b.jobIds.push(s.job_id);
    }
  }

  function log(r, text, tone = "info", extra = null) {
    r.log.unshift({ at: Date.now(), text, tone, extra });
    if (r.log.length > 300) r.log.length = 300;
  }

  function onEvent(r, e) {
    const name = (id) => r.servers.get(id)?.name ?? id;
    switch (e.type) {
      case "plan":
        log(r, `Plan: ${plural(e.planned, "server")} in ${plural(e.waves, "wave")} and ${plural(e.batches, "batch", "batches")}; ${fmt(e.skipped)} skipped.`);
        break;
      case "changed": {
        log(r, `${name(e.server_id)} ${e.detail}${e.skipped ? " (skipped)" : ""}`, e.skipped ? "warn" : "info");
        break;
      }
      case "wave_started": {
        const w = r.waves[e.wave];
        if (w) w.state = "running";
        r.currentWave = e.wave;
        log(r, `Wave ${e.wave + 1} started: ${plural(e.servers, "server")}.`);
        break;
      }
      case "drain_started": {
        const w = r.waves[e.wave];
        if (w) w.drain = "Draining: maintenance mode, waiting for sessions to end…";
        log(r, `Wave ${e.wave + 1}: draining ${plural(e.servers, "server")} (maintenance mode).`);
        break;
      }
      case "drain_done": {
        const w = r.waves[e.wave];
        const text = e.deadline_passed ? `Drain deadline passed after ${duration(e.waited_ms)}: ${plural(e.sessions_left, "session")} left.` : `Drained in ${duration(e.waited_ms)}.`;
        if (w) w.drain = text;
        log(r, `Wave ${e.wave + 1}: ${text}`, e.deadline_passed ? "warn" : "info");
        break;
      }
      case "batch_submitted": {
        const b = r.batchOf.get(e.server_ids[0]);
        if (b && !b.jobIds.includes(e.job_id)) b.jobIds.push(e.job_id);
        for (const id of e.server_ids) {
          const s = r.servers.get(id);
          if (s) Object.assign(s, { outcome: "in_progress", job_id: e.job_id });
        }
        log(r, `Wave ${e.wave + 1}, batch ${b ? b.index + 1 : "?"}: sent ${plural(e.server_ids.length, "server")}, job ${e.job_id}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}.`, "ok");
        break;
      }
      case "batch_failed": {
        const b = r.batchOf.get(e.server_ids[0]);
        b?.errors.push(e);
        const what = e.class === "safe_to_resend" ? "will be resent" : e.class === "ambiguous" ? "checking whether it was applied" : "refused";
        log(r, `Wave ${e.wave + 1}, batch ${b ? b.index + 1 : "?"}, attempt ${e.attempt}: ${e.status ? `HTTP ${e.status} ` : ""}${e.error_code}: ${e.message} (${what})${e.request_id ? `, request id ${e.request_id}` : ""}.`, "bad", e);
        break;
      }
      case "server_progress": {
        const s = r.servers.get(e.server_id);
        if (s) Object.assign(s, { sub_job_status: e.status, job_id: e.job_id, outcome: FINAL.has(s.outcome) ? s.outcome : "in_progress" });
        break;
      }
      case "server_done": {
        const s = r.servers.get(e.server_id);
        if (s) Object.assign(s, { outcome: e.outcome, reason: e.reason ?? s.reason });
        if (e.outcome === "failed" || e.outcome === "unknown") log(r, `${name(e.server_id)}: ${OUTCOME[e.outcome].label.toLowerCase()} (${reasonText(e.reason)}).`, e.outcome === "failed" ? "bad" : "warn");
        break;
      }
      case "wave_done": {
        const w = r.waves[e.wave];
        if (w) w.state = "done";
        log(r, `Wave ${e.wave + 1} done: ${fmt(e.succeeded)} succeeded, ${fmt(e.failed)} failed, ${fmt(e.unknown)} unknown.`, e.failed || e.unknown ? "warn" : "ok");
        break;
      }
      case "halted":
        log(r, `Halted: ${e.reason}`, "bad");
        break;
      case "aborted":
        log(r, "Cancelled: no new batch will be sent.", "warn");
        break;
      case "run_done":
        log(r, `Finished (${e.status}): ${fmt(e.succeeded)} succeeded, ${fmt(e.failed)} failed, ${fmt(e.skipped)} skipped, ${fmt(e.unknown)} unknown.`, e.failed || e.unknown ? "warn" : "ok");
        break;
      default:
        log(r, `${e.type}`);
    }
    render();
  }

  function onReport(r, report) {
    mergeReport(r, report);
    const error = saveReport(report, app.connection);
    if (error && !saveWarned) {
      saveWarned = true;
      app.toast(`The report could not be saved in this browser (${error.name}: ${error.message}). A reload would not be able to resume this run: keep this tab open until it ends.`, "bad");
    }
    render();
  }

  // ------------------------------------------------------------------ view
  const host = $("#run-host");
  const progress = progressBar("run-progress", "");
  const counters = h("div", { class: "counters", id: "run-counters" });
  const statusLine = h("p", { class: "run-status", role: "status", "aria-live": "polite" });
  const wavesHost = h("ol", { class: "run-waves", id: "run-waves" });
  const logList = h("ol", { class: "log", id: "run-log" });
  const serversTable = new VirtualTable({
    caption: "Servers in this rollout",
    label: "Servers in this rollout",
    rowKey: (s) => s.id,
    rowHeight: 40,
    minWidth: "1050px",
    columns: [
      { key: "name", label: "Server", value: (s) => s.name ?? s.id },
      { key: "group", label: "Group", width: "160px", value: (s) => app.groupName(s.server_group_id) },
      { key: "wave", label: "Wave", width: "72px", className: "num", value: (s) => (s.wave ?? -1) + 1, render: (s) => (s.wave === undefined || s.wave === null ? "–" : String(s.wave + 1)) },
      { key: "job", label: "Job ID", width: "190px", value: (s) => s.job_id, render: (s) => (s.job_id ? h("code", {}, s.job_id) : h("span", { class: "muted" }, "–")) },
      { key: "outcome", label: "Status", width: "120px", value: (s) => s.outcome, render: (s) => outcomePill(s) },
      { key: "sub", label: "Job step", width: "110px", value: (s) => s.sub_job_status },
      { key: "maint", label: "Maintenance", width: "150px", className: "wrap", value: (s) => maintenanceText(s).text, render: (s) => maintenanceCell(s) },
      { key: "detail", label: "Detail", className: "wrap", value: (s) => detailOf(s), render: (s) => h("span", { title: detailOf(s) }, detailOf(s)) },
    ],
    sort: { key: "wave", dir: "asc" },
    rowClass: (s) => `outcome-${s.outcome}`,
  });
  serversTable.element.classList.add("vt-short");

  host.append(
    h("div", { class: "card run-overview" }, statusLine, progress.element, counters),
    h("div", { class: "run-grid" },
      h("div", { class: "card" }, h("h2", { class: "card-title" }, "Waves and batches"), wavesHost),
      h("div", { class: "card" }, h("h2", { class: "card-title" }, "Activity"), logList)),
    h("div", { class: "card card-flush" }, h("h2", { class: "card-title card-title-pad" }, "Servers"), serversTable.element),
  );

  function outcomePill(s) {
    const o = OUTCOME[s.outcome] ?? { label: s.outcome, tone: "muted" };
    const label = s.outcome === "in_progress" && s.sub_job_status ? `${o.label}` : o.label;
    return pill(label, o.tone);
  }

  function maintenanceCell(s) {
    const { text, tone } = maintenanceText(s);
    return text ? h("span", { class: `maint maint-${tone}`, title: text }, text) : h("span", { class: "muted" }, "–");
  }

  function detailOf(s) {
    const parts = [];
    if (s.reason) parts.push(reasonText(s.reason));
    if (s.error_code || s.error_msg) parts.push([s.error_code, s.error_msg].filter(Boolean).join(": "));
    if (s.request_id) parts.push(`request id ${s.request_id}`);
    if (s.detail) parts.push(s.detail);
    return parts.join(" — ");
  }

  function errorText(s) {
    return [s.error_code && `${s.error_code}: ${s.error_msg ?? ""}`, s.request_id && `request id ${s.request_id}`, s.detail].filter(Boolean).join(" — ");
  }

  function counts(r) {
    const c = { pending: 0, in_progress: 0, succeeded: 0, failed: 0, skipped: 0, unknown: 0 };
    for (const s of r.servers.values()) c[s.outcome] = (c[s.outcome] ?? 0) + 1;
    return c;
  }

  function batchState(r, b) {
    const ss = b.ids.map((id) => r.servers.get(id)).filter(Boolean);
    const done = ss.filter((s) => FINAL.has(s.outcome));
    const failed = ss.filter((s) => s.outcome === "failed" || s.outcome === "unknown").length;
    const skipped = ss.filter((s) => s.outcome === "skipped").length;
    if (done.length === ss.length && ss.length) {
      if (skipped === ss.length) return { label: "Not sent", tone: "warn", done: done.length, total: ss.length };
      return failed ? { label: `${fmt(failed)} failed`, tone: "bad", done: done.length, total: ss.length } : { label: "Succeeded", tone: "ok", done: done.length, total: ss.length };
    }
    if (b.jobIds.length || ss.some((s) => s.outcome === "in_progress")) return { label: "Running", tone: "run", done: done.length, total: ss.length };
    if (b.errors.length) return { label: "Retrying", tone: "warn", done: done.length, total: ss.length };
    return { label: "Waiting", tone: "muted", done: done.length, total: ss.length };
  }

  const waveNodes = new Map();

  function buildWaves(r) {
    wavesHost.replaceChildren();
    waveNodes.clear();
    for (const w of r.waves) {
      const state = h("span", { class: "wave-state" });
      const drain = h("p", { class: "help wave-drain", hidden: true });
      const list = h("ol", { class: "run-batches" });
      const batchNodes = w.batches.map((b) => {
        const status = h("span", { class: "batch-status" });
        const job = h("span", { class: "batch-job" });
        const count = h("span", { class: "batch-count" });
        const err = h("div", { class: "batch-error", hidden: true });
        const li = h("li", { class: "run-batch", "data-batch": String(b.index) }, h("span", { class: "batch-name" }, `Batch ${b.index + 1}`), count, job, status, err);
        list.append(li);
        return { b, status, job, count, err };
      });
      const li = h("li", { class: "run-wave", "data-wave": String(w.index) },
        h("div", { class: "run-wave-head" }, h("span", { class: "wave-title" }, `Wave ${w.index + 1}`), h("span", { class: "muted" }, plural(w.batches.reduce((n, b) => n + b.ids.length, 0), "server")), state),
        drain, list);
      wavesHost.append(li);
      waveNodes.set(w.index, { li, state, drain, batchNodes });
    }
  }

  function renderWaves(r) {
    for (const w of r.waves) {
      const node = waveNodes.get(w.index);
      if (!node) continue;
      const bs = w.batches.map((b) => batchState(r, b));
      const allDone = bs.every((s) => s.done === s.total);
      const waveTone = allDone ? (bs.some((s) => s.tone === "bad") ? "bad" : bs.every((s) => s.label === "Not sent") ? "warn" : "ok") : w.state === "running" || bs.some((s) => s.tone === "run") ? "run" : "muted";
      const waveLabel = allDone ? (waveTone === "ok" ? "Done" : waveTone === "warn" ? "Not sent" : "Done with failures") : waveTone === "run" ? "Running" : "Waiting";
      node.state.replaceChildren(pill(waveLabel, waveTone));
      node.li.dataset.state = waveTone;
      node.drain.hidden = !w.drain;
      node.drain.textContent = w.drain ?? "";
      node.batchNodes.forEach(({ b, status, job, count, err }, i) => {
        const s = bs[i];
        count.textContent = `${fmt(s.done)}/${plural(s.total, "server")}`;
        job.replaceChildren(...(b.jobIds.length ? [h("span", { class: "muted" }, "job "), ...b.jobIds.flatMap((j, k) => [k ? ", " : "", h("code", { class: "job-id" }, j)])] : [h("span", { class: "muted" }, "not sent yet")]));
        status.replaceChildren(pill(s.label, s.tone));
        const last = b.errors.at(-1);
        err.hidden = !last;
        if (last) err.textContent = `Attempt ${last.attempt}: ${last.status ? `HTTP ${last.status}, ` : ""}${last.error_code}: ${last.message}${last.request_id ? ` (request id ${last.request_id})` : ""}`;
      });
    }
  }

  function renderLog(r) {
    const items = r.log.slice(0, 120).map((entry) =>
      h("li", { class: `log-${entry.tone}` }, h("time", {}, new Date(entry.at).toLocaleTimeString("en-GB")), h("span", {}, entry.text)));
    logList.replaceChildren(...items);
  }

  const render = frameThrottle(() => {
    const r = run;
    if (!r) return;
    const c = counts(r);
    const plannedServers = planned(r);
    const total = plannedServers.length;
    const finished = plannedServers.filter((s) => FINAL.has(s.outcome)).length;
    const batchesSent = r.waves.reduce((n, w) => n + w.batches.filter((b) => b.jobIds.length).length, 0);
    const batchesTotal = r.waves.reduce((n, w) => n + w.batches.length, 0);
    progress.set(finished, total, `${fmt(finished)} of ${plural(total, "server")} finished · wave ${fmt((r.currentWave ?? -1) + 1)} of ${fmt(r.waves.length)} · ${fmt(batchesSent)} of ${plural(batchesTotal, "batch", "batches")} sent`);
    progress.setTone(r.done ? (c.failed || c.unknown ? "warn" : "ok") : "run");
    counters.replaceChildren(
      ...[["succeeded", "Succeeded"], ["failed", "Failed"], ["in_progress", "Updating"], ["pending", "Waiting"], ["skipped", "Skipped"], ["unknown", "Unknown"]].map(([k, label]) =>
        h("div", { class: `counter counter-${OUTCOME[k].tone}`, "data-outcome": k }, h("span", { class: "counter-value" }, fmt(c[k] ?? 0)), h("span", { class: "counter-label" }, label))),
    );
    statusLine.replaceChildren(
      r.done
        ? pill(r.report.status === "completed" ? "Finished" : r.report.status === "halted" ? "Halted" : r.report.status === "aborted" ? "Cancelled" : r.report.status, r.report.status === "completed" ? (c.failed || c.unknown ? "warn" : "ok") : "warn")
        : r.cancelled ? pill("Cancelling", "warn") : pill("Running", "run"),
      " ",
      r.done
        ? `The rollout ended. ${fmt(c.succeeded)} succeeded, ${fmt(c.failed)} failed.`
        : r.cancelled
          ? `No new batch will be sent. Following the ${plural(c.in_progress, "server")} already sent to the end…`
          : `Sending and following batches. Status every ${duration(app.pollIntervalMs)}.`,
    );
    renderWaves(r);
    renderLog(r);
    serversTable.refresh();
    if (r.tableDirty) {
      r.tableDirty = false;
      serversTable.setRows([...r.servers.values()]);
    }
    const cancel = $("#cancel-button");
    cancel.hidden = r.done;
    cancel.disabled = r.cancelled || r.done;
    $("#run-to-results").hidden = !r.done;
    $("#run-lead").textContent = r.done ? `Started ${time(r.report.started_at)}, ended ${time(r.report.finished_at)}.` : `Started ${time(r.report.started_at ?? r.startedAt)}. Keep this tab open; if it closes, reopen the page to resume.`;
  });

  function beforeUnload(e) {
    if (run?.active) {
      e.preventDefault();
      e.returnValue = "";
    }
  }

  async function execute(r, starter) {
    run = r;
    app.runActive = true;
    app.lastReport = null;
    saveWarned = false;
    r.tableDirty = true;
    buildWaves(r);
    window.addEventListener("beforeunload", beforeUnload);
    app.review.reset(); // the plan is the run's now; a new one needs a new review
    app.renderBanners();
    app.updateSteps();
    app.go("run");
    render();
    const options = {
      signal: r.controller.signal,
      pollIntervalMs: app.pollIntervalMs,
      onEvent: (e) => onEvent(r, e),
      onReport: (report) => onReport(r, report),
    };
    let report;
    try {
      report = await starter(options);
    } catch (error) {
      // The engine never rejects once started; this is an input problem (nothing was sent).
      r.active = false;
      r.done = true;
      app.runActive = false;
      window.removeEventListener("beforeunload", beforeUnload);
      host.prepend(errorBox(error, { context: "Starting the rollout" }));
      render();
      app.updateSteps();
      return;
    }
    mergeReport(r, report);
    const saveError = saveReport(report, app.connection);
    if (saveError) app.toast(`The final report could not be saved in this browser: ${saveError.message}. Export it now.`, "bad");
    r.active = false;
    r.done = true;
    app.runActive = false;
    window.removeEventListener("beforeunload", beforeUnload);
    app.lastReport = report;
    app.selected.clear();
    app.servers_.selectionChanged();
    render();
    showResults(report, { fromRun: true });
    // The servers changed (jobs, reboots): read them again for the next selection.
    app.servers_.reload();
  }

  $("#cancel-button").addEventListener("click", () => {
    if (!run?.active || run.cancelled) return;
    run.cancelled = true;
    run.controller.abort();
    log(run, "Cancel requested: no new batch will be sent; the batches already sent are followed to the end.", "warn");
    render();
  });
  $("#run-to-results").addEventListener("click", () => run?.report && showResults(run.report));

  // ------------------------------------------------------------------ results
  const resultsHost = $("#results-host");
  let shownReport = null;
  const outcomeFilter = h("select", { id: "results-filter" },
    h("option", { value: "" }, "All servers"),
    ...["failed", "unknown", "skipped", "succeeded"].map((k) => h("option", { value: k }, OUTCOME[k].label)));
  const resultsTable = new VirtualTable({
    caption: "Result per server",
    label: "Result per server",
    rowKey: (s) => s.id,
    rowHeight: 52,
    minWidth: "1130px",
    columns: [
      { key: "name", label: "Server", width: "230px", value: (s) => s.name ?? s.id },
      { key: "group", label: "Group", width: "140px", value: (s) => app.groupName(s.server_group_id) },
      { key: "outcome", label: "Outcome", width: "110px", value: (s) => OUTCOME_ORDER[s.outcome] ?? 9, render: (s) => outcomePill(s) },
      { key: "reason", label: "Reason", width: "160px", className: "wrap", value: (s) => reasonText(s.reason), render: (s) => h("span", {}, reasonText(s.reason)) },
      { key: "error", label: "Error / detail", className: "wrap", value: (s) => errorText(s), render: (s) => h("span", { title: errorText(s) }, errorText(s)) },
      { key: "job", label: "Job ID", width: "170px", value: (s) => s.job_id, render: (s) => (s.job_id ? h("code", {}, s.job_id) : h("span", { class: "muted" }, "–")) },
      { key: "maint", label: "Maintenance", width: "150px", className: "wrap", value: (s) => maintenanceText(s).text, render: (s) => maintenanceCell(s) },
      { key: "attempts", label: "Attempts", width: "96px", className: "num", value: (s) => s.attempts ?? 0 },
    ],
    sort: { key: "outcome", dir: "asc" },
    rowClass: (s) => `outcome-${s.outcome}`,
  });
  resultsTable.element.classList.add("vt-short", "vt-tall");
  outcomeFilter.addEventListener("change", () => shownReport && fillResults(shownReport));

  function fillResults(report) {
    const wanted = outcomeFilter.value;
    resultsTable.setRows(report.servers.filter((s) => !wanted || s.outcome === wanted));
  }

  function showResults(report, { fromRun = false } = {}) {
    shownReport = report;
    app.lastReport = report;
    const c = report.counts ?? {};
    const attempted = (c.succeeded ?? 0) + (c.failed ?? 0) + (c.unknown ?? 0);
    let tone = "ok";
    let title = c.succeeded === 1 ? "The server was updated" : `All ${plural(c.succeeded ?? 0, "server")} updated`;
    let text = "Each server rebooted with its group's virtual IP setting.";
    if (report.status === "halted") {
      tone = "bad";
      title = "The rollout halted";
      text = `${report.halt_reason ?? "Too many failures."} Servers of later waves were not sent.`;
    } else if (report.status === "aborted") {
      tone = "warn";
      title = "The rollout was cancelled";
      text = "Servers that had not been sent were skipped. Those already sent were followed to the end.";
    } else if (c.failed || c.unknown) {
      tone = c.failed ? "bad" : "warn";
      title = `${fmt(c.succeeded ?? 0)} of ${fmt(attempted)} servers updated`;
      text = `${c.failed ? `${plural(c.failed, "server")} failed: the reasons are in the table. Fix the cause, then use "Retry the failed ones". ` : ""}${c.unknown ? `${plural(c.unknown, "server")} ended in an unknown state: check them before retrying. ` : ""}`;
    } else if (!attempted) {
      tone = "warn";
      title = "No server was updated";
      text = "Every server was skipped.";
    }
    $("#results-lead").textContent = `Started ${time(report.started_at)}${report.finished_at ? `, ended ${time(report.finished_at)} (${duration(report.finished_at - report.started_at)})` : ""} · ${plural(report.job_ids?.length ?? 0, "job")}.`;
    const tiles = h("div", { class: "tiles", id: "results-summary" },
      ...[["succeeded", "Succeeded"], ["failed", "Failed"], ["skipped", "Skipped"], ["unknown", "Unknown"]].map(([k, label]) =>
        h("div", { class: `tile tile-${(c[k] ?? 0) > 0 ? OUTCOME[k].tone : ""}`, "data-outcome": k }, h("div", { class: "tile-label" }, label), h("div", { class: "tile-value" }, fmt(c[k] ?? 0)))));
    const notes = (report.notes ?? []).length
      ? h("details", { class: "card details-card", open: report.notes.some((n) => n.startsWith("LEFT IN MAINTENANCE")) },
        h("summary", {}, h("span", { class: "card-title" }, `Notes (${fmt(report.notes.length)})`), h("span", { class: "muted" }, " Things the run noticed.")),
        h("ul", { class: "notes" }, report.notes.map((n) => h("li", {}, n))))
      : null;
    const tableCard = h("div", { class: "card card-flush" },
      h("div", { class: "card-toolbar" }, h("h2", { class: "card-title" }, "Servers"),
        h("div", { class: "field field-inline" }, h("label", { for: "results-filter" }, "Show"), outcomeFilter)),
      resultsTable.element);
    resultsHost.replaceChildren(
      h("div", { class: `callout callout-${tone}`, role: "status" }, icon(tone === "ok" ? "check" : "alert", "callout-icon"), h("div", { class: "callout-body" }, h("p", { class: "callout-title" }, title), h("p", {}, text))),
      tiles, notes ?? "", tableCard);
    outcomeFilter.value = "";
    fillResults(report);
    $("#retry-failed").hidden = !(c.failed > 0);
    $("#retry-failed").disabled = false;
    app.renderBanners();
    app.updateSteps();
    app.go("results");
    if (fromRun) app.toast(title, tone === "ok" ? "ok" : "warn");
  }

  function stamp() {
    const d = new Date();
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  }

  $("#export-csv").addEventListener("click", () => {
    if (!shownReport) return;
    try {
      download(`tsvi-rollout-${stamp()}.csv`, app.pkg.reportToCsv(shownReport), "text/csv;charset=utf-8");
    } catch (error) {
      app.fail(error, "Export CSV");
    }
  });
  $("#export-json").addEventListener("click", () => {
    if (!shownReport) return;
    download(`tsvi-rollout-${stamp()}.json`, JSON.stringify(shownReport, null, 2), "application/json");
  });
  $("#new-rollout").addEventListener("click", () => app.go(app.client ? "servers" : "connect"));

  $("#retry-failed").addEventListener("click", async () => {
    const report = shownReport;
    if (!report) return;
    if (!app.client) {
      app.toast("Connect first: the retry reads the failed servers again before planning.", "warn");
      app.go("connect");
      return;
    }
    const ids = report.servers.filter((s) => s.outcome === "failed").map((s) => s.id);
    const button = $("#retry-failed");
    button.disabled = true;
    const fresh = [];
    const failures = [];
    const queue = [...ids];
    const worker = async () => {
      while (queue.length) {
        const id = queue.shift();
        try {
          fresh.push(await app.client.showServer(id, {}));
        } catch (error) {
          failures.push([id, error]);
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    button.disabled = false;
    const lost = failures.filter(([, e]) => e?.status === 404);
    const broken = failures.filter(([, e]) => e?.status !== 404);
    if (broken.length) {
      resultsHost.prepend(errorBox(broken[0][1], { context: `Reading ${plural(broken.length, "failed server")} again` }));
      return;
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    fresh.sort((a, b) => order.get(a.id) - order.get(b.id));
    app.servers_.replace(fresh);
    app.selected.clear();
    for (const s of fresh) app.selected.add(s.id);
    app.servers_.selectionChanged();
    app.review.open(fresh, {
      message: `Retrying ${plural(fresh.length, "server")} that failed in the last rollout${lost.length ? ` (${fmt(lost.length)} no longer exist)` : ""}. Nothing has been sent yet: check the plan, then confirm.`,
    });
  });

  return {
    start(plan) {
      const fresh = { plan, servers: [], status: "running", started_at: Date.now(), job_ids: [], notes: [], counts: {} };
      const snapshot = new Map((plan.snapshot ?? []).map((s) => [s.id, s]));
      // The same shape as the engine's first report: every planned server waiting.
      for (const w of plan.waves) for (const id of w.batches.flat()) {
        const snap = snapshot.get(id);
        fresh.servers.push({ id, name: snap?.name, server_group_id: snap?.server_group_id, outcome: "pending", wave: w.index, attempts: 0 });
      }
      for (const k of plan.skipped) {
        if (k.reason === "duplicate") continue;
        const snap = snapshot.get(k.id);
        fresh.servers.push({ id: k.id, name: k.name, server_group_id: snap?.server_group_id, outcome: "skipped", reason: k.reason, detail: k.detail, attempts: 0 });
      }
      const r = model(fresh);
      execute(r, (options) => app.client.runRollout(plan, options));
    },
    resume(report) {
      if (!app.client) {
        app.toast("Connect first to resume the rollout.", "warn");
        app.go("connect");
        return;
      }
      const r = model(report);
      log(r, "Resuming: following the batches already sent, then sending what was never sent.");
      execute(r, (options) => app.client.resumeRollout(report, options));
    },
    showResults,
    hasRun: () => Boolean(run),
    isCurrent: (report) => Boolean(run?.active && report.started_at === run.report.started_at),
  };
}
