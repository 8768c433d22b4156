//! batch-update-tsvi (reference §1): validated by the core crate's own rules, so client and
//! simulator agree on every 400; all or nothing on 404 and 409.

use super::{issues_error, parse_json};
use crate::error::ApiError;
use crate::gate::AppliedThen;
use crate::http::drop_connection;
use crate::sim::commands::{id_list, BatchRefusal};
use crate::sim::faults::Fault;
use crate::sim::ledger::LedgerNote;
use crate::sim::Simulator;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::sync::Arc;
use workspace_tsvi::json::Value;
use workspace_tsvi::model::BatchUpdateTsviResponse;
use workspace_tsvi::validate::validate_batch_request;

fn items_of(body: &Value) -> Vec<(String, bool)> {
    match body.get("items") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match (item.get("id"), item.get("enable")) {
                (Some(Value::String(id)), Some(Value::Bool(enable))) => Some((id.clone(), *enable)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub async fn batch_update_tsvi(
    State(sim): State<Arc<Simulator>>,
    applied_then: Option<Extension<AppliedThen>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let value = parse_json(&body)?;
    let issues = validate_batch_request(&value);
    if !issues.is_empty() {
        return Err(issues_error(&issues));
    }
    let now = sim.now_ms();
    let result = sim.world_mut().submit_tsvi(&items_of(&value), now);
    let (job_id, items) = match result {
        Ok(applied) => applied,
        Err(BatchRefusal::UnknownIds(unknown)) => {
            return Err(ApiError::not_found(format!(
                "The servers {} do not exist in this project; nothing was applied.",
                id_list(&unknown)
            )));
        }
        Err(BatchRefusal::JobRunning(busy)) => {
            let list: Vec<String> = busy.iter().map(|(server, job, kind)| format!("{server} (job {job}, {kind})")).collect();
            return Err(ApiError::conflict(format!("These servers already have a job running; nothing was applied: {}.", id_list(&list))));
        }
    };
    let fault = applied_then.map(|Extension(a)| a);
    let mut response = match fault {
        None => Json(BatchUpdateTsviResponse { job_id: Some(job_id.clone()) }).into_response(),
        Some(AppliedThen { drop: false }) => ApiError::internal().into_response(),
        Some(AppliedThen { drop: true }) => drop_connection(),
    };
    let fault_name = fault.map(|a| Fault::AppliedThen { drop: a.drop }.name());
    response.extensions_mut().insert(LedgerNote { job_id: Some(job_id), items, fault: fault_name });
    Ok(response)
}
