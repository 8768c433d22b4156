//! Running a plan: waves of batches, each followed to the end before the next starts, with
//! retries that never reboot a server twice, draining, halting, aborting and resuming.
//!
//! One engine serves a fresh run and a resumed one: it works from a [`Report`], in which a
//! fresh run has every planned server `pending`. Servers already sent (`in_progress`) are
//! followed, `unknown` ones are read again first, and only servers proven untouched are sent.
//!
//! This file holds the run loop (waves, halting, aborting, the final lift) and the report
//! bookkeeping every concern shares. Each concern is a module of its own, an `impl` block of
//! [`Runner`] with the invariants it keeps written at its top:
//! - [`submit`]: sending a batch and resolving a failed send (the never-reboot-twice logic);
//! - [`drain`]: maintenance marks, written ahead, and their lifts;
//! - [`follow`]: following jobs and their sub-jobs to the end, polled by [`poll`]'s schedule;
//! - [`recheck`]: reading the servers again and comparing them with the plan;
//! - [`read`]: how the engine reads servers.

mod drain;
mod follow;
mod poll;
mod read;
mod recheck;
mod submit;

use super::join::join_all;
use super::plan::{Plan, SkipReason, Wave};
use super::report::{Outcome, Reason, Report, RunStatus};
use super::retry::{Backoff, FailureClass, SplitMix64};
use crate::client::Client;
use crate::error::Error;
use crate::hash::HashSet;
use crate::transport::Transport;
use poll::PollSchedule;
use serde::Serialize;
use std::cell::{Cell, RefCell};

/// How the note naming servers the run could not take out of maintenance starts (the page
/// opens the notes when one does).
const LEFT_IN_MAINTENANCE: &str = "LEFT IN MAINTENANCE";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunOptions {
    pub poll_interval_ms: u32,
    /// How long one job is followed before its unfinished servers are reported `unknown`.
    pub job_timeout_ms: u32,
    pub backoff: Backoff,
    /// Attempts of a maintenance-mode call before it is given up (reads are retried by the
    /// client's own read policy).
    pub maintenance_attempts: u32,
    /// Seeds the jitter of the backoff.
    pub seed: u64,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            poll_interval_ms: 2000,
            job_timeout_ms: 1_800_000,
            backoff: Backoff::default(),
            maintenance_attempts: 6,
            seed: 0x7575_6964,
        }
    }
}

/// What the run tells its caller as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Plan {
        planned: usize,
        skipped: usize,
        waves: usize,
        batches: usize,
    },
    /// A server changed since the plan; `skipped` when the change rules it out.
    Changed {
        server_id: String,
        detail: String,
        skipped: bool,
    },
    WaveStarted {
        wave: usize,
        servers: usize,
    },
    DrainStarted {
        wave: usize,
        servers: usize,
    },
    DrainDone {
        wave: usize,
        waited_ms: u64,
        sessions_left: u32,
        deadline_passed: bool,
    },
    BatchSubmitted {
        wave: usize,
        job_id: String,
        server_ids: Vec<String>,
        attempt: u32,
    },
    BatchFailed {
        wave: usize,
        server_ids: Vec<String>,
        attempt: u32,
        class: FailureClass,
        status: Option<u16>,
        error_code: String,
        message: String,
        request_id: Option<String>,
    },
    ServerProgress {
        server_id: String,
        job_id: String,
        status: String,
    },
    ServerDone {
        server_id: String,
        outcome: Outcome,
        reason: Option<Reason>,
    },
    WaveDone {
        wave: usize,
        succeeded: usize,
        failed: usize,
        unknown: usize,
    },
    Halted {
        reason: String,
    },
    Aborted,
    RunDone {
        status: RunStatus,
        succeeded: usize,
        failed: usize,
        skipped: usize,
        unknown: usize,
    },
    /// A caller's hook failed (it threw); the run goes on. A failed `onReport` means the saved
    /// report may be stale, so the run may not be resumable from it.
    HookFailed {
        hook: Hook,
        message: String,
    },
}

/// The caller's hooks, by the names the caller gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Hook {
    #[serde(rename = "onEvent")]
    OnEvent,
    #[serde(rename = "onReport")]
    OnReport,
}

impl Hook {
    const fn name(self) -> &'static str {
        match self {
            Hook::OnEvent => "onEvent",
            Hook::OnReport => "onReport",
        }
    }
}

/// The caller's hooks: every event, and the report after each change worth saving. A hook
/// that fails says why; the run records it (an event and a note) and goes on.
pub struct Hooks<'a> {
    pub on_event: &'a dyn Fn(&Event) -> Result<(), String>,
    pub on_report: &'a dyn Fn(&Report) -> Result<(), String>,
}

struct Runner<'a, T: Transport> {
    client: &'a Client<T>,
    options: RunOptions,
    signal: Option<&'a T::Signal>,
    hooks: Hooks<'a>,
    rng: RefCell<SplitMix64>,
    report: RefCell<Report>,
    /// Failures from before a resume, which `haltAfterFailures` does not count again.
    failed_before: usize,
    /// The hooks that have failed in this run (each is noted once in the report).
    failed_hooks: RefCell<Vec<Hook>>,
    /// When to poll jobs, learned from the jobs of this run that have finished.
    polls: RefCell<PollSchedule>,
    /// A server was finished since the report was last handed to `onReport`.
    unsaved: Cell<bool>,
}

/// Runs a fresh plan.
pub async fn run_rollout<T: Transport>(
    client: &Client<T>,
    plan: &Plan,
    options: RunOptions,
    signal: Option<&T::Signal>,
    hooks: Hooks<'_>,
) -> Report {
    let report = Report::new(plan, client.transport().now_ms());
    execute(client, report, options, signal, hooks).await
}

/// Continues an interrupted run: follows what was sent, re-checks what is unknown, and sends
/// what was never sent (servers skipped as `aborted` or `halted` included). A server that has a
/// job from this run is never sent again. Failures from before count no more toward
/// `haltAfterFailures`.
pub async fn resume_rollout<T: Transport>(
    client: &Client<T>,
    mut report: Report,
    options: RunOptions,
    signal: Option<&T::Signal>,
    hooks: Hooks<'_>,
) -> Report {
    for server in &mut report.servers {
        let stopped_early =
            server.outcome == Outcome::Skipped && matches!(server.reason, Some(Reason::Skip(SkipReason::Halted | SkipReason::Aborted)));
        if stopped_early {
            server.outcome = Outcome::Pending;
            server.reason = None;
            server.detail = None;
        }
    }
    // Marks left by an earlier attempt are in the servers' entries; the run lifts them and
    // notes again the ones it still cannot.
    report.notes.retain(|note| !note.starts_with(LEFT_IN_MAINTENANCE));
    report.status = RunStatus::Running;
    report.halt_reason = None;
    report.finished_at = None;
    report.recount();
    execute(client, report, options, signal, hooks).await
}

async fn execute<T: Transport>(
    client: &Client<T>,
    report: Report,
    options: RunOptions,
    signal: Option<&T::Signal>,
    hooks: Hooks<'_>,
) -> Report {
    let failed_before = report.servers.iter().filter(|s| s.outcome == Outcome::Failed).count();
    let runner = Runner {
        failed_before,
        client,
        rng: RefCell::new(SplitMix64(options.seed)),
        polls: RefCell::new(PollSchedule::new(options.poll_interval_ms)),
        unsaved: Cell::new(false),
        options,
        signal,
        hooks,
        report: RefCell::new(report),
        failed_hooks: RefCell::new(Vec::new()),
    };
    runner.run().await;
    runner.report.into_inner()
}

fn now<T: Transport>(client: &Client<T>) -> u64 {
    client.transport().now_ms()
}

impl<'a, T: Transport> Runner<'a, T> {
    fn emit(&self, event: Event) {
        if let Err(message) = (self.hooks.on_event)(&event) {
            self.hook_failed(Hook::OnEvent, message);
        }
    }

    fn save(&self) {
        self.unsaved.set(false);
        let saved = {
            let mut report = self.report.borrow_mut();
            report.recount();
            (self.hooks.on_report)(&report)
        };
        if let Err(message) = saved {
            self.hook_failed(Hook::OnReport, message);
        }
    }

    /// A hook threw: noted in the report the first time, told as an event (to a failing
    /// `onEvent` only the first time, and never through `emit`, so it cannot recurse).
    fn hook_failed(&self, hook: Hook, message: String) {
        let first = !self.failed_hooks.borrow().contains(&hook);
        if first {
            self.failed_hooks.borrow_mut().push(hook);
            let consequence = match hook {
                Hook::OnReport => "the saved report may be behind this one, so the run may not resume from it",
                Hook::OnEvent => "later events may be missing",
            };
            self.report.borrow_mut().notes.push(format!("{} failed: {message}; {consequence}", hook.name()));
        }
        if first || hook == Hook::OnReport {
            let _ = (self.hooks.on_event)(&Event::HookFailed { hook, message });
        }
    }

    fn aborted(&self) -> bool {
        self.signal.is_some_and(|s| self.client.transport().is_aborted(s))
    }

    fn plan(&self) -> Plan {
        self.report.borrow().plan.clone()
    }

    fn ids_with(&self, outcome: Outcome) -> Vec<String> {
        self.report.borrow().servers.iter().filter(|s| s.outcome == outcome).map(|s| s.id.clone()).collect()
    }

    fn finish(&self, id: &str, outcome: Outcome, reason: Option<Reason>, detail: Option<String>) {
        self.unsaved.set(true);
        let at = now(self.client);
        {
            let mut report = self.report.borrow_mut();
            let Some(server) = report.server_mut(id) else { return };
            server.outcome = outcome;
            server.reason = reason.clone();
            if detail.is_some() {
                server.detail = detail;
            }
            if outcome != Outcome::Skipped {
                server.finished_at = Some(at);
            }
        }
        self.emit(Event::ServerDone { server_id: id.to_owned(), outcome, reason });
    }

    fn fail_with(&self, id: &str, outcome: Outcome, reason: Reason, error: &Error) {
        if let Some(server) = self.report.borrow_mut().server_mut(id) {
            if let Error::Api(api) = error {
                server.error_code = Some(api.error_code.clone());
                server.error_msg = Some(api.error_msg.clone());
                server.request_id = api.request_id.clone();
            } else {
                server.error_code = Some(error.code().to_owned());
                server.error_msg = Some(error.to_string());
            }
        }
        self.finish(id, outcome, Some(reason), None);
    }

    async fn run(&self) {
        {
            let plan = self.plan();
            self.emit(Event::Plan {
                planned: plan.summary.planned,
                skipped: plan.summary.skipped,
                waves: plan.summary.waves,
                batches: plan.summary.batches,
            });
        }
        self.recheck().await;
        self.save();

        // Jobs sent before (a resumed run) finish before anything new starts.
        let mut earlier: Vec<(String, Vec<String>)> = Vec::new();
        for s in self.report.borrow().servers.iter().filter(|s| s.outcome == Outcome::InProgress) {
            if let Some(job) = &s.job_id {
                add_to_job(&mut earlier, job, &s.id);
            }
        }
        join_all(earlier.into_iter().map(|(job, ids)| self.follow_job(job, ids, false))).await;
        self.save();
        // Marks of a resumed run on servers that are done: lifted before anything new starts.
        // Pending servers keep theirs: their wave drains them again.
        self.lift_marks(|s| s.outcome != Outcome::Pending).await;

        let plan = self.plan();
        for wave in &plan.waves {
            // Looked up by id, not by collecting every pending id of the report per wave.
            let members: Vec<String> = {
                let report = self.report.borrow();
                wave.server_ids().filter(|id| report.server(id).is_some_and(|s| s.outcome == Outcome::Pending)).cloned().collect()
            };
            if members.is_empty() {
                continue;
            }
            if self.aborted() {
                self.stop_all(RunStatus::Aborted, "aborted before its wave started");
                break;
            }
            if let Some(reason) = self.halt_reason(&plan) {
                self.emit(Event::Halted { reason: reason.clone() });
                self.report.borrow_mut().halt_reason = Some(reason);
                self.stop_all(RunStatus::Halted, "the run halted before its wave started");
                break;
            }
            self.run_wave(wave, members).await;
        }
        if self.aborted() && self.report.borrow().status == RunStatus::Running {
            self.stop_all(RunStatus::Aborted, "aborted before its wave started");
        }
        // Whatever the run still holds in maintenance (a lift that failed, a resumed run's
        // servers that were skipped or stopped) is lifted before it ends.
        if let Some(error) = self.lift_marks(|_| true).await {
            let stranded: Vec<String> = self.report.borrow().servers.iter().filter(|s| s.holds_run_mark()).map(|s| s.id.clone()).collect();
            self.report.borrow_mut().notes.push(format!(
                "{LEFT_IN_MAINTENANCE} by this run: {} ({error}); resume this report to lift the marks, or lift them by hand",
                crate::text::join(&stranded, ", ")
            ));
        }

        let finished_at = now(self.client);
        {
            let mut report = self.report.borrow_mut();
            if report.status == RunStatus::Running {
                report.status = RunStatus::Completed;
            }
            report.finished_at = Some(finished_at);
            report.recount();
        }
        self.save();
        let report = self.report.borrow();
        let c = &report.counts;
        self.emit(Event::RunDone {
            status: report.status,
            succeeded: c.succeeded,
            failed: c.failed,
            skipped: c.skipped,
            unknown: c.unknown,
        });
    }

    /// Marks every server not yet sent as skipped, and records why the run stopped.
    fn stop_all(&self, status: RunStatus, detail: &str) {
        if status == RunStatus::Aborted {
            self.emit(Event::Aborted);
        }
        let reason = if status == RunStatus::Aborted { SkipReason::Aborted } else { SkipReason::Halted };
        for id in self.ids_with(Outcome::Pending) {
            self.finish(&id, Outcome::Skipped, Some(reason.into()), Some(detail.to_owned()));
        }
        self.report.borrow_mut().status = status;
    }

    fn halt_reason(&self, plan: &Plan) -> Option<String> {
        let limit = plan.options.halt_after_failures?;
        let report = self.report.borrow();
        let failed = (report.servers.iter().filter(|s| s.outcome == Outcome::Failed).count() - self.failed_before) as u32;
        let allowed = match limit {
            super::plan::Limit::Count(n) => n,
            super::plan::Limit::Percent(_) => limit.of(plan.summary.planned as u32),
        };
        (failed > allowed).then(|| format!("{failed} servers failed, more than the {allowed} allowed by haltAfterFailures"))
    }

    async fn run_wave(&self, wave: &Wave, members: Vec<String>) {
        self.emit(Event::WaveStarted { wave: wave.index, servers: members.len() });
        // The options alone: cloning the plan (every server's snapshot) per wave cost time.
        let (drain, drain_timeout_ms) = {
            let report = self.report.borrow();
            (report.plan.options.drain, report.plan.options.drain_timeout_ms)
        };
        let mut ready = members.clone();
        if drain {
            ready = self.drain(wave.index, &members, drain_timeout_ms).await;
        }
        if !ready.is_empty() {
            let ready: HashSet<String> = ready.into_iter().collect();
            let batches: Vec<Vec<String>> = wave
                .batches
                .iter()
                .map(|b| b.iter().filter(|id| ready.contains(*id)).cloned().collect::<Vec<_>>())
                .filter(|b| !b.is_empty())
                .collect();
            // Each batch's job is followed from the moment it is accepted (not once the whole
            // wave is): a batch waiting out a resend does not hold back the others' polls.
            join_all(batches.into_iter().map(|batch| async move {
                let jobs = self.submit(wave.index, batch).await;
                // Servers the sending settled (failed, skipped, unknown) are saved before the
                // jobs are followed; accepted ones were saved on acceptance.
                if self.unsaved.get() {
                    self.save();
                }
                join_all(jobs.into_iter().map(|(job, ids)| self.follow_job(job, ids, true))).await;
            }))
            .await;
            self.save();
        }
        self.lift_marks(|s| s.wave == Some(wave.index)).await;
        // Drained servers that were never sent (the run was aborted while draining).
        if self.aborted() {
            self.stop_all(RunStatus::Aborted, "aborted while its wave was draining");
        }
        let report = self.report.borrow();
        let count = |o: Outcome| report.servers.iter().filter(|s| s.wave == Some(wave.index) && s.outcome == o).count();
        let (succeeded, failed, unknown) = (count(Outcome::Succeeded), count(Outcome::Failed), count(Outcome::Unknown));
        drop(report);
        self.emit(Event::WaveDone { wave: wave.index, succeeded, failed, unknown });
        self.save();
    }
}

/// Adds a server to the servers of a job, keeping jobs in the order they were met.
fn add_to_job(jobs: &mut Vec<(String, Vec<String>)>, job: &str, id: &str) {
    match jobs.iter_mut().find(|(j, _)| j == job) {
        Some((_, ids)) => ids.push(id.to_owned()),
        None => jobs.push((job.to_owned(), vec![id.to_owned()])),
    }
}
