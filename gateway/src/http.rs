//! What every answer goes through: a request id, the JSON body of errors, the security
//! headers, and a guard against cross-origin writes.

use crate::error::{codes, ApiError};
use crate::sim::prng::{format_uuid, mix};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The id of the request being answered, as a request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Marks a response whose connection must be closed without sending it (fault injection).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// Marks a response relayed from the upstream: its status and body pass unchanged.
#[derive(Debug, Clone, Copy)]
pub struct Passthrough;

/// A response that drops the connection instead of answering.
pub fn drop_connection() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

/// UUID-shaped request ids: unique per process and hard to guess across runs.
#[derive(Debug)]
pub struct RequestIds {
    salt: u64,
    counter: AtomicU64,
}

impl Default for RequestIds {
    fn default() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        RequestIds {
            salt: mix(nanos ^ ((std::process::id() as u64) << 32)),
            counter: AtomicU64::new(0),
        }
    }
}

impl RequestIds {
    pub fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format_uuid(
            mix(self.salt ^ n),
            mix(self.salt.rotate_left(29) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        )
    }
}

#[derive(Debug, Default)]
pub struct Common {
    pub request_ids: RequestIds,
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A write from another origin: a browser on some other site posting to the gateway.
fn is_cross_origin_write(method: &Method, headers: &HeaderMap) -> bool {
    if is_safe(method) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    origin != format!("http://{host}") && origin != format!("https://{host}")
}

/// The outermost middleware.
pub async fn common(State(common): State<Arc<Common>>, mut request: Request, next: Next) -> Response {
    let id = common.request_ids.next();
    let method = request.method().clone();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = if is_cross_origin_write(request.method(), request.headers()) {
        ApiError::new(StatusCode::FORBIDDEN, codes::GUARD, "Cross-origin writes are refused.").into_response()
    } else {
        next.run(request).await
    };
    render_error_body(&mut response, &method, &id);
    let headers = response.headers_mut();
    if !headers.contains_key(&X_REQUEST_ID) {
        if let Ok(value) = HeaderValue::from_str(&id) {
            headers.insert(X_REQUEST_ID, value);
        }
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Gives every error answer the JSON body; upstream answers are left as they came.
fn render_error_body(response: &mut Response, method: &Method, request_id: &str) {
    let error = match response.extensions_mut().remove::<ApiError>() {
        Some(error) => error,
        None if response.status().is_client_error() || response.status().is_server_error() => {
            if response.extensions().get::<Passthrough>().is_some() {
                return;
            }
            // A rejection produced by the framework itself (a 405 from a method router, a
            // malformed path parameter): keep the status, give it our body.
            match response.status() {
                StatusCode::METHOD_NOT_ALLOWED => {
                    let mut error = ApiError::method_not_allowed(method.as_str(), "");
                    error.msg = format!("Method {method} is not allowed on this path.").into();
                    error
                }
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    codes::TOO_LARGE,
                    "The request body is too large.",
                ),
                status if status.is_client_error() => {
                    ApiError::new(status, codes::BAD_REQUEST, "The request is malformed.")
                }
                status => ApiError::new(status, codes::INTERNAL, "Internal server error."),
            }
        }
        None => return,
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.remove(header::CONTENT_LENGTH);
    *response.body_mut() = Body::from(error.body(request_id));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_uuids() {
        let ids = RequestIds::default();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn cross_origin_writes_are_recognized() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8780"));
        assert!(
            !is_cross_origin_write(&Method::PATCH, &headers),
            "no Origin: not a browser"
        );
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8780"));
        assert!(!is_cross_origin_write(&Method::PATCH, &headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(is_cross_origin_write(&Method::PATCH, &headers));
        assert!(!is_cross_origin_write(&Method::GET, &headers));
    }
}
