//! The simulated Workspace APP API: `/v1/{project_id}/...` and `/v2/{project_id}/job/...`.

pub mod batch;
pub mod groups;
pub mod jobs;
pub mod query;
pub mod servers;

use crate::error::ApiError;
use crate::gate::api_gate;
use crate::sim::Simulator;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, patch, MethodRouter};
use axum::Router;
use std::sync::Arc;
use workspace_tsvi::json::Value;
use workspace_tsvi::validate::Issue;

pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/v1/{project_id}/app-servers", only("GET", get(servers::list_servers)))
        .route("/v1/{project_id}/app-servers/{server_id}", only("GET", get(servers::show_server)))
        .route("/v1/{project_id}/app-servers/actions/batch-update-tsvi", only("PATCH", patch(batch::batch_update_tsvi)))
        .route("/v1/{project_id}/app-servers/actions/batch-maint", only("PATCH", patch(servers::batch_maint)))
        .route("/v1/{project_id}/app-server-groups", only("GET", get(groups::list_groups)))
        .route("/v1/{project_id}/app-server-groups/{server_group_id}", only("GET", get(groups::show_group)))
        .route("/v1/{project_id}/app-server-sub-jobs", only("GET", get(jobs::list_sub_jobs)))
        .route("/v2/{project_id}/job/{job_id}", only("GET", get(jobs::show_job)))
        .route_layer(from_fn_with_state(sim.clone(), api_gate))
        .with_state(sim)
}

/// Answers any other method with a JSON 405 that names the allowed one.
fn only(allow: &'static str, route: MethodRouter<Arc<Simulator>>) -> MethodRouter<Arc<Simulator>> {
    route.fallback(move |method: Method| async move { ApiError::method_not_allowed(method.as_str(), allow) })
}

/// Whether a path is in the API's space; one that no route takes is an API that does not
/// exist, refused before authentication as API Gateway does (see the static fallback).
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/v1/") || path.starts_with("/v2/")
}

/// Reads a JSON body into the core crate's untyped value, for its validators.
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON (line {}, column {}).", e.line(), e.column())))
}

/// One 400 for every problem found, each as `path (code): message`.
pub fn issues_error(issues: &[Issue]) -> ApiError {
    let text: Vec<String> =
        issues.iter().map(|i| format!("{} ({}): {}", if i.path.is_empty() { "body" } else { &i.path }, i.code, i.message)).collect();
    ApiError::bad_request(format!("The request is invalid: {}.", text.join("; ")))
}
