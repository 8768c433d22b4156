//! What every answer goes through: a request id, the JSON body of errors, the security
//! headers, and a guard against cross-origin writes.

use crate::error::{codes, ApiError};
use crate::sim::prng::{format_uuid, mix};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
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
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        RequestIds { salt: mix(nanos ^ ((std::process::id() as u64) << 32)), counter: AtomicU64::new(0) }
    }
}

impl RequestIds {
    pub fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format_uuid(mix(self.salt ^ n), mix(self.salt.rotate_left(29) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }
}

/// What the outermost middleware needs: the request ids, and the `Host` values that name
/// this gateway (`None` when it listens on every address and cannot tell).
#[derive(Debug, Default)]
pub struct Common {
    pub request_ids: RequestIds,
    pub allowed_hosts: Option<Vec<String>>,
}

impl Common {
    pub fn new(bound: SocketAddr) -> Self {
        Common { request_ids: RequestIds::default(), allowed_hosts: allowed_hosts(bound) }
    }
}

/// The `Host` values that name a gateway bound to `bound`: its address and the loopback
/// names, with its port. A DNS-rebinding page reaches the gateway under a foreign name, so a
/// request carrying any other `Host` is refused. Listening on all addresses turns this off.
pub fn allowed_hosts(bound: SocketAddr) -> Option<Vec<String>> {
    let port = bound.port();
    (!bound.ip().is_unspecified()).then(|| {
        let ip = match bound {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        };
        vec![format!("{ip}:{port}"), format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")]
    })
}

/// Paths that answer only to the gateway's own page and tools: the API and `/_sim/`.
fn is_guarded_path(path: &str) -> bool {
    crate::api::is_api_path(path) || path == "/_sim" || path.starts_with("/_sim/")
}

/// A request a browser made for another site: its `Origin` is not this gateway, or
/// `Sec-Fetch-Site` says it was cross-site (`same-site` included: another port on localhost
/// is another program). Requests without either header are not from a browser page.
fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let origin = origin.as_bytes();
    origin != format!("http://{host}").as_bytes() && origin != format!("https://{host}").as_bytes()
}

/// An API path as the proxy may forward it: `/v1/{project}/…` or `/v2/{project}/…`, made of
/// plain segments only. Dot segments, empty segments, backslashes and percent-escapes (an
/// encoded dot, slash or backslash among them) are refused rather than normalized: the API's
/// path parameters are ids that never need them, and an upstream would resolve them into a
/// path outside the API after the signature was made.
pub fn is_clean_api_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/v1/").or_else(|| path.strip_prefix("/v2/")) else {
        return false;
    };
    let mut segments = rest.split('/');
    let plain = |s: &str| {
        !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    };
    segments.next().is_some_and(plain) && segments.next().is_some() && rest.split('/').all(plain)
}

/// Why the outermost guard refuses a request before any handler sees it, if it does.
fn refusal(common: &Common, request: &Request) -> Option<ApiError> {
    let headers = request.headers();
    let path = request.uri().path();
    if headers.get_all(header::HOST).iter().nth(1).is_some() {
        return Some(ApiError::new(StatusCode::BAD_REQUEST, codes::GUARD_BAD_REQUEST, "The request has more than one Host header."));
    }
    if let Some(allowed) = &common.allowed_hosts {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let authority = request.uri().authority().map(|a| a.as_str());
        let names_us = |name: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(name));
        if !names_us(host) || authority.is_some_and(|a| !names_us(a)) {
            return Some(ApiError::new(
                StatusCode::FORBIDDEN,
                codes::GUARD,
                "The Host header does not name this gateway; the request was refused.",
            ));
        }
    }
    if is_cross_origin_write(request.method(), headers) {
        return Some(ApiError::new(StatusCode::FORBIDDEN, codes::GUARD, "Cross-origin writes are refused."));
    }
    if is_guarded_path(path) && is_cross_site(headers) {
        return Some(ApiError::new(
            StatusCode::FORBIDDEN,
            codes::GUARD,
            "Cross-site requests are refused: the gateway answers only its own page and local tools.",
        ));
    }
    if crate::api::is_api_path(path) && !is_clean_api_path(path) {
        return Some(ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::GUARD_BAD_REQUEST,
            "The API path must be /v1/{project_id}/… or /v2/{project_id}/… with plain segments: no dot segments, empty segments, backslashes or percent-escapes.",
        ));
    }
    None
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
    let mut response = match refusal(&common, &request) {
        Some(error) => error.into_response(),
        None => next.run(request).await,
    };
    render_error_body(&mut response, &method, &id);
    let headers = response.headers_mut();
    if !headers.contains_key(&X_REQUEST_ID) {
        if let Ok(value) = HeaderValue::from_str(&id) {
            headers.insert(X_REQUEST_ID, value);
        }
    }
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// On every answer, the ones the connection guard writes itself included.
pub const SECURITY_HEADERS: [(HeaderName, &str); 3] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
];

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
                StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, codes::TOO_LARGE, "The request body is too large.")
                }
                status if status.is_client_error() => ApiError::new(status, codes::BAD_REQUEST, "The request is malformed."),
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
        assert!(!is_cross_origin_write(&Method::PATCH, &headers), "no Origin: not a browser");
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8780"));
        assert!(!is_cross_origin_write(&Method::PATCH, &headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(is_cross_origin_write(&Method::PATCH, &headers));
        assert!(!is_cross_origin_write(&Method::GET, &headers));
    }

    #[test]
    fn clean_api_paths() {
        for good in ["/v1/0a1b/app-servers", "/v1/p/app-servers/actions/batch-update-tsvi", "/v2/p/job/123", "/v1/p/app-servers/a.b-c_d~e"]
        {
            assert!(is_clean_api_path(good), "{good}");
        }
        for bad in [
            "/v1/",
            "/v1/p",
            "/v1/../_sim/faults",
            "/v1/p/../../admin",
            "/v1/%2e%2e/%2e%2e/admin",
            "/v1/.%2e/x",
            "/v1/..\\..\\x",
            "/v1/p/a%2Fb",
            "/v1/p/a%5cb",
            "/v1/p//x",
            "/v1/p/./x",
            "/v1/p/x/",
            "/v3/p/x",
            "/v1/p/\u{e9}",
        ] {
            assert!(!is_clean_api_path(bad), "{bad}");
        }
    }

    #[test]
    fn cross_site_requests_are_recognized() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8780"));
        assert!(!is_cross_site(&headers), "no browser headers: a local tool");
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!is_cross_site(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8780"));
        assert!(!is_cross_site(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(is_cross_site(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(is_cross_site(&headers));
        headers.remove("sec-fetch-site");
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(is_cross_site(&headers));
    }
}
