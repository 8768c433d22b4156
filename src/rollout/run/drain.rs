//! Drain: maintenance marks before a wave's reboot, the wait for sessions to end, and lifts.
//!
//! Crash-safety invariants:
//! - Write-ahead: a server's `drain.marked_by_run` is saved through `onReport` before the
//!   batch-maint call that marks it is sent; `marked_at` once the service confirmed it.
//! - A server in maintenance before the run (`already_in_maintenance`) is never marked nor
//!   lifted; the run's own mark from before an interruption is asked for again (idempotent).
//! - A mark whose call failed stays recorded (it may have landed) and is lifted like the others.
//! - `lifted_at` is written only once the service took the lift; until then resume lifts it.
//! - Maintenance calls are retried here (the client retries only GETs), with
//!   [`classify_read`]: they change nothing when repeated.

use super::{now, Event, Runner};
use crate::backoff::{classify_read, ReadRetry};
use crate::error::Error;
use crate::order::SortedMap;
use crate::rollout::plan::ServerState;
use crate::rollout::report::{Drain, ServerReport};
use crate::transport::Transport;
use crate::validate::MAX_BATCH_ITEMS;

impl<T: Transport> Runner<'_, T> {
    /// Maintenance mode on or off for `ids`: not a GET, so the client never retries it, but it
    /// changes nothing when repeated, so the engine sends it again while it may pass. One
    /// function for both directions (not a closure per call site: one state machine in the wasm).
    async fn set_maintenance(&self, ids: &[String], maintain: bool) -> Result<(), Error> {
        let mut attempt = 0;
        loop {
            match self.client.batch_change_maintain_mode(ids, maintain, None).await {
                Ok(_) => return Ok(()),
                Err(error) => {
                    attempt += 1;
                    if classify_read(&error) == ReadRetry::Final || attempt >= self.options.maintenance_attempts {
                        return Err(error);
                    }
                    let hint = if let Error::Api(api) = &error { api.retry_after_ms } else { None };
                    let delay = self.options.backoff.delay_with_hint_ms(attempt - 1, hint, &mut *self.rng.borrow_mut());
                    self.client.transport().sleep(delay).await;
                }
            }
        }
    }

    /// Puts the wave in maintenance, then waits until its sessions end or the deadline passes.
    /// Returns the servers to update (all of them unless the run was aborted meanwhile).
    ///
    /// The servers about to be marked are written to the report and handed to `onReport`
    /// before the mark is asked for, so that a run that stops anywhere after can be resumed
    /// without leaving them in maintenance. Servers in maintenance before are never marked.
    pub(super) async fn drain(&self, wave: usize, ids: &[String], timeout_ms: u32) -> Vec<String> {
        self.emit(Event::DrainStarted { wave, servers: ids.len() });
        let started = now(self.client);
        let current = self.read_servers(ids).await;
        let sessions_before: SortedMap<u32> =
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
            match self.set_maintenance(chunk, true).await {
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
        let mut left: SortedMap<u32> = sessions_before.clone();
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
    pub(super) async fn lift_marks(&self, which: impl Fn(&ServerReport) -> bool) -> Option<Error> {
        let marked: Vec<String> =
            self.report.borrow().servers.iter().filter(|s| s.holds_run_mark() && which(s)).map(|s| s.id.clone()).collect();
        let mut failure = None;
        for chunk in marked.chunks(MAX_BATCH_ITEMS) {
            match self.set_maintenance(chunk, false).await {
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
}
