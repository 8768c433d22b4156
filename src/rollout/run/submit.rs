//! Submit and resolve: the never-reboot-twice logic, on its own so it can be reviewed alone.
//!
//! Invariants:
//! - Before every batch-update-tsvi call, the servers' `attempts` (and the `job_before` read
//!   earlier) are saved through `onReport`: a run that stops before the answer is recorded
//!   finds the call's job on the servers when it resumes, and never sends them blind.
//! - A call is sent again only when [`classify`] proves it was not applied (429, a 503 the
//!   service wrote, a connection refused before sending), within `backoff.max_resends`.
//! - An ambiguous failure is resolved by reading the servers: a new UPDATE_SERVER_TSVI job on a
//!   server is this run's (followed, never resent); a server provably untouched may be resent;
//!   anything else is `unknown`.
//! - A final refusal (404, 409) drops the servers the service no longer knows or that run
//!   another job, and resends the rest; other refusals fail the batch.

use super::{add_to_job, now, Event, Runner};
use crate::error::Error;
use crate::json::Value;
use crate::model::{JobType, ListSubJobsResponse, SubJob, TaskStatus, UpdateTsvi};
use crate::rollout::plan::{ServerState, SkipReason};
use crate::rollout::report::{FailReason, Outcome, UnknownReason};
use crate::rollout::retry::{classify, FailureClass};
use crate::transport::Transport;

impl<T: Transport> Runner<'_, T> {
    /// Sends one batch until it is accepted, refused for good, or only unprovable servers are
    /// left. Returns the jobs to follow with their servers.
    pub(super) async fn submit(&self, wave: usize, batch: Vec<String>) -> Vec<(String, Vec<String>)> {
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
                        self.fail_with(id, Outcome::Failed, FailReason::RetriesExhausted.into(), &error);
                    }
                    break;
                }
                FailureClass::Final => {
                    let status = status.unwrap_or(0);
                    let dropped = if status == 404 || status == 409 { self.drop_offenders(&ids).await } else { Vec::new() };
                    if dropped.is_empty() {
                        for id in &ids {
                            self.fail_with(id, Outcome::Failed, FailReason::Refused.into(), &error);
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
                        self.fail_with(id, Outcome::Unknown, UnknownReason::Ambiguous.into(), &error);
                    }
                    if untouched.is_empty() {
                        break;
                    }
                    if resends >= self.options.backoff.max_resends {
                        for id in &untouched {
                            self.fail_with(id, Outcome::Failed, FailReason::RetriesExhausted.into(), &error);
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
                    self.finish(
                        id,
                        Outcome::Skipped,
                        Some(SkipReason::NotFound.into()),
                        Some("the service no longer knows this server".into()),
                    );
                    dropped.push(id.clone());
                }
                Some(Some(state)) if state.has_running_job() => {
                    let detail = format!("job {} started meanwhile", state.job_id.as_deref().unwrap_or("?"));
                    self.finish(id, Outcome::Skipped, Some(SkipReason::JobRunning.into()), Some(detail));
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
                Some(Some(state)) => match sighting(state, before.as_ref()) {
                    Sighting::ReachedBy(job) => add_to_job(&mut applied, &job, id),
                    Sighting::OtherJob(_) | Sighting::UpdatingWithoutJob => unclear.push(id.clone()),
                    Sighting::Untouched => untouched.push(id.clone()),
                },
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
            let recent: Vec<SubJob> = Self::read(self.client.list_sub_jobs::<ListSubJobsResponse>(Some(&query), None).await)
                .map(|page| page.items)
                .unwrap_or_default();
            for id in unclear {
                match job_in_sub_jobs(&recent, &id, self.job_before(&id).as_ref()) {
                    Some(job) => add_to_job(&mut applied, &job, &id),
                    None => unknown.push(id),
                }
            }
        }
        (applied, untouched, unknown)
    }

    /// For a server that a batch-update-tsvi call may have carried although no job of it was
    /// recorded (the run stopped between sending and recording the answer, or the answer was
    /// lost): a new TSVI job on it is this run's, and is followed instead of sending again.
    /// What cannot be told is left `unknown`. Returns whether the server was settled here.
    pub(super) fn adopt_unrecorded_job(&self, id: &str, state: &ServerState, job_before: Option<&String>) -> bool {
        match sighting(state, job_before) {
            Sighting::ReachedBy(job) => {
                let mut report = self.report.borrow_mut();
                if !report.job_ids.contains(&job) {
                    report.job_ids.push(job.clone());
                }
                report.notes.push(format!(
                    "server {id}: job {job} of this run found on it after an interrupted submission; followed, not sent again"
                ));
                if let Some(server) = report.server_mut(id) {
                    server.outcome = Outcome::InProgress;
                    server.job_id = Some(job);
                    server.reason = None;
                    server.detail = None;
                }
                true
            }
            Sighting::OtherJob(job) => {
                let detail = format!("a job of another kind ({job}) ran on it after this run may have sent it");
                self.finish(id, Outcome::Unknown, Some(UnknownReason::Ambiguous.into()), Some(detail));
                true
            }
            Sighting::UpdatingWithoutJob => {
                self.finish(
                    id,
                    Outcome::Unknown,
                    Some(UnknownReason::Ambiguous.into()),
                    Some("it is being updated by no job this run knows".into()),
                );
                true
            }
            Sighting::Untouched => false,
        }
    }

    /// The job id the server had when this run last read it before sending it.
    pub(super) fn job_before(&self, id: &str) -> Option<String> {
        self.report.borrow().server(id).and_then(|s| s.job_before.clone())
    }
}

/// What a server read after a batch-update-tsvi call that may have carried it says about
/// that call. The one rule both a failed send and a resumed run decide by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sighting {
    /// A new UPDATE_SERVER_TSVI job (or a new job of no stated type): the call reached it, and
    /// this is the call's job, to follow and never to send again.
    ReachedBy(String),
    /// A new job of another kind: it hides whether the call came first.
    OtherJob(String),
    /// Being updated with no new job on it: cannot be told from its state.
    UpdatingWithoutJob,
    /// No new job and no update under way: the call did not reach it.
    Untouched,
}

/// Reads one server's state against the job it showed before the call (`job_before`).
pub(crate) fn sighting(state: &ServerState, job_before: Option<&String>) -> Sighting {
    let new_job = state.job_id.clone().filter(|job| Some(job) != job_before);
    let tsvi = matches!(state.job_type, None | Some(JobType::UpdateServerTsvi));
    match new_job {
        Some(job) if tsvi => Sighting::ReachedBy(job),
        Some(job) => Sighting::OtherJob(job),
        None if state.task_status == Some(TaskStatus::UpdatingTsvi) => Sighting::UpdatingWithoutJob,
        None => Sighting::Untouched,
    }
}

/// The job of a recent UPDATE_SERVER_TSVI sub-job for server `id` other than `job_before`: the
/// call's job, for a server whose state could not tell.
pub(crate) fn job_in_sub_jobs(recent: &[SubJob], id: &str, job_before: Option<&String>) -> Option<String> {
    recent
        .iter()
        .find(|sub| sub.server_id() == Some(id) && sub.job_id.is_some() && sub.job_id.as_ref() != job_before)
        .and_then(|sub| sub.job_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn state(job: Option<&str>, job_type: Option<JobType>, task: Option<TaskStatus>) -> ServerState {
        ServerState { id: "s".into(), job_id: job.map(str::to_owned), job_type, task_status: task, ..Default::default() }
    }

    #[test]
    fn what_a_server_read_after_a_send_says_about_it() {
        use Sighting::*;
        let before = Some("old".to_string());
        let tsvi = || Some(JobType::UpdateServerTsvi);
        let other = || Some(JobType::ReinstallOs);
        let cases = [
            (state(Some("new"), tsvi(), None), before.clone(), ReachedBy("new".into())),
            (state(Some("new"), None, None), before.clone(), ReachedBy("new".into())),
            (state(Some("new"), tsvi(), None), None, ReachedBy("new".into())),
            (state(Some("new"), other(), None), before.clone(), OtherJob("new".into())),
            (state(Some("old"), tsvi(), None), before.clone(), Untouched),
            (state(Some("old"), other(), None), before.clone(), Untouched),
            (state(None, None, None), before.clone(), Untouched),
            (state(None, None, None), None, Untouched),
            (state(Some("old"), tsvi(), Some(TaskStatus::UpdatingTsvi)), before.clone(), UpdatingWithoutJob),
            (state(None, None, Some(TaskStatus::UpdatingTsvi)), None, UpdatingWithoutJob),
            // A new job wins over the task status: the job is followed.
            (state(Some("new"), tsvi(), Some(TaskStatus::UpdatingTsvi)), before.clone(), ReachedBy("new".into())),
        ];
        for (server, before, want) in cases {
            assert_eq!(sighting(&server, before.as_ref()), want, "{server:?} before {before:?}");
        }
    }

    #[test]
    fn a_server_is_found_in_recent_sub_jobs_only_under_a_new_job() {
        let recent: Vec<SubJob> = json::from_str(
            r#"[{"job_id":"old","job_resource_info":{"resource_id":"s"}},{"job_id":null,"job_resource_info":{"resource_id":"s"}},{"job_id":"j1","job_resource_info":{"resource_id":"t"}},{"job_id":"j2","job_resource_info":{"resource_id":"s"}}]"#,
        )
        .unwrap();
        let before = Some("old".to_string());
        assert_eq!(job_in_sub_jobs(&recent, "s", before.as_ref()), Some("j2".into()));
        assert_eq!(job_in_sub_jobs(&recent, "s", None), Some("old".into()));
        assert_eq!(job_in_sub_jobs(&recent, "t", Some(&"j1".to_string())), None);
        assert_eq!(job_in_sub_jobs(&recent, "u", None), None);
    }
}
