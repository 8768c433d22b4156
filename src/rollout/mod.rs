//! Safe rollouts of batch-update-tsvi: plans in waves that respect each server group's
//! `maxUnavailable`, retries that never reboot a server twice, and a report that can resume.

pub mod plan;
pub mod retry;
pub mod report;
pub mod run;
