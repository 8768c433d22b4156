//! API errors and their JSON body `{"error_code","error_msg","request_id"}`.
//!
//! A handler returns an [`ApiError`]; its response carries the error as an extension, and
//! the outermost middleware ([`crate::http::common`]) writes the body once the request id is
//! known. Codes follow two families, as the real service does: `APIGW.*` for what API
//! Gateway decides (authentication, throttling, unknown APIs) and `WKS.*` for what the
//! Workspace service decides. The gateway's own proxy and guard errors use `GATEWAY.*` and
//! the test-control API `SIM.*`. The README lists them all.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

pub mod codes {
    pub const NO_SUCH_API: &str = "APIGW.0101";
    pub const BAD_AUTH: &str = "APIGW.0301";
    pub const FORBIDDEN: &str = "APIGW.0302";
    pub const THROTTLED: &str = "APIGW.0308";
    /// `--rate-limit`: the code API Gateway uses for throttling (APIG, not APIGW).
    pub const RATE_LIMITED: &str = "APIG.0308";
    pub const BAD_REQUEST: &str = "WKS.0400";
    pub const NOT_FOUND: &str = "WKS.0404";
    pub const METHOD_NOT_ALLOWED: &str = "WKS.0405";
    pub const CONFLICT: &str = "WKS.0409";
    pub const TOO_LARGE: &str = "WKS.0413";
    pub const INTERNAL: &str = "WKS.0500";
    pub const UNAVAILABLE: &str = "WKS.0503";
    pub const GUARD_BAD_REQUEST: &str = "GATEWAY.0400";
    pub const GUARD: &str = "GATEWAY.0403";
    pub const HEAD_TIMEOUT: &str = "GATEWAY.0408";
    pub const LENGTH_REQUIRED: &str = "GATEWAY.0411";
    pub const URI_TOO_LONG: &str = "GATEWAY.0414";
    pub const HEADERS_TOO_LARGE: &str = "GATEWAY.0431";
    pub const PAGE_NOT_FOUND: &str = "GATEWAY.0404";
    pub const UPSTREAM_BAD: &str = "GATEWAY.0502";
    pub const UPSTREAM_UNREACHABLE: &str = "GATEWAY.0503";
    pub const UPSTREAM_TIMEOUT: &str = "GATEWAY.0504";
    pub const SIM_BAD_REQUEST: &str = "SIM.0400";
    pub const SIM_NOT_FOUND: &str = "SIM.0404";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub msg: Cow<'static, str>,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
    /// For 405.
    pub allow: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, msg: impl Into<Cow<'static, str>>) -> Self {
        ApiError { status, code, msg: msg.into(), retry_after: None, allow: None }
    }

    pub fn bad_request(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, msg)
    }

    /// 401. `why` says which check failed and never contains a secret.
    pub fn unauthorized(why: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, codes::BAD_AUTH, format!("Incorrect IAM authentication information: {why}"))
    }

    pub fn forbidden(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, codes::FORBIDDEN, msg)
    }

    pub fn not_found(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, msg)
    }

    pub fn no_such_api() -> Self {
        Self::new(StatusCode::NOT_FOUND, codes::NO_SUCH_API, "The API does not exist or has not been published in the environment.")
    }

    pub fn method_not_allowed(method: &str, allow: &str) -> Self {
        let mut err = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            codes::METHOD_NOT_ALLOWED,
            format!("Method {method} is not allowed on this path; allowed: {allow}."),
        );
        err.allow = Some(allow.to_owned());
        err
    }

    pub fn conflict(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, codes::CONFLICT, msg)
    }

    pub fn too_many_requests(retry_after_s: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::THROTTLED,
            "The throttling threshold has been reached: policy user over ratelimit.",
        );
        err.retry_after = Some(retry_after_s);
        err
    }

    /// 429 from `--rate-limit`.
    pub fn rate_limited(limit: u32, retry_after_s: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            format!("The request is throttled: policy user over ratelimit, limit:{limit}, time:1 second."),
        );
        err.retry_after = Some(retry_after_s);
        err
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, "Internal server error.")
    }

    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, codes::UNAVAILABLE, "The service is temporarily unavailable; try again later.")
    }

    pub fn sim_bad_request(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, codes::SIM_BAD_REQUEST, msg)
    }

    /// The JSON body for this error.
    pub fn body(&self, request_id: &str) -> Vec<u8> {
        let body = serde_json::json!({ "error_code": self.code, "error_msg": self.msg, "request_id": request_id });
        body.to_string().into_bytes()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(allow) = self.allow.as_deref().and_then(|a| HeaderValue::from_str(a).ok()) {
            headers.insert(header::ALLOW, allow);
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// Cuts user input quoted in a message to a readable length.
pub fn quote(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}
