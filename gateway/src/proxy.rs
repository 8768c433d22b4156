//! Proxy mode: `/v1/*` and `/v2/*` go to a real region, signed here with the credentials of
//! the environment (`HUAWEICLOUD_SDK_AK`, `_SK`, `_PROJECT_ID`, `_SECURITY_TOKEN`), so keys
//! never reach the browser and the cloud endpoints need not answer CORS.
//!
//! Nothing the browser sends as a credential is forwarded: only the method, the path, the
//! query, the body and its content type. The upstream's status, body, `X-Request-Id` and
//! `Retry-After` come back as they are. A request that could not be connected is a 503 (it
//! was provably not sent, so a client may resend it); a timeout is a 504 and any other
//! transport failure a 502 (the request may have been applied).
//!
//! The outermost guard ([`crate::http`]) lets through only requests whose `Host` names the
//! gateway (this stops a DNS-rebinding page from borrowing the gateway's credentials), that no
//! other site's page sent, and whose path is a plain `/v1/{project}/…` or `/v2/{project}/…`.

use crate::error::{codes, ApiError};
use crate::http::Passthrough;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use workspace_tsvi::sign::{self, AkSk, SignInput};

pub const USER_AGENT: &str = concat!("workspace-tsvi-gateway/", env!("CARGO_PKG_VERSION"));
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_TIMEOUT_MS: u64 = 60_000;

/// What proxy mode needs. `Debug` hides the secret key.
#[derive(Clone)]
pub struct ProxyConfig {
    /// `scheme://host[:port]`.
    pub upstream: String,
    pub credentials: AkSk,
    pub project_id: Option<String>,
    pub timeout_ms: u64,
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("upstream", &self.upstream)
            .field("project_id", &self.project_id)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl ProxyConfig {
    /// Credentials from the variables the official SDKs read.
    pub fn from_env(upstream: String, timeout_ms: u64) -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let (Some(ak), Some(sk)) = (var("HUAWEICLOUD_SDK_AK"), var("HUAWEICLOUD_SDK_SK")) else {
            return Err("proxy mode signs with HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK; set both".into());
        };
        Ok(ProxyConfig {
            upstream,
            credentials: AkSk { ak, sk, security_token: var("HUAWEICLOUD_SDK_SECURITY_TOKEN") },
            project_id: var("HUAWEICLOUD_SDK_PROJECT_ID"),
            timeout_ms,
        })
    }
}

pub struct Proxy {
    config: ProxyConfig,
    client: reqwest::Client,
    max_body_bytes: usize,
}

impl Proxy {
    pub fn new(config: ProxyConfig, max_body_bytes: usize) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(Duration::from_millis(config.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| "the HTTP client could not be built".to_string())?;
        Ok(Proxy { config, client, max_body_bytes })
    }
}

pub fn router(proxy: Arc<Proxy>) -> Router {
    Router::new().route("/v1/{*rest}", any(forward)).route("/v2/{*rest}", any(forward)).with_state(proxy)
}

fn gateway_error(status: StatusCode, code: &'static str, msg: &'static str) -> Response {
    ApiError::new(status, code, msg).into_response()
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    // The outermost guard (crate::http) has checked the Host, the origin and the path's shape.
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, proxy.max_body_bytes).await else {
        return gateway_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::TOO_LARGE,
            "The request body is too large for an API call or could not be read.",
        );
    };
    let mut headers: Vec<(String, String)> = vec![("User-Agent".into(), USER_AGENT.into())];
    if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        headers.push(("Content-Type".into(), content_type.to_owned()));
    }
    if let Some(project) = &proxy.config.project_id {
        headers.push(("X-Project-Id".into(), project.clone()));
    }
    let query = sign::parse_wire_query(parts.uri.query().unwrap_or(""));
    let url = format!("{}{}", proxy.config.upstream, parts.uri.path());
    let sdk_date = sign::sdk_date_from_unix(crate::sim::clock::wall_ms() / 1000);
    let signed = match sign::sign(&SignInput {
        method: parts.method.as_str(),
        url: &url,
        query: &query,
        headers: &headers,
        body: &body,
        credentials: &proxy.config.credentials,
        sdk_date: &sdk_date,
    }) {
        Ok(signed) => signed,
        Err(e) => return ApiError::new(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, e.message()).into_response(),
    };

    let mut outgoing = proxy.client.request(parts.method.clone(), &signed.url);
    for (name, value) in &signed.headers {
        outgoing = outgoing.header(name, value);
    }
    if !body.is_empty() {
        outgoing = outgoing.body(body);
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(e) => return transport_error(&e),
    };
    let status = answer.status();
    let mut relayed = Vec::new();
    for name in [header::CONTENT_TYPE, header::RETRY_AFTER, crate::http::X_REQUEST_ID] {
        if let Some(value) = answer.headers().get(&name) {
            relayed.push((name, value.clone()));
        }
    }
    let bytes = match answer.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => return transport_error(&e),
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in relayed {
        response.headers_mut().insert(name, value);
    }
    response.headers_mut().entry(header::CONTENT_TYPE).or_insert(HeaderValue::from_static("application/json"));
    response.extensions_mut().insert(Passthrough);
    response
}

fn transport_error(e: &reqwest::Error) -> Response {
    // The error's text can name the upstream URL but never a credential; it is still kept
    // out of the answer, and only its kind is reported.
    if e.is_connect() {
        gateway_error(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::UPSTREAM_UNREACHABLE,
            "The upstream could not be reached; the request was not sent.",
        )
    } else if e.is_timeout() {
        gateway_error(
            StatusCode::GATEWAY_TIMEOUT,
            codes::UPSTREAM_TIMEOUT,
            "The upstream did not answer in time; the request may have been applied.",
        )
    } else {
        gateway_error(StatusCode::BAD_GATEWAY, codes::UPSTREAM_BAD, "The upstream connection failed; the request may have been applied.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let config = ProxyConfig {
            upstream: "https://x".into(),
            credentials: AkSk { ak: "AK".into(), sk: "SECRET".into(), security_token: Some("TOKEN".into()) },
            project_id: None,
            timeout_ms: 1,
        };
        let text = format!("{config:?}");
        assert!(!text.contains("SECRET") && !text.contains("TOKEN"), "{text}");
    }

    #[test]
    fn queries_are_decoded_for_resigning() {
        let pairs = sign::parse_wire_query("limit=10&server_name=a%20b");
        assert_eq!(pairs[1], ("server_name".to_string(), sign::QueryValue::Text("a b".into())));
    }
}
