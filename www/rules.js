// Words and labels of the page. Which servers can be updated now is the rollout engine's own
// rule (the package's `blockReason`, the planner's `skip_reason`), so the table and the plan
// cannot disagree; the run still checks each server again before sending it.

/**
 * Why the server cannot be updated now, as the engine decides it: `{ reason, label, detail }`,
 * or null when it can. Sessions do not block here: the review decides about busy servers.
 * `pkg` is the package's web build.
 */
export function blockReason(pkg, s, { includeMaintained = false } = {}) {
  let block;
  try {
    block = pkg.blockReason(s, { includeBusy: true, includeMaintained });
  } catch (error) {
    return { reason: "state", label: "Unreadable", detail: error?.errors?.[0]?.message ?? String(error) };
  }
  return block && { ...block, label: blockLabel(block.reason, s) };
}

/** A short label for the table's pill; the engine's detail says the rest. */
function blockLabel(reason, s) {
  if (reason === "job_running") return s.job_status === "WAITING" || s.job_status === "RUNNING" ? "Job running" : "Task running";
  if (reason === "maintenance") return "In maintenance";
  if (reason === "state") return s.status === "FREEZE" ? "Frozen" : `VM ${s.vm_status ?? "unknown"}`;
  return reasonText(reason);
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
