//! Authentication as API Gateway does it: an `X-Auth-Token`, or an SDK-HMAC-SHA256
//! signature verified over the request exactly as it arrived (method, raw path, raw query,
//! the headers named in `SignedHeaders` with `Host` and its port, and the body bytes), with
//! `X-Sdk-Date` within 15 minutes of the gateway's clock and `X-Project-Id`, when present,
//! equal to the project in the path. The canonical form comes from the core crate's signer,
//! so client and gateway cannot drift apart; secrets are compared in constant time.
//!
//! A failure is a 401 whose message says which check failed. No message repeats a token,
//! a secret key or a signature.

use crate::error::ApiError;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;
use workspace_tsvi::sign::{
    self, canonical_query, parse_wire_query, signature_for, unix_from_sdk_date, Authorization, Canonical, QueryValue,
};

/// How far `X-Sdk-Date` may be from the gateway clock.
pub const MAX_CLOCK_SKEW_MS: u64 = 15 * 60 * 1000;

/// The credentials the simulator accepts. `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub project_id: String,
    pub token: String,
    pub readonly_token: Option<String>,
    pub ak: String,
    pub sk: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("project_id", &self.project_id).field("ak", &self.ak).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Full,
    /// May only read: GET and HEAD.
    ReadOnly,
}

impl Access {
    pub fn allows(self, method: &Method) -> bool {
        self == Access::Full || matches!(*method, Method::GET | Method::HEAD)
    }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The project id in `/v1/{project_id}/...` or `/v2/{project_id}/...`.
pub fn path_project(path: &str) -> Option<&str> {
    let mut segments = path.strip_prefix('/')?.split('/');
    match (segments.next()?, segments.next()) {
        ("v1" | "v2", Some(project)) if !project.is_empty() => Some(project),
        _ => None,
    }
}

fn check_project_header(headers: &HeaderMap, path_project: Option<&str>) -> Result<(), ApiError> {
    match headers.get("x-project-id") {
        None => Ok(()),
        Some(value) if path_project.is_some_and(|p| value.as_bytes() == p.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::unauthorized("the X-Project-Id header does not match the project id in the path")),
    }
}

/// The canonical queries a signer may have made of a query as received: its values sorted
/// as text, and, when some key repeats with only whole numbers as values, those sorted as
/// numbers. Signers that hold typed values (Huawei's SDKs, and the core crate's signer given
/// integers) sort `n=9&n=10`, and Huawei's Python SDK sends the values in the caller's
/// order; the wire has only text. Both forms cover the same pairs, so accepting either
/// signs the same request.
pub fn canonical_queries(raw: &str) -> Vec<String> {
    let pairs = parse_wire_query(raw);
    let as_text = canonical_query(&pairs);
    let is_number = |v: &QueryValue| {
        let text = v.wire();
        text.parse::<i64>().is_ok_and(|n| n.to_string() == text)
    };
    // Per key: how many values, and whether every one is a whole number.
    let mut keys: BTreeMap<&str, (usize, bool)> = BTreeMap::new();
    for (key, value) in &pairs {
        let entry = keys.entry(key).or_insert((0, true));
        entry.0 += 1;
        entry.1 &= is_number(value);
    }
    let numeric = |key: &str| keys.get(key).is_some_and(|&(count, all_numbers)| count > 1 && all_numbers);
    if !keys.keys().any(|key| numeric(key)) {
        return vec![as_text];
    }
    let typed: Vec<(String, QueryValue)> = pairs
        .iter()
        .map(|(k, v)| match v.wire().parse::<i64>() {
            Ok(n) if numeric(k) => (k.clone(), QueryValue::Int(n)),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let as_numbers = canonical_query(&typed);
    if as_numbers == as_text {
        vec![as_text]
    } else {
        vec![as_text, as_numbers]
    }
}

/// Checks the credential of an API request.
pub fn authenticate(creds: &Credentials, parts: &Parts, body: &[u8], now_ms: u64) -> Result<Access, ApiError> {
    let headers = &parts.headers;
    let project = path_project(parts.uri.path());
    if let Some(token) = headers.get("x-auth-token") {
        let token = token.as_bytes();
        let access = if same(token, creds.token.as_bytes()) {
            Access::Full
        } else if creds.readonly_token.as_deref().is_some_and(|r| same(token, r.as_bytes())) {
            Access::ReadOnly
        } else {
            return Err(ApiError::unauthorized("the X-Auth-Token is not valid"));
        };
        check_project_header(headers, project)?;
        return Ok(access);
    }

    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized("no credential was sent; send X-Auth-Token or an SDK-HMAC-SHA256 Authorization header"));
    };
    let value = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not readable text"))?;
    if !value.trim_start().starts_with(sign::ALGORITHM) {
        return Err(ApiError::unauthorized("the Authorization scheme is not supported; use SDK-HMAC-SHA256"));
    }
    let auth = Authorization::parse(value).ok_or_else(|| {
        ApiError::unauthorized(
            "the Authorization header is malformed; expected SDK-HMAC-SHA256 Access=AK, SignedHeaders=h1;h2, Signature=hex",
        )
    })?;
    if !same(auth.access.as_bytes(), creds.ak.as_bytes()) {
        return Err(ApiError::unauthorized("the access key (AK) is not known"));
    }
    for required in ["host", "x-sdk-date"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(ApiError::unauthorized(&format!("SignedHeaders must include {required}")));
        }
    }
    if let Some(missing) = auth.signed_headers.iter().find(|name| !headers.contains_key(name.as_str())) {
        return Err(ApiError::unauthorized(&format!("the signed header {missing:?} is not in the request")));
    }
    let sdk_date = headers.get("x-sdk-date").and_then(|d| d.to_str().ok()).unwrap_or("");
    let Some(date_secs) = unix_from_sdk_date(sdk_date) else {
        return Err(ApiError::unauthorized("X-Sdk-Date is not a date like 20240102T030405Z"));
    };
    let skew = (date_secs * 1000).abs_diff(now_ms);
    if skew > MAX_CLOCK_SKEW_MS {
        return Err(ApiError::unauthorized(&format!(
            "X-Sdk-Date is {} minutes away from the gateway clock ({}); it must be within 15 minutes",
            skew / 60_000,
            sign::sdk_date_from_unix(now_ms / 1000)
        )));
    }
    check_project_header(headers, project)?;

    let received: Vec<(String, String)> =
        headers.iter().map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())).collect();
    let signed_as = |query: &String| {
        let canonical = Canonical {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query,
            headers: &received,
            signed_headers: &auth.signed_headers,
            body,
            sdk_date,
        };
        same(signature_for(&canonical, &creds.sk).as_bytes(), auth.signature.as_bytes())
    };
    if !canonical_queries(parts.uri.query().unwrap_or("")).iter().any(signed_as) {
        return Err(ApiError::unauthorized(
            "verify aksk signature fail: the signature does not match the request as received (method, path, query, signed headers and body)",
        ));
    }
    Ok(Access::Full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use workspace_tsvi::sign::{sign, AkSk, QueryValue, SignInput};

    const NOW: u64 = 1_704_164_645_000; // 2024-01-02T03:04:05Z
    const PROJECT: &str = "0123456789abcdef0123456789abcdef";

    fn creds() -> Credentials {
        Credentials { project_id: PROJECT.into(), token: "tok".into(), readonly_token: Some("ro".into()), ak: "AK".into(), sk: "SK".into() }
    }

    fn signed_parts(method: &str, path: &str, query: &[(&str, &str)], body: &[u8], sk: &str, date: &str) -> Parts {
        let query: Vec<(String, QueryValue)> = query.iter().map(|(k, v)| (k.to_string(), QueryValue::from(*v))).collect();
        signed_typed(method, path, &query, body, sk, date)
    }

    fn signed_typed(method: &str, path: &str, query: &[(String, QueryValue)], body: &[u8], sk: &str, date: &str) -> Parts {
        let credentials = AkSk { ak: "AK".into(), sk: sk.into(), security_token: None };
        let headers = vec![("Content-Type".to_string(), "application/json".to_string()), ("X-Project-Id".to_string(), PROJECT.to_string())];
        let signed = sign(&SignInput {
            method,
            url: &format!("http://127.0.0.1:8780{path}"),
            query,
            headers: &headers,
            body,
            credentials: &credentials,
            sdk_date: date,
        })
        .unwrap();
        let uri = signed.url.trim_start_matches("http://127.0.0.1:8780").to_owned();
        let mut builder = Request::builder().method(method).uri(uri).header("host", signed.host);
        for (name, value) in &signed.headers {
            builder = builder.header(name, value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_good_signature_passes_and_tampering_fails() {
        let path = format!("/v1/{PROJECT}/app-servers");
        let parts = signed_parts("GET", &path, &[("limit", "10"), ("server_name", "a b*")], b"", "SK", "20240102T030405Z");
        assert_eq!(authenticate(&creds(), &parts, b"", NOW), Ok(Access::Full));
        let err = authenticate(&creds(), &parts, b"x", NOW).unwrap_err();
        assert!(err.msg.contains("signature"), "{}", err.msg);
        let wrong_sk = signed_parts("GET", &path, &[], b"", "nope", "20240102T030405Z");
        assert_eq!(authenticate(&creds(), &wrong_sk, b"", NOW).unwrap_err().status, 401);
        let stale = signed_parts("GET", &path, &[], b"", "SK", "20240102T022000Z");
        assert!(authenticate(&creds(), &stale, b"", NOW).unwrap_err().msg.contains("15 minutes"));
    }

    #[test]
    fn tokens_and_project_header() {
        let parts = |token: &str, project: &str| {
            Request::builder()
                .uri(format!("/v1/{PROJECT}/app-servers"))
                .header("x-auth-token", token)
                .header("x-project-id", project)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        assert_eq!(authenticate(&creds(), &parts("tok", PROJECT), b"", NOW), Ok(Access::Full));
        assert_eq!(authenticate(&creds(), &parts("ro", PROJECT), b"", NOW), Ok(Access::ReadOnly));
        let bad = authenticate(&creds(), &parts("tok-wrong", PROJECT), b"", NOW).unwrap_err();
        assert!(!bad.msg.contains("tok"), "never echo the token: {}", bad.msg.replace("X-Auth-Token", ""));
        let mismatch = authenticate(&creds(), &parts("tok", "ffffffffffffffffffffffffffffffff"), b"", NOW).unwrap_err();
        assert!(mismatch.msg.contains("X-Project-Id"));
    }

    #[test]
    fn canonical_queries_table() {
        let cases: [(&str, &[&str]); 11] = [
            ("", &[""]),
            ("b=2&a=1", &["a=1&b=2"]),
            ("n=1&n=2", &["n=1&n=2"]),
            ("n=10&n=9", &["n=10&n=9", "n=9&n=10"]),
            ("n=9&n=10", &["n=10&n=9", "n=9&n=10"]),
            ("n=-1&n=-2", &["n=-1&n=-2", "n=-2&n=-1"]),
            ("n=10&m=b&n=9&m=a", &["m=a&m=b&n=10&n=9", "m=a&m=b&n=9&n=10"]),
            ("n=10&n=9&n=x", &["n=10&n=9&n=x"]),
            ("n=10&n=09", &["n=09&n=10"]),
            ("n=10&n=%2B9", &["n=%2B9&n=10"]),
            ("n=10&n=99999999999999999999", &["n=10&n=99999999999999999999"]),
        ];
        for (raw, want) in cases {
            assert_eq!(canonical_queries(raw), want, "{raw}");
        }
    }

    /// Huawei's SDKs sort repeated integers as numbers (`n=9&n=10`), and the Python SDK sends
    /// them in the caller's order; the gateway sees only text and must accept both.
    #[test]
    fn repeated_whole_numbers_verify_as_typed_signers_sort_them() {
        let path = format!("/v1/{PROJECT}/app-servers");
        let date = "20240102T030405Z";
        let ints = [("n".to_string(), QueryValue::Int(10)), ("n".to_string(), QueryValue::Int(9)), ("a".to_string(), QueryValue::Int(1))];
        let typed = signed_typed("GET", &path, &ints, b"", "SK", date);
        assert_eq!(typed.uri.query(), Some("a=1&n=9&n=10"));
        assert_eq!(authenticate(&creds(), &typed, b"", NOW), Ok(Access::Full), "sent in the signed order");
        let with_query = |query: &str| {
            let mut parts = Request::builder().uri(format!("{path}?{query}")).body(()).unwrap().into_parts().0;
            parts.headers = typed.headers.clone();
            parts
        };
        assert_eq!(authenticate(&creds(), &with_query("n=10&a=1&n=9"), b"", NOW), Ok(Access::Full), "sent in the caller's order");
        assert_eq!(authenticate(&creds(), &with_query("n=10&a=1&n=8"), b"", NOW).unwrap_err().status, 401, "another value");
        assert_eq!(authenticate(&creds(), &with_query("n=10&a=1"), b"", NOW).unwrap_err().status, 401, "a value less");
        let text = signed_parts("GET", &path, &[("n", "10"), ("n", "9")], b"", "SK", date);
        assert_eq!(text.uri.query(), Some("n=10&n=9"));
        assert_eq!(authenticate(&creds(), &text, b"", NOW), Ok(Access::Full), "text values still sort as text");
    }

    #[test]
    fn path_project_reads_v1_and_v2() {
        assert_eq!(path_project("/v1/abc/app-servers"), Some("abc"));
        assert_eq!(path_project("/v2/abc/job/1"), Some("abc"));
        assert_eq!(path_project("/v3/abc"), None);
        assert_eq!(path_project("/v1//x"), None);
    }
}
