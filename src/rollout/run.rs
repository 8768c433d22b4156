//! Running a plan: waves of batches, each followed to the end before the next starts, with
//! retries that never reboot a server twice, draining, halting, aborting and resuming.
//!
//! One engine serves a fresh run and a resumed one: it works from a [`Report`], in which a
//! fresh run has every planned server `pending`. Servers already sent (`in_progress`) are
//! followed, `unknown` ones are read again first, and only servers proven untouched are sent.

use super::plan::{skip_reason, Plan, ServerState, SkipReason, Wave};
use super::report::{skip_word, Drain, Outcome, Report, RunStatus, ServerReport};
use super::retry::{classify, Backoff, FailureClass, SplitMix64};
use crate::client::Client;
use crate::error::Error;
use crate::json::Value;
use crate::model::{JobDetail, JobType, ListSubJobsResponse, SubJob, TaskStatus, UpdateTsvi};
use crate::transport::Transport;
use crate::validate::MAX_BATCH_ITEMS;
use futures_util::future::join_all;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How the note naming servers the run could not take out of maintenance starts (the page
/// opens the notes when one does).
const LEFT_IN_MAINTENANCE: &str = "LEFT IN MAINTENANCE";

/// Above this many servers, they are read by listing their groups, not one call each.
const LIST_INSTEAD_OF_SHOW: usize = 100;

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
        RunOptions { poll_interval_ms: 2000, job_timeout_ms: 1_800_000, backoff: Backoff::default(), maintenance_attempts: 6, seed: 0x7575_6964 }
    }
}

/// What the run tells its caller as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Plan { planned: usize, skipped: usize, waves: usize, batches: usize },
    /// A server changed since the plan; `skipped` when the change rules it out.
    Changed { server_id: String, detail: String, skipped: bool },
    WaveStarted { wave: usize, servers: usize },
    DrainStarted { wave: usize, servers: usize },
    DrainDone { wave: usize, waited_ms: u64, sessions_left: u32, deadline_passed: bool },
    BatchSubmitted { wave: usize, job_id: String, server_ids: Vec<String>, attempt: u32 },
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
    ServerProgress { server_id: String, job_id: String, status: String },
    ServerDone { server_id: String, outcome: Outcome, reason: Option<String> },
    WaveDone { wave: usize, succeeded: usize, failed: usize, unknown: usize },
    Halted { reason: String },
    Aborted,
    RunDone { status: RunStatus, succeeded: usize, failed: usize, skipped: usize, unknown: usize },
    /// A caller's hook failed (it threw); the run goes on. A failed `onReport` means the saved
    /// report may be stale, so the run may not be resumable from it.
    HookFailed { hook: Hook, message: String },
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
}

/// Runs a fresh plan.
pub async fn run_rollout<T: Transport>(client: &Client<T>, plan: &Plan, options: RunOptions, signal: Option<&T::Signal>, hooks: Hooks<'_>) -> Report {
    let report = Report::new(plan, client.transport().now_ms());
    execute(client, report, options, signal, hooks).await
}

/// Continues an interrupted run: follows what was sent, re-checks what is unknown, and sends
/// what was never sent (servers skipped as `aborted` or `halted` included). A server that has a
/// job from this run is never sent again. Failures from before count no more toward
/// `haltAfterFailures`.
pub async fn resume_rollout<T: Transport>(client: &Client<T>, mut report: Report, options: RunOptions, signal: Option<&T::Signal>, hooks: Hooks<'_>) -> Report {
    for server in &mut report.servers {
        let stopped_early = server.outcome == Outcome::Skipped && matches!(server.reason.as_deref(), Some("halted" | "aborted"));
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

async fn execute<T: Transport>(client: &Client<T>, report: Report, options: RunOptions, signal: Option<&T::Signal>, hooks: Hooks<'_>) -> Report {
    let failed_before = report.servers.iter().filter(|s| s.outcome == Outcome::Failed).count();
    let runner = Runner {
        failed_before,
        client,
        rng: RefCell::new(SplitMix64(options.seed)),
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

    fn finish(&self, id: &str, outcome: Outcome, reason: Option<&str>, detail: Option<String>) {
        let at = now(self.client);
        {
            let mut report = self.report.borrow_mut();
            let Some(server) = report.server_mut(id) else { return };
            server.outcome = outcome;
            server.reason = reason.map(str::to_owned);
            if detail.is_some() {
                server.detail = detail;
            }
            if outcome != Outcome::Skipped {
                server.finished_at = Some(at);
            }
        }
        self.emit(Event::ServerDone { server_id: id.to_owned(), outcome, reason: reason.map(str::to_owned) });
    }

    fn fail_with(&self, id: &str, outcome: Outcome, reason: &str, error: &Error) {
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
        join_all(earlier.into_iter().map(|(job, ids)| self.follow_job(job, ids))).await;
        self.save();
        // Marks of a resumed run on servers that are done: lifted before anything new starts.
        // Pending servers keep theirs: their wave drains them again.
        self.lift_marks(|s| s.outcome != Outcome::Pending).await;

        let plan = self.plan();
        for wave in &plan.waves {
            let pending: HashSet<String> = self.ids_with(Outcome::Pending).into_iter().collect();
            let members: Vec<String> = wave.server_ids().filter(|id| pending.contains(*id)).cloned().collect();
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
                stranded.join(", ")
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
        self.emit(Event::RunDone { status: report.status, succeeded: c.succeeded, failed: c.failed, skipped: c.skipped, unknown: c.unknown });
    }

    /// Marks every server not yet sent as skipped, and records why the run stopped.
    fn stop_all(&self, status: RunStatus, detail: &str) {
        if status == RunStatus::Aborted {
            self.emit(Event::Aborted);
        }
        let word = if status == RunStatus::Aborted { "aborted" } else { skip_word(SkipReason::Halted) };
        for id in self.ids_with(Outcome::Pending) {
            self.finish(&id, Outcome::Skipped, Some(word), Some(detail.to_owned()));
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

    /// Reads every server not yet finished and compares it with the plan: a server whose
    /// state changed in a way that rules it out is skipped, and every change is reported.
    async fn recheck(&self) {
        let plan = self.plan();
        let (pending, unknown) = (self.ids_with(Outcome::Pending), self.ids_with(Outcome::Unknown));
        let in_progress = self.ids_with(Outcome::InProgress);
        let all: Vec<String> = pending.iter().chain(&unknown).chain(&in_progress).cloned().collect();
        let current = self.read_servers(&all).await;
        let our_jobs: HashSet<String> = self.report.borrow().job_ids.iter().cloned().collect();

        for id in &all {
            let Some(now_state) = current.get(id) else {
                // Could not be read: a pending server is not sent blind; an in-progress one is
                // still followed through its job.
                if !in_progress.contains(id) {
                    self.finish(id, Outcome::Unknown, Some("unreadable"), Some("its state could not be read".into()));
                }
                continue;
            };
            let Some(now_state) = now_state else {
                self.finish(id, Outcome::Skipped, Some(skip_word(SkipReason::NotFound)), Some("the server no longer exists".into()));
                continue;
            };
            // A job of this run on the server: follow it, never send again.
            if let Some(job) = now_state.job_id.as_ref().filter(|j| our_jobs.contains(*j)) {
                if let Some(server) = self.report.borrow_mut().server_mut(id) {
                    server.outcome = Outcome::InProgress;
                    server.job_id = Some(job.clone());
                }
                continue;
            }
            if in_progress.contains(id) {
                continue;
            }
            let (maybe_sent, holds_mark, job_before) = {
                let report = self.report.borrow();
                let server = report.server(id);
                let job_before = match server.and_then(|s| s.job_before.clone()) {
                    Some(job) => Some(job),
                    None => plan.snapshot_of(id).and_then(|p| p.job_id.clone()),
                };
                (server.is_some_and(ServerReport::maybe_sent), server.is_some_and(ServerReport::holds_run_mark), job_before)
            };
            if maybe_sent && self.adopt_unrecorded_job(id, now_state, job_before.as_ref()) {
                continue;
            }
            if let Some(server) = self.report.borrow_mut().server_mut(id) {
                server.job_before = now_state.job_id.clone();
                if unknown.contains(id) {
                    // Re-checked: no job of ours reached it, so it was never applied.
                    server.outcome = Outcome::Pending;
                    server.reason = None;
                }
            }
            let Some(before) = plan.snapshot_of(id) else { continue };
            // Maintenance this run set is no change: its wave drains the server again, or the
            // run lifts the mark if it will not update it.
            let seen = if holds_mark && now_state.in_maintenance() {
                ServerState { maintain_status: before.maintain_status, ..now_state.clone() }
            } else {
                now_state.clone()
            };
            let now_state = &seen;
            let changes = describe_changes(before, now_state);
            if changes.is_empty() {
                continue;
            }
            let group_moved = before.server_group_id != now_state.server_group_id;
            let rule = skip_reason(now_state, &plan.options);
            let skipped = group_moved || rule.is_some();
            let detail = format!("changed since the plan: {}", changes.join(", "));
            self.emit(Event::Changed { server_id: id.clone(), detail: detail.clone(), skipped });
            self.report.borrow_mut().notes.push(format!("server {id} {detail}"));
            if skipped {
                let word = match rule {
                    Some((reason, _)) if !group_moved => skip_word(reason),
                    _ => skip_word(SkipReason::Changed),
                };
                self.finish(id, Outcome::Skipped, Some(word), Some(detail));
            }
        }
    }

    /// For a server that a batch-update-tsvi call may have carried although no job of it was
    /// recorded (the run stopped between sending and recording the answer, or the answer was
    /// lost): a new TSVI job on it is this run's, and is followed instead of sending again.
    /// What cannot be told is left `unknown`. Returns whether the server was settled here.
    fn adopt_unrecorded_job(&self, id: &str, state: &ServerState, job_before: Option<&String>) -> bool {
        let new_job = state.job_id.clone().filter(|job| Some(job) != job_before);
        let tsvi = matches!(state.job_type, None | Some(JobType::UpdateServerTsvi));
        match new_job {
            Some(job) if tsvi => {
                let mut report = self.report.borrow_mut();
                if !report.job_ids.contains(&job) {
                    report.job_ids.push(job.clone());
                }
                report.notes.push(format!("server {id}: job {job} of this run found on it after an interrupted submission; followed, not sent again"));
                if let Some(server) = report.server_mut(id) {
                    server.outcome = Outcome::InProgress;
                    server.job_id = Some(job);
                    server.reason = None;
                    server.detail = None;
                }
                true
            }
            Some(job) => {
                let detail = format!("a job of another kind ({job}) ran on it after this run may have sent it");
                self.finish(id, Outcome::Unknown, Some("ambiguous"), Some(detail));
                true
            }
            None if state.task_status == Some(TaskStatus::UpdatingTsvi) => {
                self.finish(id, Outcome::Unknown, Some("ambiguous"), Some("it is being updated by no job this run knows".into()));
                true
            }
            None => false,
        }
    }

    /// The job id the server had when this run last read it before sending it.
    fn job_before(&self, id: &str) -> Option<String> {
        self.report.borrow().server(id).and_then(|s| s.job_before.clone())
    }

    /// Reads servers; `None` inside means the service says it does not exist, a missing key
    /// means it could not be read. Many servers are read by listing their groups (100 a page)
    /// rather than one call each.
    async fn read_servers(&self, ids: &[String]) -> HashMap<String, Option<ServerState>> {
        let mut out = HashMap::new();
        let mut one_by_one: Vec<&String> = ids.iter().collect();
        if ids.len() > LIST_INSTEAD_OF_SHOW {
            let wanted: HashSet<&String> = ids.iter().collect();
            let mut groups: Vec<String> = {
                let report = self.report.borrow();
                ids.iter().filter_map(|id| report.plan.snapshot_of(id)?.server_group_id.clone()).collect()
            };
            groups.sort_unstable();
            groups.dedup();
            for group in groups {
                let filter = Value::Object(vec![("server_group_id".into(), Value::String(group))]);
                // Each page is retried by the client's read policy.
                let listing = self.client.list_all_servers::<ServerState>(Some(&filter), 4, None, &|_, _| {}).await;
                for server in listing.map(|page| page.items).unwrap_or_default() {
                    if wanted.contains(&server.id) {
                        out.insert(server.id.clone(), Some(server));
                    }
                }
            }
            // Those not listed (gone, moved to another group, or on a page that failed) are
            // asked one by one.
            one_by_one.retain(|id| !out.contains_key(*id));
        }
        for chunk in one_by_one.chunks(8) {
            // Read straight into the few fields the engine uses, not the whole AppServer.
            let reads = chunk.iter().map(|id| async move { (id.to_string(), self.read(self.client.show_server::<ServerState>(id, None)).await) });
            for (id, result) in join_all(reads).await {
                match result {
                    Ok(server) => {
                        out.insert(id, Some(server));
                    }
                    Err(Error::Api(api)) if api.status == 404 => {
                        out.insert(id, None);
                    }
                    Err(_) => {}
                }
            }
        }
        out
    }

    /// A read (a GET). The client already retries it on anything that may pass (429, 5xx,
    /// timeouts, network errors) under its read policy, so it is not wrapped in a second loop
    /// here: attempts would multiply.
    async fn read<R>(&self, call: impl std::future::Future<Output = Result<crate::client::Answer<R>, Error>>) -> Result<R, Error> {
        call.await.map(|answer| answer.value)
    }

    /// A call that changes nothing when repeated (maintenance mode on or off): not a GET, so
    /// the client never retries it, but safe for the engine to send again.
    async fn idempotent_write<F, Fut>(&self, call: F) -> Result<(), Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<crate::client::Answer<()>, Error>>,
    {
        let mut attempt = 0;
        loop {
            match call().await {
                Ok(_) => return Ok(()),
                Err(error) => {
                    let passing = match &error {
                        Error::Api(api) => api.status == 429 || api.status >= 500,
                        Error::Timeout { .. } | Error::Network { .. } => true,
                        _ => false,
                    };
                    attempt += 1;
                    if !passing || attempt >= self.options.maintenance_attempts {
                        return Err(error);
                    }
                    let hint = if let Error::Api(api) = &error { api.retry_after_ms } else { None };
                    let delay = self.options.backoff.delay_with_hint_ms(attempt - 1, hint, &mut *self.rng.borrow_mut());
                    self.client.transport().sleep(delay).await;
                }
            }
        }
    }

    async fn run_wave(&self, wave: &Wave, members: Vec<String>) {
        self.emit(Event::WaveStarted { wave: wave.index, servers: members.len() });
        let plan = self.plan();
        let mut ready = members.clone();
        if plan.options.drain {
            ready = self.drain(wave.index, &members, plan.options.drain_timeout_ms).await;
        }
        if !ready.is_empty() {
            let batches: Vec<Vec<String>> = wave
                .batches
                .iter()
                .map(|b| b.iter().filter(|id| ready.contains(id)).cloned().collect::<Vec<_>>())
                .filter(|b| !b.is_empty())
                .collect();
            let sent = join_all(batches.into_iter().map(|batch| self.submit(wave.index, batch))).await;
            self.save();
            let jobs: Vec<(String, Vec<String>)> = sent.into_iter().flatten().collect();
            join_all(jobs.into_iter().map(|(job, ids)| self.follow_job(job, ids))).await;
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

    /// Puts the wave in maintenance, then waits until its sessions end or the deadline passes.
    /// Returns the servers to update (all of them unless the run was aborted meanwhile).
    ///
    /// The servers about to be marked are written to the report and handed to `onReport`
    /// before the mark is asked for, so that a run that stops anywhere after can be resumed
    /// without leaving them in maintenance. Servers in maintenance before are never marked.
    async fn drain(&self, wave: usize, ids: &[String], timeout_ms: u32) -> Vec<String> {
        self.emit(Event::DrainStarted { wave, servers: ids.len() });
        let started = now(self.client);
        let current = self.read_servers(ids).await;
        let sessions_before: BTreeMap<String, u32> =
            current.iter().map(|(id, s)| (id.clone(), s.as_ref().map_or(0, ServerState::sessions))).collect();
        let mut to_mark: Vec<String> = Vec::new();
        {
            let mut report = self.report.borrow_mut();
            for id in ids {
                let (Some(Some(state)), Some(server)) = (current.get(id), report.server_mut(id)) else { continue };
                server.job_before = state.job_id.clone();
                let ours = server.holds_run_mark();
                let drain = server.drain.get_or_insert_with(Drain::default);
                drain.sessions_before = state.sessions();
                if state.in_maintenance() && !ours {
                    drain.already_in_maintenance = true;
                } else {
                    // Our own mark from before an interruption is asked for again: it is
                    // idempotent, and the server may have lost it meanwhile.
                    *drain = Drain { marked_by_run: true, sessions_before: state.sessions(), ..Drain::default() };
                    to_mark.push(id.clone());
                }
            }
        }
        if !to_mark.is_empty() {
            self.save(); // the write-ahead entry: these servers are about to be marked
        }
        for chunk in to_mark.chunks(MAX_BATCH_ITEMS) {
            // Marking is idempotent, so it may be retried like a read.
            match self.idempotent_write(|| self.client.batch_change_maintain_mode(chunk, true, None)).await {
                Ok(()) => {
                    let at = now(self.client);
                    let mut report = self.report.borrow_mut();
                    for id in chunk {
                        if let Some(drain) = report.server_mut(id).and_then(|s| s.drain.as_mut()) {
                            drain.marked_at = Some(at);
                        }
                    }
                }
                // The call may still have reached the service: the servers stay recorded as
                // marked, and are lifted like the others (lifting is harmless if they are not).
                Err(error) => self.report.borrow_mut().notes.push(format!("could not put {} servers in maintenance: {error}", chunk.len())),
            }
        }
        if !to_mark.is_empty() {
            self.save();
        }
        let mut left: BTreeMap<String, u32> = sessions_before.clone();
        let deadline_passed = loop {
            left.retain(|_, n| *n > 0);
            if left.is_empty() || self.aborted() {
                break false;
            }
            if now(self.client).saturating_sub(started) >= timeout_ms as u64 {
                break true;
            }
            self.client.transport().sleep(self.options.poll_interval_ms).await;
            let ids: Vec<String> = left.keys().cloned().collect();
            for (id, state) in self.read_servers(&ids).await {
                if let Some(n) = left.get_mut(&id) {
                    *n = state.map_or(0, |s| s.sessions());
                }
            }
        };
        let waited_ms = now(self.client).saturating_sub(started);
        for id in ids {
            if let Some(server) = self.report.borrow_mut().server_mut(id) {
                let at_reboot = left.get(id).copied().unwrap_or(0);
                let drain = server.drain.get_or_insert_with(Drain::default);
                drain.sessions_before = sessions_before.get(id).copied().unwrap_or(0);
                drain.sessions_at_reboot = at_reboot;
                drain.waited_ms = waited_ms;
                drain.deadline_passed = deadline_passed && at_reboot > 0;
            }
        }
        let sessions_left = left.values().sum();
        self.emit(Event::DrainDone { wave, waited_ms, sessions_left, deadline_passed });
        if self.aborted() {
            Vec::new()
        } else {
            ids.to_vec()
        }
    }

    /// Takes out of maintenance the servers `which` selects that this run put in it (or may
    /// have), recording each lift once the service took it. Servers that were in maintenance
    /// before the run are never lifted. Returns the last error if some lift failed.
    async fn lift_marks(&self, which: impl Fn(&ServerReport) -> bool) -> Option<Error> {
        let marked: Vec<String> = self.report.borrow().servers.iter().filter(|s| s.holds_run_mark() && which(s)).map(|s| s.id.clone()).collect();
        let mut failure = None;
        for chunk in marked.chunks(MAX_BATCH_ITEMS) {
            match self.idempotent_write(|| self.client.batch_change_maintain_mode(chunk, false, None)).await {
                Ok(()) => {
                    let at = now(self.client);
                    {
                        let mut report = self.report.borrow_mut();
                        for id in chunk {
                            if let Some(drain) = report.server_mut(id).and_then(|s| s.drain.as_mut()) {
                                drain.lifted_at = Some(at);
                            }
                        }
                    }
                    self.save();
                }
                Err(error) => failure = Some(error),
            }
        }
        failure
    }

    /// Sends one batch until it is accepted, refused for good, or only unprovable servers are
    /// left. Returns the jobs to follow with their servers.
    async fn submit(&self, wave: usize, batch: Vec<String>) -> Vec<(String, Vec<String>)> {
        let mut jobs = Vec::new();
        let mut ids = batch;
        let mut resends = 0u32;
        while !ids.is_empty() {
            if self.aborted() {
                break; // Left pending; the run marks them skipped as aborted.
            }
            let attempt = self.mark_sent(&ids);
            // The write-ahead entry: a run that stops before the answer is recorded looks for
            // this call's job on these servers when it resumes, and never sends them blind.
            self.save();
            let items: Vec<UpdateTsvi> = {
                let report = self.report.borrow();
                ids.iter()
                    .map(|id| {
                        let state = report.plan.snapshot_of(id).cloned().unwrap_or_default();
                        UpdateTsvi { id: id.clone(), enable: report.plan.enable_for(&state) }
                    })
                    .collect()
            };
            let error = match self.client.batch_update_tsvi(&items, None).await {
                Ok(answer) => {
                    self.accepted(wave, &answer.value, &ids, attempt);
                    jobs.push((answer.value, ids));
                    break;
                }
                Err(error) => error,
            };
            let class = classify(&error);
            let (status, error_code, request_id) = match &error {
                Error::Api(api) => (Some(api.status), api.error_code.clone(), api.request_id.clone()),
                other => (None, other.code().to_owned(), None),
            };
            let message = error.to_string();
            self.emit(Event::BatchFailed { wave, server_ids: ids.clone(), attempt, class, status, error_code, message, request_id });
            match class {
                FailureClass::SafeToResend if resends < self.options.backoff.max_resends => {
                    let hint = if let Error::Api(api) = &error { api.retry_after_ms } else { None };
                    let delay = self.options.backoff.delay_with_hint_ms(resends, hint, &mut *self.rng.borrow_mut());
                    resends += 1;
                    self.client.transport().sleep(delay).await;
                }
                FailureClass::SafeToResend => {
                    for id in &ids {
                        self.fail_with(id, Outcome::Failed, "retries_exhausted", &error);
                    }
                    break;
                }
                FailureClass::Final => {
                    let status = status.unwrap_or(0);
                    let dropped = if status == 404 || status == 409 { self.drop_offenders(&ids).await } else { Vec::new() };
                    if dropped.is_empty() {
                        for id in &ids {
                            self.fail_with(id, Outcome::Failed, "refused", &error);
                        }
                        break;
                    }
                    ids.retain(|id| !dropped.contains(id));
                }
                FailureClass::Ambiguous => {
                    self.client.transport().sleep(self.options.poll_interval_ms).await;
                    let (applied, untouched, unknown) = self.resolve(&ids).await;
                    for (job, job_ids) in applied {
                        self.accepted(wave, &job, &job_ids, attempt);
                        jobs.push((job, job_ids));
                    }
                    for id in &unknown {
                        self.fail_with(id, Outcome::Unknown, "ambiguous", &error);
                    }
                    if untouched.is_empty() {
                        break;
                    }
                    if resends >= self.options.backoff.max_resends {
                        for id in &untouched {
                            self.fail_with(id, Outcome::Failed, "retries_exhausted", &error);
                        }
                        break;
                    }
                    resends += 1;
                    ids = untouched;
                }
            }
        }
        jobs
    }

    fn mark_sent(&self, ids: &[String]) -> u32 {
        let at = now(self.client);
        let mut report = self.report.borrow_mut();
        let mut attempt = 0;
        for id in ids {
            if let Some(server) = report.server_mut(id) {
                server.attempts += 1;
                server.submitted_at = Some(at);
                attempt = attempt.max(server.attempts);
            }
        }
        attempt
    }

    fn accepted(&self, wave: usize, job: &str, ids: &[String], attempt: u32) {
        {
            let mut report = self.report.borrow_mut();
            if !report.job_ids.iter().any(|j| j == job) {
                report.job_ids.push(job.to_owned());
            }
            for id in ids {
                if let Some(server) = report.server_mut(id) {
                    server.outcome = Outcome::InProgress;
                    server.job_id = Some(job.to_owned());
                }
            }
        }
        self.emit(Event::BatchSubmitted { wave, job_id: job.to_owned(), server_ids: ids.to_vec(), attempt });
        self.save();
    }

    /// After a 404 or 409: the servers that no longer exist or have a job running now are
    /// skipped with the reason; the caller resends the rest.
    async fn drop_offenders(&self, ids: &[String]) -> Vec<String> {
        let current = self.read_servers(ids).await;
        let mut dropped = Vec::new();
        for id in ids {
            match current.get(id) {
                Some(None) => {
                    self.finish(id, Outcome::Skipped, Some(skip_word(SkipReason::NotFound)), Some("the service no longer knows this server".into()));
                    dropped.push(id.clone());
                }
                Some(Some(state)) if state.has_running_job() => {
                    let detail = format!("job {} started meanwhile", state.job_id.as_deref().unwrap_or("?"));
                    self.finish(id, Outcome::Skipped, Some(skip_word(SkipReason::JobRunning)), Some(detail));
                    dropped.push(id.clone());
                }
                _ => {}
            }
        }
        dropped
    }

    /// After an ambiguous failure: which servers the batch reached (and through which job),
    /// which it provably did not, and which cannot be told.
    async fn resolve(&self, ids: &[String]) -> (Vec<(String, Vec<String>)>, Vec<String>, Vec<String>) {
        let current = self.read_servers(ids).await;
        let mut applied: Vec<(String, Vec<String>)> = Vec::new();
        let (mut untouched, mut unclear) = (Vec::new(), Vec::new());
        for id in ids {
            let before = self.job_before(id);
            match current.get(id) {
                Some(Some(state)) => {
                    let new_job = state.job_id.clone().filter(|job| Some(job) != before.as_ref());
                    let tsvi = matches!(state.job_type, None | Some(JobType::UpdateServerTsvi));
                    match new_job {
                        // A new TSVI job on the server: ours, the batch reached it.
                        Some(job) if tsvi => add_to_job(&mut applied, &job, id),
                        // A new job of another kind hides whether ours came first.
                        Some(_) => unclear.push(id.clone()),
                        None if state.task_status == Some(TaskStatus::UpdatingTsvi) => unclear.push(id.clone()),
                        None => untouched.push(id.clone()),
                    }
                }
                _ => unclear.push(id.clone()),
            }
        }
        // Servers mid-update with no new job id on them: look for them in recent sub-jobs.
        let mut unknown = Vec::new();
        if !unclear.is_empty() {
            let query = Value::Object(vec![
                ("job_type".into(), Value::String(JobType::UpdateServerTsvi.as_str().into())),
                ("limit".into(), Value::Number(100.0)),
            ]);
            let recent: Vec<SubJob> = self
                .read(self.client.list_sub_jobs::<ListSubJobsResponse>(Some(&query), None))
                .await
                .map(|page| page.items)
                .unwrap_or_default();
            for id in unclear {
                let before = self.job_before(&id);
                let found = recent
                    .iter()
                    .find(|sub| sub.server_id() == Some(id.as_str()) && sub.job_id.is_some() && sub.job_id != before)
                    .and_then(|sub| sub.job_id.clone());
                match found {
                    Some(job) => add_to_job(&mut applied, &job, &id),
                    None => unknown.push(id),
                }
            }
        }
        (applied, untouched, unknown)
    }

    /// Follows one job until each of its servers has finished, or the job timeout passes.
    async fn follow_job(&self, job: String, ids: Vec<String>) {
        let started = now(self.client);
        let mut open: Vec<String> = ids;
        while !open.is_empty() {
            self.client.transport().sleep(self.options.poll_interval_ms).await;
            let detail: Option<JobDetail> = self.read(self.client.show_job::<JobDetail>(&job, None)).await.ok();
            let mut subs: Vec<SubJob> = detail.as_ref().map(|d| d.sub_jobs.clone()).unwrap_or_default();
            if subs.is_empty() {
                subs = self.sub_jobs_of(&job).await;
            }
            for sub in &subs {
                let Some(id) = sub.server_id() else { continue };
                if !open.iter().any(|o| o == id) {
                    continue;
                }
                let Some(status) = &sub.status else { continue };
                let changed = {
                    let mut report = self.report.borrow_mut();
                    match report.server_mut(id) {
                        Some(server) if server.sub_job_status.as_deref() != Some(status.as_str()) => {
                            server.sub_job_status = Some(status.as_str().to_owned());
                            true
                        }
                        _ => false,
                    }
                };
                if changed {
                    self.emit(Event::ServerProgress { server_id: id.to_owned(), job_id: job.clone(), status: status.as_str().to_owned() });
                }
                if status.is_finished() {
                    let id = id.to_owned();
                    open.retain(|o| *o != id);
                    if status.is_failure() {
                        if let Some(server) = self.report.borrow_mut().server_mut(&id) {
                            server.error_code = sub.error_code.clone();
                            server.error_msg = sub.error_message.clone();
                        }
                        self.finish(&id, Outcome::Failed, Some("sub_job_failed"), None);
                    } else {
                        self.finish(&id, Outcome::Succeeded, None, None);
                    }
                }
            }
            let job_over = detail.as_ref().and_then(|d| d.status.as_ref()).is_some_and(|s| s.is_finished());
            if job_over && !open.is_empty() {
                // The job ended without a word on these servers.
                for id in std::mem::take(&mut open) {
                    self.finish(&id, Outcome::Unknown, Some("no_sub_job"), Some(format!("job {job} finished without a sub-job for this server")));
                }
            }
            if now(self.client).saturating_sub(started) >= self.options.job_timeout_ms as u64 {
                for id in std::mem::take(&mut open) {
                    self.finish(&id, Outcome::Unknown, Some("job_timeout"), Some(format!("job {job} was still running when the run stopped following it")));
                }
            }
        }
        self.save();
    }

    async fn sub_jobs_of(&self, job: &str) -> Vec<SubJob> {
        let mut all = Vec::new();
        let mut offset = 0u32;
        loop {
            let query = Value::Object(vec![
                ("job_id".into(), Value::String(job.to_owned())),
                ("offset".into(), Value::Number(offset as f64)),
                ("limit".into(), Value::Number(100.0)),
            ]);
            let Ok(page) = self.read(self.client.list_sub_jobs::<ListSubJobsResponse>(Some(&query), None)).await else { break };
            let got = page.items.len() as u32;
            all.extend(page.items);
            offset += got;
            if got == 0 || offset >= page.count {
                break;
            }
        }
        all
    }
}

/// Adds a server to the servers of a job, keeping jobs in the order they were met.
fn add_to_job(jobs: &mut Vec<(String, Vec<String>)>, job: &str, id: &str) {
    match jobs.iter_mut().find(|(j, _)| j == job) {
        Some((_, ids)) => ids.push(id.to_owned()),
        None => jobs.push((job.to_owned(), vec![id.to_owned()])),
    }
}

/// What differs between the planned and the current state, in words.
fn describe_changes(before: &ServerState, now: &ServerState) -> Vec<String> {
    let mut changes = Vec::new();
    if before.server_group_id != now.server_group_id {
        changes.push(format!(
            "group {} -> {}",
            before.server_group_id.as_deref().unwrap_or("none"),
            now.server_group_id.as_deref().unwrap_or("none")
        ));
    }
    if before.job_id != now.job_id {
        changes.push(format!("job {} -> {}", before.job_id.as_deref().unwrap_or("none"), now.job_id.as_deref().unwrap_or("none")));
    }
    if before.in_maintenance() != now.in_maintenance() {
        changes.push(format!("maintenance {} -> {}", before.in_maintenance(), now.in_maintenance()));
    }
    if before.vm_status != now.vm_status {
        let show = |s: &ServerState| s.vm_status.as_ref().map_or("none".to_owned(), |v| v.as_str().to_owned());
        changes.push(format!("vm_status {} -> {}", show(before), show(now)));
    }
    if before.has_running_job() != now.has_running_job() {
        changes.push(format!("busy with a task: {} -> {}", before.has_running_job(), now.has_running_job()));
    }
    changes
}
