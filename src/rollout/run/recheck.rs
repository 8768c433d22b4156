//! Stale data: before anything is sent, every server not yet finished is read again and
//! compared with the plan.
//!
//! Invariants: a server that cannot be read is never sent blind (it becomes `unknown`); a server
//! carrying a job of this run is followed, never sent again; a server that a call of this run
//! may have carried is handed to [`Runner::adopt_unrecorded_job`](super::Runner) first; a
//! maintenance mark this run set is not a change; every change is an event and a note, and a
//! change that rules the server out skips it with the plan's own rule.

use super::{Event, Runner};
use crate::hash::HashSet;
use crate::rollout::plan::{skip_reason, ServerState, SkipReason};
use crate::rollout::report::{Outcome, ServerReport, UnknownReason};
use crate::transport::Transport;

impl<T: Transport> Runner<'_, T> {
    /// Reads every server not yet finished and compares it with the plan: a server whose
    /// state changed in a way that rules it out is skipped, and every change is reported.
    pub(super) async fn recheck(&self) {
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
                    self.finish(id, Outcome::Unknown, Some(UnknownReason::Unreadable.into()), Some("its state could not be read".into()));
                }
                continue;
            };
            let Some(now_state) = now_state else {
                self.finish(id, Outcome::Skipped, Some(SkipReason::NotFound.into()), Some("the server no longer exists".into()));
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
            let detail = format!("changed since the plan: {}", crate::text::join(&changes, ", "));
            self.emit(Event::Changed { server_id: id.clone(), detail: detail.clone(), skipped });
            self.report.borrow_mut().notes.push(format!("server {id} {detail}"));
            if skipped {
                let reason = match rule {
                    Some((reason, _)) if !group_moved => reason,
                    _ => SkipReason::Changed,
                };
                self.finish(id, Outcome::Skipped, Some(reason.into()), Some(detail));
            }
        }
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
