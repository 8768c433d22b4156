//! Client configuration: where to send calls and how to authenticate them.

use crate::json::Value;
use crate::sign::{is_access_key, is_header_name, is_header_value, AkSk};
use crate::validate::{check_unknown_fields, pointer, Issue};
use std::fmt;

pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
const MAX_TIMEOUT_MS: f64 = 600_000.0;
/// Response bodies larger than this fail the call (`maxResponseBytes`).
pub const DEFAULT_MAX_RESPONSE_BYTES: u32 = 16 * 1024 * 1024;
const MIN_MAX_RESPONSE_BYTES: f64 = 1024.0;
const MAX_MAX_RESPONSE_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;
const MAX_RETRY_ATTEMPTS: f64 = 10.0;
const MAX_RETRY_DELAY_MS: f64 = 600_000.0;

/// How idempotent calls (reads) are retried on 429, 5xx, timeouts and network errors.
/// batch-update-tsvi is never retried by the client, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub max_attempts: u32,
    /// The first backoff's ceiling; each retry doubles it (full jitter).
    pub base_ms: u32,
    /// No backoff ceiling grows past this (a longer `Retry-After` is still honoured).
    pub max_ms: u32,
}

/// A throttled read (429) backs off from this many times `base_ms`: a throttle clears more
/// slowly than a blip (the AWS SDKs use 100 ms and 500 ms the same way).
pub const THROTTLE_BASE_FACTOR: u32 = 5;

impl Default for RetryPolicy {
    /// Five attempts, from 100 ms for a blip and 500 ms for a throttle. With the doubling,
    /// a throttled read is tried again over up to 7.5 s (Huawei's advice for APIG.0308 is to
    /// retry after 2 to 5 s), and a `Retry-After` is honoured when it is longer.
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, base_ms: 100, max_ms: 20_000 }
    }
}

impl RetryPolicy {
    pub const OFF: RetryPolicy = RetryPolicy { max_attempts: 1, base_ms: 0, max_ms: 0 };

    /// The backoff after a failure; `throttled` for a 429.
    pub fn backoff(&self, throttled: bool) -> crate::backoff::Backoff {
        let base_ms = if throttled { self.base_ms.saturating_mul(THROTTLE_BASE_FACTOR) } else { self.base_ms };
        crate::backoff::Backoff { base_ms, cap_ms: self.max_ms, max_resends: self.max_attempts.saturating_sub(1) }
    }
}

/// Region ids and their endpoints (reference §8), as the official SDK ships them.
pub const REGIONS: &[(&str, &str)] = &[
    ("cn-north-9", "https://appstream.cn-north-9.myhuaweicloud.com"),
    ("cn-southwest-2", "https://appstream.cn-southwest-2.myhuaweicloud.com"),
    ("cn-north-4", "https://appstream.cn-north-4.myhuaweicloud.com"),
    ("cn-east-3", "https://appstream.cn-east-3.myhuaweicloud.com"),
    ("cn-south-1", "https://appstream.cn-south-1.myhuaweicloud.com"),
    ("la-south-2", "https://workspace.la-south-2.myhuaweicloud.com"),
    ("sa-brazil-1", "https://workspace.sa-brazil-1.myhuaweicloud.com"),
    ("la-north-2", "https://workspace.la-north-2.myhuaweicloud.com"),
    ("ap-southeast-3", "https://workspace.ap-southeast-3.myhuaweicloud.com"),
    ("ap-southeast-1", "https://workspace.ap-southeast-1.myhuaweicloud.com"),
    ("cn-east-5", "https://workspace.cn-east-5.myhuaweicloud.com"),
    ("me-east-1", "https://workspace.me-east-1.myhuaweicloud.com"),
    ("af-south-1", "https://workspace.af-south-1.myhuaweicloud.com"),
    ("tr-west-1", "https://workspace.tr-west-1.myhuaweicloud.com"),
    ("cn-north-11", "https://workspace.cn-north-11.myhuaweicloud.com"),
    ("af-north-1", "https://workspace.af-north-1.myhuaweicloud.com"),
    ("ap-southeast-2", "https://workspace.ap-southeast-2.myhuaweicloud.com"),
];

pub fn region_endpoint(region: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(id, _)| *id == region).map(|(_, endpoint)| *endpoint)
}

/// How calls authenticate. `Debug` never prints a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// An IAM token, sent as `X-Auth-Token`.
    Token(String),
    /// Signed with SDK-HMAC-SHA256.
    AkSk(AkSk),
    /// Nothing added: a gateway in front signs on the caller's behalf.
    None,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Auth::Token(_) => "Auth::Token(..)",
            Auth::AkSk(_) => "Auth::AkSk(..)",
            Auth::None => "Auth::None",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `scheme://host[:port]`, no trailing slash.
    pub origin: String,
    pub project_id: String,
    pub auth: Auth,
    pub timeout_ms: u32,
    /// Extra headers for every call.
    pub headers: Vec<(String, String)>,
    /// How reads are retried.
    pub retry: RetryPolicy,
    /// The largest response body read; past it the call fails.
    pub max_response_bytes: u32,
}

/// Headers the client owns; a caller may not set them through `headers`.
const RESERVED_HEADERS: &[&str] =
    &["authorization", "x-auth-token", "x-sdk-date", "x-security-token", "x-project-id", "host", "content-length"];

pub fn is_project_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks an endpoint URL and returns its origin. https always; http only for a loopback
/// host, unless `allow_insecure_http`. Messages never repeat the URL, which could carry
/// credentials in its user-info.
pub fn check_endpoint(endpoint: &str, allow_insecure_http: bool) -> Result<String, Issue> {
    let invalid = |code, message: &str| Issue::new("/endpoint", code, message);
    let url = crate::url_parts::parse(endpoint)
        .filter(|u| !u.host.is_empty())
        .ok_or_else(|| invalid("endpoint.invalid", "endpoint must be an absolute URL such as https://host"))?;
    if url.has_userinfo {
        return Err(invalid("endpoint.has_credentials", "endpoint must not contain a user name or password"));
    }
    if url.has_query || url.has_fragment || url.path != "/" {
        return Err(invalid("endpoint.has_path", "endpoint must be scheme://host[:port] with no path or query"));
    }
    match url.scheme.as_str() {
        "https" => {}
        "http" if url.is_loopback_host() || allow_insecure_http => {}
        "http" => {
            return Err(invalid(
                "endpoint.insecure",
                "endpoint must use https; http is allowed only for loopback hosts or with allowInsecureHttp",
            ))
        }
        _ => return Err(invalid("endpoint.invalid", "endpoint must be an http or https URL")),
    }
    Ok(url.origin())
}

fn non_empty_text<'a>(value: Option<&'a Value>, path: &str, code: &'static str, what: &str, issues: &mut Vec<Issue>) -> Option<&'a str> {
    match value {
        Some(Value::String(s)) if !s.is_empty() && is_header_value(s) => Some(s),
        _ => {
            issues.push(Issue::new(path, code, format!("{what} must be a non-empty string on one line")));
            None
        }
    }
}

fn parse_auth(value: Option<&Value>, issues: &mut Vec<Issue>) -> Option<Auth> {
    let Some(value) = value else {
        issues.push(Issue::new("/auth", "auth.missing", "auth is required: { token }, { ak, sk } or { none: true }"));
        return None;
    };
    let Some(fields) = value.as_object() else {
        issues.push(Issue::new("/auth", "auth.not_object", "auth must be an object"));
        return None;
    };
    check_unknown_fields(fields, &["token", "ak", "sk", "securityToken", "none"], "/auth", "auth.unknown_field", issues);
    let has = |key| value.get(key).is_some_and(|v| *v != Value::Null);
    let modes = [has("token"), has("ak") || has("sk") || has("securityToken"), has("none")];
    match modes.iter().filter(|m| **m).count() {
        0 => {
            issues.push(Issue::new("/auth", "auth.missing", "auth needs one of { token }, { ak, sk } or { none: true }"));
            return None;
        }
        1 => {}
        _ => {
            issues.push(Issue::new("/auth", "auth.ambiguous", "auth must give exactly one of token, ak/sk and none"));
            return None;
        }
    }
    if modes[0] {
        let token = non_empty_text(value.get("token"), "/auth/token", "auth.token.invalid", "token", issues)?;
        return Some(Auth::Token(token.to_owned()));
    }
    if modes[1] {
        let ak = non_empty_text(value.get("ak"), "/auth/ak", "auth.ak.invalid", "ak", issues).filter(|ak| {
            // The signer's own rule: an AK can add nothing to the `Authorization` line.
            let fits = is_access_key(ak);
            if !fits {
                issues.push(Issue::new("/auth/ak", "auth.ak.invalid", "ak may hold only letters, digits, -, _ and ."));
            }
            fits
        });
        let sk = non_empty_text(value.get("sk"), "/auth/sk", "auth.sk.invalid", "sk", issues);
        let security_token = match value.get("securityToken") {
            None | Some(Value::Null) => None,
            token => Some(non_empty_text(token, "/auth/securityToken", "auth.securityToken.invalid", "securityToken", issues)?),
        };
        return Some(Auth::AkSk(AkSk { ak: ak?.to_owned(), sk: sk?.to_owned(), security_token: security_token.map(str::to_owned) }));
    }
    match value.get("none") {
        Some(Value::Bool(true)) => Some(Auth::None),
        _ => {
            issues.push(Issue::new("/auth/none", "auth.none.invalid", "none must be true"));
            None
        }
    }
}

/// `retry`: `false` (off), `true` or absent (the default), or `{ maxAttempts, baseMs, maxMs }`
/// with the missing fields defaulted.
fn parse_retry(value: Option<&Value>, issues: &mut Vec<Issue>) -> RetryPolicy {
    let defaults = RetryPolicy::default();
    let fields = match value {
        None | Some(Value::Null) | Some(Value::Bool(true)) => return defaults,
        Some(Value::Bool(false)) => return RetryPolicy::OFF,
        Some(Value::Object(fields)) => fields,
        Some(_) => {
            issues.push(Issue::new("/retry", "retry.invalid", "retry must be false, true or { maxAttempts, baseMs, maxMs }"));
            return defaults;
        }
    };
    check_unknown_fields(fields, &["maxAttempts", "baseMs", "maxMs"], "/retry", "retry.unknown_field", issues);
    let mut whole = |key: &str, code: &'static str, low: f64, high: f64, default: u32| match value.and_then(|v| v.get(key)) {
        None | Some(Value::Null) => default,
        Some(Value::Number(n)) if n.fract() == 0.0 && (low..=high).contains(n) => *n as u32,
        Some(_) => {
            // The bounds are whole numbers: formatted as integers, so no float formatting code.
            let (low, high) = (low as u32, high as u32);
            issues.push(Issue::new(format!("/retry/{key}"), code, format!("{key} must be a whole number from {low} to {high}")));
            default
        }
    };
    let max_attempts = whole("maxAttempts", "retry.maxAttempts.out_of_range", 1.0, MAX_RETRY_ATTEMPTS, defaults.max_attempts);
    let base_ms = whole("baseMs", "retry.baseMs.out_of_range", 0.0, MAX_RETRY_DELAY_MS, defaults.base_ms);
    let max_ms = whole("maxMs", "retry.maxMs.out_of_range", 0.0, MAX_RETRY_DELAY_MS, defaults.max_ms.max(base_ms));
    if max_ms < base_ms {
        issues.push(Issue::new("/retry/maxMs", "retry.maxMs.below_base", "maxMs must be at least baseMs"));
    }
    RetryPolicy { max_attempts, base_ms, max_ms }
}

/// Reads and checks a client configuration, listing every problem at once.
pub fn parse_client_config(config: &Value) -> Result<ClientConfig, Vec<Issue>> {
    let mut issues = Vec::new();
    let Some(fields) = config.as_object() else {
        return Err(vec![Issue::new("", "config.not_object", "the configuration must be an object")]);
    };
    check_unknown_fields(
        fields,
        &["endpoint", "region", "projectId", "auth", "timeoutMs", "headers", "allowInsecureHttp", "retry", "maxResponseBytes"],
        "",
        "config.unknown_field",
        &mut issues,
    );

    let allow_insecure_http = match config.get("allowInsecureHttp") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            issues.push(Issue::new("/allowInsecureHttp", "allowInsecureHttp.not_boolean", "allowInsecureHttp must be true or false"));
            false
        }
    };
    let origin = match (config.get("endpoint"), config.get("region")) {
        (Some(_), Some(_)) => {
            issues.push(Issue::new("", "endpoint.conflict", "give endpoint or region, not both"));
            None
        }
        (None, None) => {
            issues.push(Issue::new("/endpoint", "endpoint.missing", "endpoint or region is required"));
            None
        }
        (Some(Value::String(endpoint)), None) => match check_endpoint(endpoint, allow_insecure_http) {
            Ok(origin) => Some(origin),
            Err(issue) => {
                issues.push(issue);
                None
            }
        },
        (Some(_), None) => {
            issues.push(Issue::new("/endpoint", "endpoint.invalid", "endpoint must be a string"));
            None
        }
        (None, Some(region)) => match region.as_str().and_then(region_endpoint) {
            Some(endpoint) => Some(endpoint.to_owned()),
            None => {
                issues.push(Issue::new("/region", "region.unknown", "region must be one of the Workspace APP regions, e.g. cn-north-4"));
                None
            }
        },
    };
    let project_id = match config.get("projectId") {
        Some(Value::String(id)) if is_project_id(id) => Some(id.clone()),
        Some(_) => {
            issues.push(Issue::new("/projectId", "projectId.invalid", "projectId must be 32 hexadecimal characters"));
            None
        }
        None => {
            issues.push(Issue::new("/projectId", "projectId.missing", "projectId is required"));
            None
        }
    };
    let auth = parse_auth(config.get("auth"), &mut issues);
    let timeout_ms = match config.get("timeoutMs") {
        None | Some(Value::Null) => DEFAULT_TIMEOUT_MS,
        Some(Value::Number(n)) if n.fract() == 0.0 && *n >= 1.0 && *n <= MAX_TIMEOUT_MS => *n as u32,
        Some(_) => {
            issues.push(Issue::new("/timeoutMs", "timeoutMs.out_of_range", "timeoutMs must be a whole number from 1 to 600000"));
            DEFAULT_TIMEOUT_MS
        }
    };
    let retry = parse_retry(config.get("retry"), &mut issues);
    let max_response_bytes = match config.get("maxResponseBytes") {
        None | Some(Value::Null) => DEFAULT_MAX_RESPONSE_BYTES,
        Some(Value::Number(n)) if n.fract() == 0.0 && (MIN_MAX_RESPONSE_BYTES..=MAX_MAX_RESPONSE_BYTES).contains(n) => *n as u32,
        Some(_) => {
            issues.push(Issue::new(
                "/maxResponseBytes",
                "maxResponseBytes.out_of_range",
                "maxResponseBytes must be a whole number from 1024 to 1073741824",
            ));
            DEFAULT_MAX_RESPONSE_BYTES
        }
    };
    let mut headers = Vec::new();
    match config.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(pairs)) => {
            for (name, value) in pairs {
                let path = pointer("/headers", name);
                if !is_header_name(name) {
                    issues.push(Issue::new(path, "headers.invalid_name", "not a valid header name"));
                } else if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    issues.push(Issue::new(path, "headers.reserved", format!("{name} is set by the client itself")));
                } else {
                    match value {
                        Value::String(v) if is_header_value(v) => headers.push((name.clone(), v.clone())),
                        _ => issues.push(Issue::new(path, "headers.invalid_value", "header values must be strings on one line")),
                    }
                }
            }
        }
        Some(_) => issues.push(Issue::new("/headers", "headers.not_object", "headers must be an object of strings")),
    }
    match (origin, project_id, auth) {
        (Some(origin), Some(project_id), Some(auth)) if issues.is_empty() => {
            Ok(ClientConfig { origin, project_id, auth, timeout_ms, headers, retry, max_response_bytes })
        }
        _ => Err(issues),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    const PROJECT: &str = "a4da8115c9d8464ead3a38309130523f";

    fn parse(text: &str) -> Result<ClientConfig, Vec<(String, &'static str)>> {
        let value: Value = json::from_str(text).unwrap();
        parse_client_config(&value).map_err(|issues| issues.into_iter().map(|i| (i.path, i.code)).collect())
    }

    #[test]
    fn a_region_and_a_token() {
        let config = parse(&format!(r#"{{"region":"cn-north-4","projectId":"{PROJECT}","auth":{{"token":"t"}}}}"#)).unwrap();
        assert_eq!(config.origin, "https://appstream.cn-north-4.myhuaweicloud.com");
        assert_eq!(config.auth, Auth::Token("t".into()));
        assert_eq!(config.timeout_ms, DEFAULT_TIMEOUT_MS);
    }

    #[test]
    fn every_region_endpoint_is_a_valid_https_endpoint() {
        for (_, endpoint) in REGIONS {
            assert_eq!(check_endpoint(endpoint, false).unwrap(), *endpoint);
        }
    }

    #[test]
    fn endpoints() {
        assert_eq!(check_endpoint("http://127.0.0.1:8780", false).unwrap(), "http://127.0.0.1:8780");
        assert_eq!(check_endpoint("http://localhost:8780/", false).unwrap(), "http://localhost:8780");
        assert_eq!(check_endpoint("http://[::1]:8780", false).unwrap(), "http://[::1]:8780");
        assert_eq!(check_endpoint("https://h.example:443", false).unwrap(), "https://h.example");
        assert_eq!(check_endpoint("http://10.0.0.5:8780", false).unwrap_err().code, "endpoint.insecure");
        assert_eq!(check_endpoint("http://10.0.0.5:8780", true).unwrap(), "http://10.0.0.5:8780");
        assert_eq!(check_endpoint("https://h/v1", false).unwrap_err().code, "endpoint.has_path");
        assert_eq!(check_endpoint("https://u:pw@h", false).unwrap_err().code, "endpoint.has_credentials");
        assert_eq!(check_endpoint("ftp://h", false).unwrap_err().code, "endpoint.invalid");
        assert_eq!(check_endpoint("h.example", false).unwrap_err().code, "endpoint.invalid");
        assert!(!check_endpoint("https://u:hunter2@h", false).unwrap_err().message.contains("hunter2"));
    }

    #[test]
    fn aksk_with_security_token_and_extra_headers() {
        let config = parse(&format!(
            r#"{{"endpoint":"https://h","projectId":"{PROJECT}","auth":{{"ak":"A","sk":"S","securityToken":"T"}},"timeoutMs":500,"headers":{{"X-Trace":"1"}}}}"#
        ))
        .unwrap();
        assert_eq!(config.auth, Auth::AkSk(AkSk { ak: "A".into(), sk: "S".into(), security_token: Some("T".into()) }));
        assert_eq!(config.timeout_ms, 500);
        assert_eq!(config.headers, vec![("X-Trace".to_string(), "1".to_string())]);
    }

    #[test]
    fn every_problem_is_listed() {
        let got = parse(r#"{"endpoint":"http://example.com","region":"cn-north-4","projectId":"xyz","auth":{"token":"t","ak":"a","sk":"s"},"timeoutMs":0,"headers":{"Authorization":"x","bad name":"v"},"colour":1}"#)
            .unwrap_err();
        assert_eq!(
            got,
            vec![
                ("/colour".into(), "config.unknown_field"),
                ("".into(), "endpoint.conflict"),
                ("/projectId".into(), "projectId.invalid"),
                ("/auth".into(), "auth.ambiguous"),
                ("/timeoutMs".into(), "timeoutMs.out_of_range"),
                ("/headers/Authorization".into(), "headers.reserved"),
                ("/headers/bad name".into(), "headers.invalid_name"),
            ]
        );
    }

    #[test]
    fn an_ak_that_could_inject_into_the_authorization_line_is_refused_up_front() {
        let with_ak = |ak: &str| parse(&format!(r#"{{"endpoint":"https://h","projectId":"{PROJECT}","auth":{{"ak":"{ak}","sk":"s"}}}}"#));
        assert!(with_ak("AK-1_x.y").is_ok());
        for ak in ["AK, Signature=0000", "AK\\r\\nX: 1", "A K"] {
            let issues = with_ak(ak).unwrap_err();
            assert!(issues.iter().any(|(path, code)| path == "/auth/ak" && *code == "auth.ak.invalid"), "{ak}: {issues:?}");
        }
    }

    #[test]
    fn retry_and_response_limits() {
        let with = |extra: &str| parse(&format!(r#"{{"endpoint":"https://h","projectId":"{PROJECT}","auth":{{"token":"t"}}{extra}}}"#));
        let config = with("").unwrap();
        assert_eq!(config.retry, RetryPolicy { max_attempts: 5, base_ms: 100, max_ms: 20_000 });
        assert_eq!(config.max_response_bytes, 16 * 1024 * 1024);
        assert_eq!(with(r#","retry":false"#).unwrap().retry.max_attempts, 1);
        assert_eq!(with(r#","retry":true"#).unwrap().retry, RetryPolicy::default());
        assert_eq!(
            with(r#","retry":{"maxAttempts":3,"baseMs":200,"maxMs":800},"maxResponseBytes":4096"#).map(|c| (c.retry, c.max_response_bytes)),
            Ok((RetryPolicy { max_attempts: 3, base_ms: 200, max_ms: 800 }, 4096))
        );
        assert_eq!(with(r#","retry":{"baseMs":30000}"#).unwrap().retry.max_ms, 30_000);
        assert_eq!(
            with(r#","retry":{"maxAttempts":0,"baseMs":1.5,"maxMs":-1,"jitter":1},"maxResponseBytes":10"#).unwrap_err(),
            vec![
                ("/retry/jitter".into(), "retry.unknown_field"),
                ("/retry/maxAttempts".into(), "retry.maxAttempts.out_of_range"),
                ("/retry/baseMs".into(), "retry.baseMs.out_of_range"),
                ("/retry/maxMs".into(), "retry.maxMs.out_of_range"),
                ("/maxResponseBytes".into(), "maxResponseBytes.out_of_range"),
            ]
        );
        assert_eq!(with(r#","retry":{"baseMs":500,"maxMs":100}"#).unwrap_err(), vec![("/retry/maxMs".into(), "retry.maxMs.below_base")]);
        assert_eq!(with(r#","retry":3"#).unwrap_err(), vec![("/retry".into(), "retry.invalid")]);
    }

    #[test]
    fn auth_modes() {
        let with_auth = |auth: &str| parse(&format!(r#"{{"endpoint":"https://h","projectId":"{PROJECT}","auth":{auth}}}"#));
        assert_eq!(with_auth(r#"{"none":true}"#).unwrap().auth, Auth::None);
        assert_eq!(with_auth("{}").unwrap_err(), vec![("/auth".into(), "auth.missing")]);
        assert_eq!(with_auth(r#"{"none":false}"#).unwrap_err(), vec![("/auth/none".into(), "auth.none.invalid")]);
        assert_eq!(with_auth(r#"{"ak":"a"}"#).unwrap_err(), vec![("/auth/sk".into(), "auth.sk.invalid")]);
        assert_eq!(with_auth(r#"{"token":""}"#).unwrap_err(), vec![("/auth/token".into(), "auth.token.invalid")]);
        assert_eq!(with_auth(r#"{"token":"a\nb"}"#).unwrap_err(), vec![("/auth/token".into(), "auth.token.invalid")]);
        assert_eq!(with_auth(r#""t""#).unwrap_err(), vec![("/auth".into(), "auth.not_object")]);
    }

    #[test]
    fn debug_never_prints_secrets() {
        let auth = Auth::AkSk(AkSk { ak: "A".into(), sk: "SECRET".into(), security_token: None });
        assert!(!format!("{auth:?}").contains("SECRET"));
        assert!(!format!("{:?}", Auth::Token("TOKEN".into())).contains("TOKEN"));
    }
}
