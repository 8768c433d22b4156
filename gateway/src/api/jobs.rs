//! The v2 ShowJobDetail and ListSubJobs (reference §5.2, §5.3).

use crate::api::query::Query;
use crate::error::{quote, ApiError};
use crate::sim::filters::SubJobFilter;
use crate::sim::Simulator;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use std::sync::Arc;
use workspace_tsvi::model::{JobDetail, JobType, ListSubJobsResponse, SubJobStatus};

/// The `job_type` values ListSubJobs documents.
const SUB_JOB_TYPES: &[&str] = &[
    "CREATE_SERVER",
    "DELETE_SERVER",
    "REJOIN_DOMAIN",
    "CHANGE_SERVER_IMAGE",
    "REINSTALL_OS",
    "MIGRATE_SERVER",
    "UPDATE_SERVER_TSVI",
    "UPGRADE_ACCESS_AGENT",
    "SCHEDULED_TASK",
    "UPDATE_FREEZE_STATUS",
];

pub async fn show_job(State(sim): State<Arc<Simulator>>, Path((_, job_id)): Path<(String, String)>) -> Result<Json<JobDetail>, ApiError> {
    let now = sim.now_ms();
    sim.world().job_detail(&job_id, now).map(Json).ok_or_else(|| ApiError::not_found(format!("The job {} does not exist.", quote(&job_id))))
}

/// Without `job_type` every type is listed (the SDK model marks it required, but the
/// service's behaviour without it is undocumented; listing all is the lenient reading).
pub async fn list_sub_jobs(State(sim): State<Arc<Simulator>>, RawQuery(raw): RawQuery) -> Result<Json<ListSubJobsResponse>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let (offset, limit) = (q.offset()?, q.limit()?);
    let job_type = match q.text("job_type") {
        Some(t) if SUB_JOB_TYPES.contains(&t.as_str()) => Some(JobType::parse(&t)),
        Some(t) => {
            return Err(ApiError::bad_request(format!(
                "The parameter job_type must be one of {}, not {}.",
                SUB_JOB_TYPES.join(", "),
                quote(&t)
            )));
        }
        None => None,
    };
    let status = match q.text("status") {
        Some(s) => match SubJobStatus::parse(&s) {
            SubJobStatus::Unknown(_) => {
                return Err(ApiError::bad_request(format!(
                    "The parameter status must be WAITING, RUNNING, SUCCESS, FAILED, ABNORMAL, ROLLBACK or ABORTING, not {}.",
                    quote(&s)
                )));
            }
            known => Some(known),
        },
        None => None,
    };
    let filter = SubJobFilter { job_type, job_id: q.text("job_id"), status };
    let now = sim.now_ms();
    let (count, items) = sim.world().list_sub_jobs(&filter, offset, limit, now);
    Ok(Json(ListSubJobsResponse { count: count as u32, items }))
}
