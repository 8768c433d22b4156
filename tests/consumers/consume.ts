// Code that consumes what the module really produced (tests/node/types.test.mjs writes
// fixture.ts from a run against the simulator, each value typed by the package's own
// declarations), compiled strict. The switches are exhaustive: a variant added to the
// declarations without a case here, or one the module sends that the declarations lack,
// fails the compile.
import type { ClientEvent, RolloutEvent, Report, Plan } from "workspace-tsvi";
import { clientEvents, events, plan, report, blocked } from "./fixture.js";

function never(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

export function describeEvent(e: RolloutEvent): string {
  switch (e.type) {
    case "plan": return `${e.planned} planned in ${e.waves} waves`;
    case "changed": return `${e.server_id}: ${e.detail}${e.skipped ? " (skipped)" : ""}`;
    case "wave_started": return `wave ${e.wave}: ${e.servers}`;
    case "drain_started": return `drain ${e.wave}: ${e.servers}`;
    case "drain_done": return `drained ${e.wave} in ${e.waited_ms} ms, ${e.sessions_left} left${e.deadline_passed ? " (deadline)" : ""}`;
    case "batch_submitted": return `job ${e.job_id}: ${e.server_ids.length} servers, attempt ${e.attempt}`;
    case "batch_failed": return `${e.class} ${e.status ?? "-"} ${e.error_code} ${e.message} ${e.request_id ?? ""}`;
    case "server_progress": return `${e.server_id} ${e.job_id} ${e.status}`;
    case "server_done": return `${e.server_id} ${e.outcome} ${e.reason ?? ""}`;
    case "wave_done": return `wave ${e.wave}: ${e.succeeded + e.failed + e.unknown}`;
    case "halted": return e.reason;
    case "aborted": return "aborted";
    case "run_done": return `${e.status}: ${e.succeeded}/${e.failed}/${e.skipped}/${e.unknown}`;
    case "hook_failed": return `${e.hook}: ${e.message}`;
    default: return never(e);
  }
}

export function describeClientEvent(e: ClientEvent): string {
  switch (e.type) {
    case "retry": return `${e.method} ${e.path} #${e.attempt} in ${e.delay_ms} ms (${e.status ?? e.code})`;
    case "clock_skew": return `${e.path}: ${e.offset_ms} ms`;
    case "throttled": return `${e.rate ?? "unpaced"}/s, ${e.max_in_flight} at once`;
    default: return never(e);
  }
}

export function summary(r: Report, p: Plan): string {
  const entries = r.servers.map((s) => `${s.id} ${s.outcome} ${s.reason ?? ""} ${s.drain?.marked_by_run ?? false}`);
  const limit = p.options.max_unavailable;
  const share = "percent" in limit ? `${limit.percent}%` : `${limit.count}`;
  return [r.status, r.counts.succeeded, share, p.skipped.map((s) => s.reason).join(), ...entries].join("\n");
}

export const all: string[] = [
  ...events.map(describeEvent),
  ...clientEvents.map(describeClientEvent),
  summary(report, plan),
  ...blocked.map((b) => (b ? `${b.reason}: ${b.detail}` : "ready")),
];
