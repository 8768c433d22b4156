//! The simulator's API pipeline, in the order a real gateway applies it: latency, then the
//! credential, the project, the rate limit, the read-only check, and the injected faults; then
//! the handler.
//! batch-update-tsvi requests are written to the ledger whatever their outcome.

use crate::auth;
use crate::error::ApiError;
use crate::http::{drop_connection, DropConnection, RequestId};
use crate::sim::faults::Fault;
use crate::sim::ledger::{ids_in_body, LedgerNote};
use crate::sim::rate_limit::Budget;
use crate::sim::Simulator;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// Tells the batch handler to apply and then fail (request extension).
#[derive(Debug, Clone, Copy)]
pub struct AppliedThen {
    pub drop: bool,
}

pub fn is_batch_update(method: &Method, path: &str) -> bool {
    *method == Method::PATCH
        && auth::path_project(path).is_some()
        && path.starts_with("/v1/")
        && path.ends_with("/app-servers/actions/batch-update-tsvi")
        && path.matches('/').count() == 5
}

pub async fn api_gate(State(sim): State<Arc<Simulator>>, request: Request, next: Next) -> Response {
    let latency = sim.latency_ms();
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let request_id = request.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let (parts, body) = request.into_parts();
    let batch = is_batch_update(&parts.method, parts.uri.path());
    let bytes = match axum::body::to_bytes(body, sim.max_api_body()).await {
        Ok(bytes) => bytes,
        Err(_) => {
            // Not in the ledger: nobody was authenticated.
            return ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                crate::error::codes::TOO_LARGE,
                format!("The request body is larger than {} bytes or could not be read.", sim.max_api_body()),
            )
            .into_response();
        }
    };
    let response = admit_and_run(&sim, parts, bytes.clone(), batch, next).await;
    // Only requests with a valid credential are recorded: unknown callers cannot fill it.
    if batch && response.extensions().get::<Authenticated>().is_some() {
        let status = if response.extensions().get::<DropConnection>().is_some() { 0 } else { response.status().as_u16() };
        let note = response.extensions().get::<LedgerNote>().cloned().unwrap_or_default();
        sim.record(request_id, status, ids_in_body(&bytes), note);
    }
    response
}

fn with_fault_note(mut response: Response, fault: Fault) -> Response {
    response.extensions_mut().insert(LedgerNote { fault: Some(fault.name()), ..Default::default() });
    response
}

/// Marks a response to a request whose credential was valid (response extension).
#[derive(Debug, Clone, Copy)]
struct Authenticated;

async fn admit_and_run(sim: &Simulator, parts: Parts, body: Bytes, batch: bool, next: Next) -> Response {
    let access = match auth::authenticate(&sim.credentials, &parts, &body, sim.now_ms()) {
        Ok(access) => access,
        Err(error) => return error.into_response(),
    };
    let mut response = authenticated(sim, access, parts, body, batch, next).await;
    response.extensions_mut().insert(Authenticated);
    response
}

async fn authenticated(sim: &Simulator, access: auth::Access, parts: Parts, body: Bytes, batch: bool, next: Next) -> Response {
    let project = auth::path_project(parts.uri.path()).unwrap_or("");
    if project != sim.credentials.project_id {
        return ApiError::not_found(format!("The project {} does not exist.", crate::error::quote(project))).into_response();
    }
    let Some(budget) = sim.take_budget(&credential_key(&parts)) else {
        return authorized(sim, access, parts, body, batch, next).await;
    };
    let mut response = match budget.retry_after_s {
        Some(retry_after_s) => {
            let mut refused = ApiError::rate_limited(budget.limit, retry_after_s).into_response();
            refused.extensions_mut().insert(LedgerNote { fault: Some("rate_limit"), ..Default::default() });
            refused
        }
        None => authorized(sim, access, parts, body, batch, next).await,
    };
    budget_headers(&mut response, &budget);
    response
}

/// The bucket a call draws from: its token, or the AK of its signature. Only called once the
/// credential is known good, so there are as many buckets as accepted credentials.
fn credential_key(parts: &Parts) -> String {
    if let Some(token) = parts.headers.get("x-auth-token") {
        return format!("token:{}", String::from_utf8_lossy(token.as_bytes()));
    }
    let authorization = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(workspace_tsvi::sign::Authorization::parse);
    format!("ak:{}", authorization.map(|a| a.access).unwrap_or_default())
}

pub const RATE_LIMIT_LIMIT: &str = "x-apig-ratelimit-limit";
pub const RATE_LIMIT_REMAINING: &str = "x-apig-ratelimit-remaining";
pub const RATE_LIMIT_RESET: &str = "x-apig-ratelimit-reset";
/// The same figures in the `remain:…,limit:…,time:…` form of API Gateway's debug headers.
pub const RATE_LIMIT_USER: &str = "x-apig-ratelimit-user";

fn budget_headers(response: &mut Response, budget: &Budget) {
    let headers = response.headers_mut();
    headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from(budget.limit));
    headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from(budget.remaining));
    headers.insert(RATE_LIMIT_RESET, HeaderValue::from(budget.reset_s));
    let user = format!("remain:{},limit:{},time:1 second", budget.remaining, budget.limit);
    if let Ok(value) = HeaderValue::from_str(&user) {
        headers.insert(RATE_LIMIT_USER, value);
    }
}

/// After the credential and the project: the read-only check, the faults, the handler.
async fn authorized(sim: &Simulator, access: auth::Access, mut parts: Parts, body: Bytes, batch: bool, next: Next) -> Response {
    if !access.allows(&parts.method) {
        return ApiError::forbidden("The IAM user is not authorized to access the API: the credential is read-only.").into_response();
    }
    let fault = sim.faults().draw(batch);
    match fault {
        Some(f @ Fault::TooManyRequests { retry_after_s }) => {
            return with_fault_note(ApiError::too_many_requests(retry_after_s).into_response(), f)
        }
        Some(f @ Fault::Internal) => return with_fault_note(ApiError::internal().into_response(), f),
        Some(f @ Fault::Unavailable) => return with_fault_note(ApiError::unavailable().into_response(), f),
        Some(f @ Fault::Reset) => return with_fault_note(drop_connection(), f),
        Some(Fault::AppliedThen { drop }) => {
            parts.extensions.insert(AppliedThen { drop });
        }
        None => {}
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_the_batch_path() {
        let p = "/v1/0123456789abcdef0123456789abcdef/app-servers/actions/batch-update-tsvi";
        assert!(is_batch_update(&Method::PATCH, p));
        assert!(!is_batch_update(&Method::PUT, p));
        assert!(!is_batch_update(&Method::PATCH, "/v1/p/app-servers/actions/batch-maint"));
        assert!(!is_batch_update(&Method::PATCH, "/v1/p/x/app-servers/actions/batch-update-tsvi"));
    }
}
