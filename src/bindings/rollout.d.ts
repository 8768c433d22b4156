// The rollout engine's declarations: only in builds with the `rollout` feature (the main entry).
export interface RolloutOptions {
  /** 1 to 20, default 20. */
  batchSize?: number;
  /** Batches sent together in one wave, 1 to 50, default 4. */
  concurrency?: number;
  /** Per server group: a count, or a share such as "25%" (the default). */
  maxUnavailable?: number | string;
  /** Update servers with sessions (their users are disconnected). */
  includeBusy?: boolean;
  /** Update servers already in maintenance mode (they stay in it). */
  includeMaintained?: boolean;
  /** Maintenance mode first, until the sessions end or drainTimeoutMs passes. */
  drain?: boolean;
  /** 0 to 86,400,000. */
  drainTimeoutMs?: number;
  /** Stop starting waves once more servers than this (a count or a share) have failed. */
  haltAfterFailures?: number | string;
  /** Forces enable; by default each group's ip_virtual.enable. */
  enable?: boolean;
}
/** A count of servers or a share, as the engine read `maxUnavailable` or `haltAfterFailures`. */
export type Limit = { count: number } | { percent: number };
/** The options as the engine read them, defaults filled in. */
export interface PlannedOptions {
  batch_size: number; concurrency: number; max_unavailable: Limit; include_busy: boolean; include_maintained: boolean;
  drain: boolean; drain_timeout_ms: number; halt_after_failures?: Limit; enable?: boolean;
}
/** Why planRollout (or the run: `halted`, `aborted`, `changed`) left a server out. */
export type SkipReason = "duplicate" | "job_running" | "maintenance" | "state" | "busy" | "not_found" | "halted" | "aborted" | "changed";
/** Why a server `failed`. */
export type FailReason = "sub_job_failed" | "refused" | "retries_exhausted";
/** Why nothing proves whether a server was updated (`unknown`). */
export type UnknownReason = "ambiguous" | "unreadable" | "no_sub_job" | "job_timeout";
/** A report entry's reason (a report saved by another version may hold a word not listed here). */
export type Reason = SkipReason | FailReason | UnknownReason;
/** Why a server cannot be updated now (see blockReason): the planner's own rule. */
export interface BlockReason { reason: SkipReason; detail: string }
/** What the planner read of a server (unknown status words are kept as they came). */
export interface ServerSnapshot {
  id: string; name?: string; server_group_id?: string; status?: string; vm_status?: string; task_status?: string;
  maintain_status?: boolean; session_count?: number; job_id?: string; job_type?: string; job_status?: string; job_time?: string;
}
export interface Plan {
  options: PlannedOptions;
  enable_by_group: Record<string, boolean>;
  max_unavailable_by_group: Record<string, number>;
  waves: { index: number; batches: string[][] }[];
  skipped: { id: string; name?: string; reason: SkipReason; detail: string }[];
  warnings: { code: string; message: string; server_group_id?: string }[];
  /** The servers as planned, to notice what changed before each is sent. */
  snapshot: ServerSnapshot[];
  summary: { selected: number; planned: number; skipped: number; with_sessions: number; sessions: number; waves: number; batches: number };
}
export type Outcome = "pending" | "in_progress" | "succeeded" | "failed" | "skipped" | "unknown";
export type RunStatus = "running" | "completed" | "halted" | "aborted";
export interface ServerReport {
  id: string; name?: string; server_group_id?: string; outcome: Outcome;
  /** A skip reason, or why it failed or is unknown (a stable word). */
  reason?: Reason;
  detail?: string;
  wave?: number; job_id?: string; sub_job_status?: string; error_code?: string; error_msg?: string;
  request_id?: string; attempts: number; submitted_at?: number; finished_at?: number;
  drain?: {
    sessions_before: number; sessions_at_reboot: number; waited_ms: number; deadline_passed: boolean;
    /** In maintenance before the run: never marked nor lifted by it. */
    already_in_maintenance: boolean;
    /** Recorded before the run asks for the mark; with no `lifted_at`, the mark may still be on. */
    marked_by_run: boolean; marked_at?: number; lifted_at?: number;
  };
  /** The job the server had before this run sent it (to recognize this run's job on resume). */
  job_before?: string;
}
export interface Report {
  format: number;
  status: RunStatus;
  halt_reason?: string; started_at: number; finished_at?: number;
  /** Every job this run created: resuming never sends these servers again. */
  job_ids: string[];
  servers: ServerReport[];
  /** What the run noticed that the user should know (changed servers, lifts that failed, hooks that threw). */
  notes: string[];
  counts: { succeeded: number; failed: number; skipped: number; unknown: number; pending: number; in_progress: number };
  plan: Plan;
}
/** What a failed submission means: resend it, read the servers first, or give up. */
export type FailureClass = "safe_to_resend" | "ambiguous" | "final";
/** Everything a run tells as it goes, told apart by `type`. */
export type RolloutEvent =
  | { type: "plan"; planned: number; skipped: number; waves: number; batches: number }
  /** A server changed since the plan; `skipped` when the change rules it out. */
  | { type: "changed"; server_id: string; detail: string; skipped: boolean }
  | { type: "wave_started"; wave: number; servers: number }
  | { type: "drain_started"; wave: number; servers: number }
  | { type: "drain_done"; wave: number; waited_ms: number; sessions_left: number; deadline_passed: boolean }
  | { type: "batch_submitted"; wave: number; job_id: string; server_ids: string[]; attempt: number }
  | {
      type: "batch_failed"; wave: number; server_ids: string[]; attempt: number; class: FailureClass;
      status?: number; error_code: string; message: string; request_id?: string;
    }
  | { type: "server_progress"; server_id: string; job_id: string; status: string }
  | { type: "server_done"; server_id: string; outcome: Outcome; reason?: Reason }
  | { type: "wave_done"; wave: number; succeeded: number; failed: number; unknown: number }
  | { type: "halted"; reason: string }
  | { type: "aborted" }
  | { type: "run_done"; status: RunStatus; succeeded: number; failed: number; skipped: number; unknown: number }
  /** A hook threw; the run went on. A failed `onReport` means the saved report may be stale. */
  | { type: "hook_failed"; hook: "onEvent" | "onReport"; message: string };
export interface RunOptions extends CallOptions {
  /** A hook that throws does not stop the run: it is told as a `hook_failed` event and noted in the report. */
  onEvent?: (event: RolloutEvent) => void;
  /** The report after each change worth saving (it holds no secret). */
  onReport?: (report: Report) => void;
  /** 10 to 600,000. */
  pollIntervalMs?: number;
  /** 1,000 to 86,400,000. */
  jobTimeoutMs?: number;
  /** Seeds the backoff jitter. */
  seed?: number;
}
