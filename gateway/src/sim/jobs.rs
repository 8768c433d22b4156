//! Jobs and sub-jobs, with their whole timeline fixed when they are created, so their state
//! at any simulated time is a pure function of the clock (reference §5.2, §5.3).

use super::clock::iso_from_ms;
use std::ops::Range;
use workspace_tsvi::model::{JobDetail, JobResourceInfo, JobStatus, JobType, SubJob, SubJobStatus, TaskStatus};

/// Where one sub-job is at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Waiting,
    Working,
    Rebooting,
    Succeeded,
    Failed,
}

impl Phase {
    pub fn sub_job_status(self) -> SubJobStatus {
        match self {
            Phase::Waiting => SubJobStatus::Waiting,
            Phase::Working | Phase::Rebooting => SubJobStatus::Running,
            Phase::Succeeded => SubJobStatus::Success,
            Phase::Failed => SubJobStatus::Failed,
        }
    }

    pub fn job_status(self) -> JobStatus {
        match self {
            Phase::Waiting => JobStatus::Waiting,
            Phase::Working | Phase::Rebooting => JobStatus::Running,
            Phase::Succeeded => JobStatus::Success,
            Phase::Failed => JobStatus::Failed,
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// One server's part of a job.
#[derive(Debug, Clone)]
pub struct SubJobRec {
    pub id: String,
    /// Index into `World::servers`.
    pub server: u32,
    pub start_ms: u64,
    /// When the work before the reboot ends (and when a failing sub-job fails).
    pub work_end_ms: u64,
    /// When the sub-job ends; equal to `work_end_ms` when there is no reboot.
    pub end_ms: u64,
    pub reboot: bool,
    pub failure: Option<Failure>,
    /// The task the server shows while the sub-job runs.
    pub task: TaskStatus,
    /// TSVI only: what the request asked, and what the group's `ip_virtual` made of it.
    pub enable_requested: Option<bool>,
    pub enable_effective: Option<bool>,
}

impl SubJobRec {
    pub fn phase(&self, now_ms: u64) -> Phase {
        if now_ms < self.start_ms {
            Phase::Waiting
        } else if now_ms < self.work_end_ms {
            Phase::Working
        } else if self.failure.is_some() {
            Phase::Failed
        } else if now_ms < self.end_ms {
            Phase::Rebooting
        } else {
            Phase::Succeeded
        }
    }

    /// The reboot window, if this sub-job reboots the server (failed ones do not).
    pub fn reboot_window(&self) -> Option<Range<u64>> {
        (self.reboot && self.failure.is_none()).then_some(self.work_end_ms..self.end_ms)
    }

    pub fn finished_at(&self) -> u64 {
        if self.failure.is_some() {
            self.work_end_ms
        } else {
            self.end_ms
        }
    }
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub job_type: JobType,
    pub created_ms: u64,
    pub subs: Vec<SubJobRec>,
}

impl Job {
    pub fn status(&self, now_ms: u64) -> JobStatus {
        let phases: Vec<Phase> = self.subs.iter().map(|s| s.phase(now_ms)).collect();
        if phases.iter().all(|p| *p == Phase::Waiting) {
            JobStatus::Waiting
        } else if !phases.iter().all(|p| p.is_finished()) {
            JobStatus::Running
        } else if phases.contains(&Phase::Failed) {
            JobStatus::Failed
        } else {
            JobStatus::Success
        }
    }

    pub fn end_ms(&self, now_ms: u64) -> Option<u64> {
        let status = self.status(now_ms);
        status.is_finished().then(|| self.subs.iter().map(SubJobRec::finished_at).max().unwrap_or(self.created_ms))
    }

    /// The `SubJobDetailInfo` of one sub-job; `server` gives the id and name of its server.
    pub fn sub_job_view(&self, sub: &SubJobRec, server: (&str, &str), project_id: &str, now_ms: u64) -> SubJob {
        let phase = sub.phase(now_ms);
        let extend_params = match (sub.enable_requested, sub.enable_effective) {
            (Some(requested), Some(effective)) => Some(format!(r#"{{"enable_requested":{requested},"enable_effective":{effective}}}"#)),
            _ => None,
        };
        let failure = (phase == Phase::Failed).then_some(sub.failure.as_ref()).flatten();
        SubJob {
            id: Some(sub.id.clone()),
            job_type: Some(self.job_type.clone()),
            job_resource_info: Some(JobResourceInfo {
                resource_id: Some(server.0.to_owned()),
                resource_name: Some(server.1.to_owned()),
                cloud_service_type: Some("hws.service.type.vdi".into()),
                resource_type: Some("hws.resource.type.workspace.appstream".into()),
                processed_time: phase.is_finished().then(|| iso_from_ms(sub.finished_at())),
                extend_params,
                ..Default::default()
            }),
            begin_time: Some(iso_from_ms(self.created_ms)),
            end_time: phase.is_finished().then(|| iso_from_ms(sub.finished_at())),
            status: Some(phase.sub_job_status()),
            error_code: failure.map(|f| f.code.clone()),
            error_message: failure.map(|f| f.message.clone()),
            project_id: Some(project_id.to_owned()),
            job_id: Some(self.id.clone()),
        }
    }

    pub fn detail(&self, sub_jobs: Vec<SubJob>, now_ms: u64) -> JobDetail {
        JobDetail {
            id: Some(self.id.clone()),
            job_type: Some(self.job_type.clone()),
            begin_time: Some(iso_from_ms(self.created_ms)),
            end_time: self.end_ms(now_ms).map(iso_from_ms),
            status: Some(self.status(now_ms)),
            sub_jobs_total: Some(self.subs.len() as u32),
            sub_jobs,
        }
    }
}

/// The task a server shows while a job of this type runs on it.
pub fn task_for(job_type: &JobType) -> TaskStatus {
    match job_type {
        JobType::UpdateServerTsvi => TaskStatus::UpdatingTsvi,
        JobType::UpgradeAccessAgent => TaskStatus::UpgradingAccessAgent,
        JobType::RejoinDomain => TaskStatus::RejoiningDomain,
        JobType::ReinstallOs | JobType::ChangeServerImage => TaskStatus::Rebuilding,
        JobType::MigrateServer => TaskStatus::Migrating,
        JobType::BatchInstallApp => TaskStatus::InstallingApp,
        _ => TaskStatus::Scheduling,
    }
}

/// The task a server keeps after a failed job of this type.
pub fn failed_task_for(job_type: &JobType) -> Option<TaskStatus> {
    match job_type {
        JobType::UpdateServerTsvi => Some(TaskStatus::UpdatingTsviFailed),
        JobType::UpgradeAccessAgent => Some(TaskStatus::UpgradAccessAgentFail),
        JobType::BatchInstallApp => Some(TaskStatus::InstallAppFailed),
        _ => None,
    }
}

/// Job and sub-job ids: 18-digit numeric strings like the service's (`575768277444198400`).
/// New jobs get a timestamp in the high bits and a sequence number in the low ones, so ids
/// never repeat, not even across resets; the jobs of the seeded world get ids from the seed
/// alone (above any timestamp id for decades), so a reset gives them back unchanged.
#[derive(Debug)]
pub struct JobIds {
    seq: u64,
    seeded_base: u64,
}

impl JobIds {
    pub fn new(seed: u64) -> Self {
        let mixed = super::prng::mix(seed);
        JobIds { seq: mixed % 1024, seeded_base: 575_768_277_444_198_400 + (mixed % 1_000_000) * 1_000 }
    }

    /// The next id of the seeded world's jobs.
    pub fn next_seeded(&mut self) -> String {
        self.seeded_base += 1;
        self.seeded_base.to_string()
    }

    pub fn next(&mut self, now_ms: u64) -> String {
        // Milliseconds since 2015-01-01 shifted like a snowflake id, then a sequence number.
        const EPOCH_MS: u64 = 1_420_070_400_000;
        self.seq = self.seq.wrapping_add(1);
        let ticks = now_ms.saturating_sub(EPOCH_MS) / 8;
        ((ticks << 22) | (self.seq & 0x3F_FFFF)).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(failure: bool, reboot: bool) -> SubJobRec {
        SubJobRec {
            id: "1".into(),
            server: 0,
            start_ms: 100,
            work_end_ms: 200,
            end_ms: if reboot { 300 } else { 200 },
            reboot,
            failure: failure.then(|| Failure { code: "WKS.1204".into(), message: "no".into() }),
            task: TaskStatus::UpdatingTsvi,
            enable_requested: Some(true),
            enable_effective: Some(false),
        }
    }

    #[test]
    fn phases_follow_the_timeline() {
        let s = sub(false, true);
        assert_eq!(
            [0, 100, 199, 200, 299, 300].map(|t| s.phase(t)),
            [Phase::Waiting, Phase::Working, Phase::Working, Phase::Rebooting, Phase::Rebooting, Phase::Succeeded]
        );
        let f = sub(true, true);
        assert_eq!([150, 200, 1000].map(|t| f.phase(t)), [Phase::Working, Phase::Failed, Phase::Failed]);
        assert_eq!(f.reboot_window(), None);
        assert_eq!(sub(false, false).phase(200), Phase::Succeeded);
    }

    #[test]
    fn job_status_summarizes_sub_jobs() {
        let job = Job { id: "j".into(), job_type: JobType::UpdateServerTsvi, created_ms: 0, subs: vec![sub(false, true), sub(true, true)] };
        assert_eq!(job.status(50), JobStatus::Waiting);
        assert_eq!(job.status(250), JobStatus::Running);
        assert_eq!(job.status(300), JobStatus::Failed);
        assert_eq!(job.end_ms(300), Some(300));
        assert_eq!(job.end_ms(250), None);
    }

    #[test]
    fn job_ids_are_numeric_and_unique() {
        let mut ids = JobIds::new(1);
        let (a, b) = (ids.next(1_700_000_000_000), ids.next(1_700_000_000_000));
        assert_ne!(a, b);
        assert!(a.len() >= 18 && a.bytes().all(|c| c.is_ascii_digit()), "{a}");
    }
}
