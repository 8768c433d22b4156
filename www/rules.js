// Which servers can be updated now: the same rules as the rollout planner (src/rollout/plan.rs,
// `skip_reason`), so the table and the plan agree. The plan stays the authority: it is made
// again from these servers, and the run checks each server again before sending it.

/** task_status values that only record how the last task ended: the server is not busy. */
const FINISHED_TASKS = new Set([
  "null", "updating_tsvi_failed", "rebuild_fail", "delete_failed", "migrate_failed",
  "install_app_failed", "upgrad_access_agent_fail", "upgrad_access_agent_success",
]);

export function hasRunningJob(s) {
  if (s.job_status === "WAITING" || s.job_status === "RUNNING") return true;
  const task = s.task_status;
  return typeof task === "string" && task !== "" && !FINISHED_TASKS.has(task);
}

/**
 * Why the server cannot be updated now: `{ reason, label, detail }`, or null when it can.
 * `reason` is the planner's word (job_running, maintenance, state). Sessions do not block:
 * the review decides about busy servers.
 */
export function blockReason(s, { includeMaintained = false } = {}) {
  if (hasRunningJob(s)) {
    const jobRunning = s.job_status === "WAITING" || s.job_status === "RUNNING";
    const detail = jobRunning
      ? `job ${s.job_id ?? "?"}${s.job_type ? ` (${s.job_type})` : ""} is ${s.job_status}`
      : `task ${s.task_status} is in progress`;
    return { reason: "job_running", label: jobRunning ? "Job running" : "Task running", detail };
  }
  if (s.maintain_status === true && !includeMaintained) {
    return { reason: "maintenance", label: "In maintenance", detail: "already in maintenance mode" };
  }
  if (s.status === "FREEZE") return { reason: "state", label: "Frozen", detail: "the server is frozen" };
  if (s.vm_status !== "ACTIVE" && s.vm_status !== "SHUTOFF") {
    const vm = s.vm_status ?? "unknown";
    return { reason: "state", label: `VM ${vm}`, detail: s.vm_status ? `vm_status ${vm} cannot be rebooted now` : "vm_status is unknown" };
  }
  return null;
}

/** Words of the rollout engine (skip reasons, failure reasons) in plain English. */
export const REASON_TEXT = {
  duplicate: "Listed twice",
  job_running: "A job or task is running",
  maintenance: "Already in maintenance",
  state: "State does not allow a reboot",
  busy: "Has active sessions",
  not_found: "No longer exists",
  halted: "Not started: the run halted",
  aborted: "Not started: cancelled",
  changed: "Changed since the review",
  sub_job_failed: "The update failed",
  refused: "The service refused the batch",
  retries_exhausted: "Gave up after retries",
  ambiguous: "Unclear whether it was applied",
  unreadable: "Its state could not be read",
  no_sub_job: "The job did not report it",
  job_timeout: "Still running when the run stopped following",
};

export const reasonText = (word) => (word ? REASON_TEXT[word] ?? word : "");

/** Whether a maintenance mark this run set (or was about to set) may still be on the server. */
export const holdsRunMark = (s) => Boolean(s.drain?.marked_by_run && s.drain.lifted_at == null);

/**
 * The maintenance mode of a server in a rollout report, in words: `{ text, tone }`. The run
 * records its own mark before setting it and when it is lifted; a server that was in
 * maintenance before the run keeps it.
 */
export function maintenanceText(s) {
  const d = s.drain;
  if (!d) return { text: "", tone: "muted" };
  if (d.already_in_maintenance) return { text: "Already in maintenance (kept)", tone: "muted" };
  if (!d.marked_by_run) return { text: "", tone: "muted" };
  if (d.lifted_at != null) return { text: "Set by this run, lifted", tone: "ok" };
  return { text: "Set by this run, not lifted yet", tone: "warn" };
}

export const OUTCOME = {
  pending: { label: "Waiting", tone: "muted" },
  in_progress: { label: "Updating", tone: "run" },
  succeeded: { label: "Succeeded", tone: "ok" },
  failed: { label: "Failed", tone: "bad" },
  skipped: { label: "Skipped", tone: "warn" },
  unknown: { label: "Unknown", tone: "warn" },
};

export function ipOf(s) {
  return (s.host_address ?? []).map((a) => a?.addr).filter(Boolean).join(", ");
}

export const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

export function compareValues(a, b) {
  const emptyA = a === null || a === undefined || a === "";
  const emptyB = b === null || b === undefined || b === "";
  if (emptyA || emptyB) return emptyA === emptyB ? 0 : emptyA ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" || typeof b === "boolean") return Number(a) - Number(b);
  return collator.compare(String(a), String(b));
}
