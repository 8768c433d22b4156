//! Following jobs: polling a job (and its sub-jobs when the detail lists none) until each of
//! its servers has finished, at the times [`super::poll`] picks.
//!
//! Invariants: a server is finished only by its own sub-job (succeeded or failed), by the job
//! ending without a word on it (`unknown`), or by the job timeout (`unknown`); progress is an
//! event only when a server's sub-job status changes; the report is saved when the job is done.

use super::{now, Event, Runner};
use crate::json::Value;
use crate::model::{JobDetail, ListSubJobsResponse, SubJob};
use crate::rollout::report::{FailReason, Outcome, UnknownReason};
use crate::transport::Transport;

impl<T: Transport> Runner<'_, T> {
    /// Follows one job until each of its servers has finished, or the job timeout passes.
    /// `just_accepted`: the job was accepted now, so how long it runs teaches the poll
    /// schedule (a job of an earlier attempt, followed on resume, does not).
    pub(super) async fn follow_job(&self, job: String, ids: Vec<String>, just_accepted: bool) {
        let started = now(self.client);
        let mut open: Vec<String> = ids;
        // How long after `started` a poll last found the job running.
        let mut last_running_ms = 0;
        let mut timed_out = false;
        while !open.is_empty() {
            let delay = self.polls.borrow().next_delay_ms(now(self.client).saturating_sub(started));
            self.client.transport().sleep(delay).await;
            let polled_at_ms = now(self.client).saturating_sub(started);
            let detail: Option<JobDetail> = Self::read(self.client.show_job::<JobDetail>(&job, None).await).ok();
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
                        self.finish(&id, Outcome::Failed, Some(FailReason::SubJobFailed.into()), None);
                    } else {
                        self.finish(&id, Outcome::Succeeded, None, None);
                    }
                }
            }
            let job_over = detail.as_ref().and_then(|d| d.status.as_ref()).is_some_and(|s| s.is_finished());
            if job_over && !open.is_empty() {
                // The job ended without a word on these servers.
                for id in std::mem::take(&mut open) {
                    self.finish(
                        &id,
                        Outcome::Unknown,
                        Some(UnknownReason::NoSubJob.into()),
                        Some(format!("job {job} finished without a sub-job for this server")),
                    );
                }
            }
            if !open.is_empty() {
                last_running_ms = polled_at_ms;
            }
            if now(self.client).saturating_sub(started) >= self.options.job_timeout_ms as u64 {
                timed_out = !open.is_empty();
                for id in std::mem::take(&mut open) {
                    self.finish(
                        &id,
                        Outcome::Unknown,
                        Some(UnknownReason::JobTimeout.into()),
                        Some(format!("job {job} was still running when the run stopped following it")),
                    );
                }
            }
        }
        if just_accepted && !timed_out {
            self.polls.borrow_mut().job_done(last_running_ms);
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
            let Ok(page) = Self::read(self.client.list_sub_jobs::<ListSubJobsResponse>(Some(&query), None).await) else { break };
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
