//! The error taxonomy every call reports through, and the reading of API error bodies.
//!
//! Six kinds, each with a stable `code`: `validation`, `auth` (401/403), `service` (any other
//! error status), `timeout`, `network` and `aborted`. The bindings turn each into a JS `Error`
//! whose `name` is `ValidationError`, `ApiError`, `TimeoutError`, `NetworkError` or
//! `AbortError`. No variant ever holds a token, a secret key or an `Authorization` value.

use crate::json::{self, Value};
use crate::validate::Issue;
use std::fmt;

/// Raw bodies kept on an error are cut to this many bytes.
pub const MAX_KEPT_BODY: usize = 2048;

/// An error status from the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub error_code: String,
    pub error_msg: String,
    pub request_id: Option<String>,
    /// APIG's `encoded_authorization_message`, present on some 403s.
    pub encoded_authorization_message: Option<String>,
    /// The raw body, cut to 2 KB, when it was not JSON or had no error code.
    pub body: Option<String>,
    /// What `Retry-After` asked for, in milliseconds.
    pub retry_after_ms: Option<u32>,
    /// When the client corrected its signing clock for this call and it still failed: the
    /// correction, in milliseconds (the service's clock minus the local one).
    pub clock_skew_ms: Option<i64>,
}

impl ApiError {
    /// Reads an error answer the way the official SDK does: the first of the pairs
    /// `error_code`/`error_msg`, `errorCode`/`errorMsg`, `code`/`message` found in the body
    /// (searching nested objects too); else the status as the code and the body as the message.
    pub fn from_response(status: u16, body: &str, request_id: Option<String>) -> ApiError {
        let parsed: Option<Value> = match json::from_str(body) {
            Ok(value) => Some(value),
            Err(json::CodecError::TooDeep) => {
                return ApiError::unreadable(
                    status,
                    "response.invalid",
                    "the service answered with an error body nested too deep to read",
                    request_id,
                    body,
                )
            }
            Err(_) => None,
        };
        let found = parsed.as_ref().and_then(find_error_pair);
        let encoded_authorization_message =
            parsed.as_ref().and_then(|v| v.get("encoded_authorization_message")).and_then(Value::as_str).map(str::to_owned);
        let request_id = request_id
            .filter(|id| !id.is_empty())
            .or_else(|| parsed.as_ref().and_then(|v| v.get("request_id")).and_then(Value::as_str).map(str::to_owned));
        let kept = truncate(body, MAX_KEPT_BODY).to_owned();
        let (error_code, error_msg, body) = match found {
            Some((code, msg)) if !code.is_empty() => {
                let msg = if msg.is_empty() { kept.clone() } else { msg };
                (code, msg, None)
            }
            _ => (status.to_string(), kept.clone(), Some(kept).filter(|b| !b.is_empty())),
        };
        ApiError {
            status,
            error_code,
            error_msg,
            request_id,
            encoded_authorization_message,
            body,
            retry_after_ms: None,
            clock_skew_ms: None,
        }
    }

    /// Builds an error for an answer this client could not use, keeping the raw body.
    pub fn unreadable(status: u16, error_code: &str, error_msg: &str, request_id: Option<String>, body: &str) -> ApiError {
        ApiError {
            status,
            error_code: error_code.into(),
            error_msg: error_msg.into(),
            request_id,
            encoded_authorization_message: None,
            body: Some(truncate(body, MAX_KEPT_BODY).to_owned()).filter(|b| !b.is_empty()),
            retry_after_ms: None,
            clock_skew_ms: None,
        }
    }

    pub fn is_auth(&self) -> bool {
        matches!(self.status, 401 | 403)
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some((*n as i64).to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

fn find_error_pair(value: &Value) -> Option<(String, String)> {
    let fields = value.as_object()?;
    for (code_key, msg_key) in [("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message")] {
        if let (Some(code), Some(msg)) = (value.get(code_key), value.get(msg_key)) {
            return Some((scalar_text(code).unwrap_or_default(), scalar_text(msg).unwrap_or_default()));
        }
    }
    fields.iter().find_map(|(_, nested)| find_error_pair(nested))
}

/// What stands in for a secret the service echoed back.
pub const REDACTED: &str = "[REDACTED]";

/// Replaces every occurrence of each secret in `text`. Secrets shorter than 4 bytes are not
/// searched for: they would match ordinary words, and no real credential is that short.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        let found = crate::text::matches_of(&out, secret);
        if found.is_empty() {
            continue;
        }
        let mut redacted = String::with_capacity(out.len());
        let mut copied = 0;
        for start in found {
            redacted.push_str(out.get(copied..start).unwrap_or(""));
            redacted.push_str(REDACTED);
            copied = start + secret.len();
        }
        redacted.push_str(out.get(copied..).unwrap_or(""));
        out = redacted;
    }
    out
}

/// Cuts a string to at most `max` bytes on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The input was refused before anything was sent.
    Validation(Vec<Issue>),
    /// The service answered with an error status (boxed: it is by far the largest variant).
    Api(Box<ApiError>),
    /// No complete answer within the time limit; the request may have been applied.
    Timeout { timeout_ms: u32 },
    /// The request failed in transit. `sent` says whether it may have reached the service:
    /// false only when the runtime proves it never left (connection refused, DNS failure).
    Network { message: String, sent: bool },
    /// The caller's signal aborted the call.
    Aborted,
}

impl Error {
    pub fn validation(path: &str, code: &'static str, message: impl Into<String>) -> Error {
        Error::Validation(vec![Issue::new(path, code, message)])
    }

    /// The JS class name.
    pub fn name(&self) -> &'static str {
        match self {
            Error::Validation(_) => "ValidationError",
            Error::Api(_) => "ApiError",
            Error::Timeout { .. } => "TimeoutError",
            Error::Network { .. } => "NetworkError",
            Error::Aborted => "AbortError",
        }
    }

    /// The stable kind: validation, auth, service, timeout, network or aborted.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "validation",
            Error::Api(api) if api.is_auth() => "auth",
            Error::Api(_) => "service",
            Error::Timeout { .. } => "timeout",
            Error::Network { .. } => "network",
            Error::Aborted => "aborted",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Validation(issues) => {
                f.write_str("invalid input")?;
                for (i, issue) in issues.iter().enumerate() {
                    let sep = if i == 0 { ": " } else { "; " };
                    let at = if issue.path.is_empty() { "(root)" } else { &issue.path };
                    write!(f, "{sep}{at} {}", issue.message)?;
                }
                Ok(())
            }
            Error::Api(api) => {
                write!(f, "HTTP {} {}: {}", api.status, api.error_code, api.error_msg)?;
                if let Some(id) = &api.request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::Timeout { timeout_ms } => write!(f, "no answer within {timeout_ms} ms"),
            Error::Network { message, .. } => write!(f, "network error: {message}"),
            Error::Aborted => f.write_str("the call was aborted"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> ApiError {
        ApiError::from_response(status, body, Some("req-1".into()))
    }

    #[test]
    fn reads_error_code_and_error_msg() {
        let e = parse(409, r#"{"error_code":"WKS.0409","error_msg":"server busy"}"#);
        assert_eq!((e.error_code.as_str(), e.error_msg.as_str()), ("WKS.0409", "server busy"));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert_eq!(e.body, None);
        assert_eq!(Error::Api(Box::new(e)).code(), "service");
    }

    #[test]
    fn reads_camel_case_and_code_message_variants() {
        let e = parse(400, r#"{"errorCode":"APIGW.0101","errorMsg":"bad"}"#);
        assert_eq!((e.error_code.as_str(), e.error_msg.as_str()), ("APIGW.0101", "bad"));
        let e = parse(403, r#"{"code":"403","message":"forbidden","encoded_authorization_message":"enc"}"#);
        assert_eq!((e.error_code.as_str(), e.error_msg.as_str()), ("403", "forbidden"));
        assert_eq!(e.encoded_authorization_message.as_deref(), Some("enc"));
        assert_eq!(Error::Api(Box::new(e)).code(), "auth");
    }

    #[test]
    fn searches_nested_objects() {
        let e = parse(401, r#"{"error":{"code":"APIGW.0301","message":"Incorrect IAM authentication information"}}"#);
        assert_eq!(e.error_code, "APIGW.0301");
    }

    #[test]
    fn an_html_page_is_kept_as_the_message_and_body() {
        let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        let e = parse(502, html);
        assert_eq!((e.error_code.as_str(), e.error_msg.as_str()), ("502", html));
        assert_eq!(e.body.as_deref(), Some(html));
    }

    #[test]
    fn json_without_an_error_code_keeps_the_body() {
        let e = parse(500, r#"{"detail":"boom"}"#);
        assert_eq!(e.error_code, "500");
        assert_eq!(e.body.as_deref(), Some(r#"{"detail":"boom"}"#));
    }

    #[test]
    fn an_empty_body_gives_the_status_as_code() {
        let e = ApiError::from_response(503, "", None);
        assert_eq!((e.error_code.as_str(), e.error_msg.as_str()), ("503", ""));
        assert_eq!((e.request_id, e.body), (None, None));
    }

    #[test]
    fn the_body_request_id_is_a_fallback() {
        let e = ApiError::from_response(404, r#"{"error_code":"X","error_msg":"y","request_id":"body-id"}"#, None);
        assert_eq!(e.request_id.as_deref(), Some("body-id"));
    }

    #[test]
    fn long_bodies_are_cut_to_2kb_on_a_char_boundary() {
        let body = "ü".repeat(2000);
        let e = parse(500, &body);
        let kept = e.body.unwrap();
        assert!(kept.len() <= MAX_KEPT_BODY && kept.len() >= MAX_KEPT_BODY - 1);
        assert!(body.starts_with(&kept));
    }

    #[test]
    fn an_error_body_nested_too_deep_is_response_invalid() {
        let body = format!("{}1{}", r#"{"x":"#.repeat(4000), "}".repeat(4000));
        let e = parse(500, &body);
        assert_eq!((e.status, e.error_code.as_str()), (500, "response.invalid"));
        assert_eq!(e.body.as_deref().map(str::len), Some(MAX_KEPT_BODY));
        let e = parse(401, &"[".repeat(100_000));
        assert_eq!(e.error_code, "response.invalid");
    }

    #[test]
    fn redact_replaces_every_secret() {
        assert_eq!(redact("a SECRET b SECRET tok-1", &["SECRET", "tok-1", ""]), "a [REDACTED] b [REDACTED] [REDACTED]");
        assert_eq!(redact("abc", &["ab"]), "abc");
    }

    #[test]
    fn display_lists_every_issue() {
        let err = Error::Validation(vec![
            Issue::new("/items", "items.empty", "items needs at least 1 server"),
            Issue::new("", "body.unknown_field", "x"),
        ]);
        assert_eq!(err.to_string(), "invalid input: /items items needs at least 1 server; (root) x");
        assert_eq!(err.name(), "ValidationError");
    }
}
