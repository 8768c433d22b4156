//! SDK-HMAC-SHA256, the request signature of Huawei Cloud APIs (reference §7.2).
//!
//! Everything here is a pure function of its inputs, the date included, so the official
//! SDK's own vectors pin it byte for byte (`tests/vectors/signing.json`). The gateway reuses
//! [`signature_for`] to verify what it receives, so both sides share one canonical form.

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// SHA-256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Everything but `A-Z a-z 0-9 - _ . ~` is escaped, in paths and queries alike.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A query value before encoding. Integers sort as numbers, the way the official SDK sorts
/// its (key, value) pairs before it encodes them (`n=9&n=10`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryValue {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl QueryValue {
    /// The value as it is written before encoding.
    pub fn wire(&self) -> String {
        match self {
            QueryValue::Text(s) => s.clone(),
            QueryValue::Int(n) => n.to_string(),
            QueryValue::Bool(b) => b.to_string(),
        }
    }

    fn number(&self) -> Option<i64> {
        match self {
            QueryValue::Int(n) => Some(*n),
            QueryValue::Bool(b) => Some(*b as i64),
            QueryValue::Text(_) => None,
        }
    }

    fn order(&self, other: &QueryValue) -> Ordering {
        match (self.number(), other.number()) {
            (Some(a), Some(b)) => a.cmp(&b),
            // The SDK cannot compare text with numbers at all; text order is our choice.
            _ => self.wire().cmp(&other.wire()),
        }
    }
}

impl From<&str> for QueryValue {
    fn from(s: &str) -> Self {
        QueryValue::Text(s.to_owned())
    }
}

/// Percent-encodes one path segment, query key or query value.
pub fn encode_component(raw: &str) -> String {
    utf8_percent_encode(raw, ESCAPED).to_string()
}

fn decode_component(encoded: &str) -> String {
    percent_decode_str(encoded).decode_utf8_lossy().into_owned()
}

/// The canonical URI: the path decoded, split on `/`, each segment encoded again, and a
/// trailing `/` added when missing. The trailing slash is only ever signed, never sent.
pub fn canonical_uri(path: &str) -> String {
    let decoded = decode_component(path);
    let mut uri: String = decoded.split('/').map(encode_component).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The path to send: each segment of the (raw or encoded) path normalized to the canonical
/// encoding, so an encoded `%2F` stays inside its segment.
pub fn wire_path(path: &str) -> String {
    path.split('/').map(|segment| encode_component(&decode_component(segment))).collect::<Vec<_>>().join("/")
}

/// The canonical query, which is also the query to send: sorted by key then value, encoded.
pub fn canonical_query(pairs: &[(String, QueryValue)]) -> String {
    let mut sorted: Vec<&(String, QueryValue)> = pairs.iter().collect();
    sorted.sort_by(|(ka, va), (kb, vb)| ka.cmp(kb).then_with(|| va.order(vb)));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(&v.wire())))
        .collect::<Vec<_>>()
        .join("&")
}

/// The (key, value) pairs of a query string as received on the wire, decoded.
pub fn parse_wire_query(raw: &str) -> Vec<(String, QueryValue)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), QueryValue::Text(decode_component(v)))
        })
        .collect()
}

/// The canonical query of a query string as received on the wire, for verification.
pub fn canonical_query_from_wire(raw: &str) -> String {
    canonical_query(&parse_wire_query(raw))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// Whether a request with these headers signs `UNSIGNED-PAYLOAD` instead of the body hash.
/// Like the official signer, only a header spelled exactly `Content-Type` is looked at.
pub fn wants_unsigned_payload(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(name, value)| {
        name == "Content-Type" && !(value.starts_with("application/json") || value.starts_with("application/bson"))
    })
}

fn payload_hash(headers: &[(String, String)], body: &[u8]) -> String {
    if body.is_empty() {
        return EMPTY_BODY_SHA256.to_owned();
    }
    let declared = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-sdk-content-sha256"))
        .map(|(_, v)| v.trim());
    match declared {
        Some(UNSIGNED_PAYLOAD) => UNSIGNED_PAYLOAD.to_owned(),
        _ => sha256_hex(body),
    }
}

/// Header names that get signed: all of them but those containing `_`, lower-cased, sorted.
pub fn signed_header_names(headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> =
        headers.iter().filter(|(n, _)| !n.contains('_')).map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    names
}

/// What a signature covers; `headers` must include `Host` and `X-Sdk-Date`.
pub struct Canonical<'a> {
    pub method: &'a str,
    /// The path as sent (raw or encoded).
    pub path: &'a str,
    /// The canonical query (see [`canonical_query`] and [`canonical_query_from_wire`]).
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    /// Lower-case names to sign, sorted.
    pub signed_headers: &'a [String],
    pub body: &'a [u8],
    pub sdk_date: &'a str,
}

impl Canonical<'_> {
    pub fn canonical_request(&self) -> String {
        let mut out = String::new();
        out.push_str(self.method);
        out.push('\n');
        out.push_str(&canonical_uri(self.path));
        out.push('\n');
        out.push_str(self.query);
        out.push('\n');
        for name in self.signed_headers {
            let value = self
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
                .unwrap_or("");
            out.push_str(name);
            out.push(':');
            out.push_str(value);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.signed_headers.join(";"));
        out.push('\n');
        out.push_str(&payload_hash(self.headers, self.body));
        out
    }

    pub fn string_to_sign(&self) -> String {
        format!("{ALGORITHM}\n{}\n{}", self.sdk_date, sha256_hex(self.canonical_request().as_bytes()))
    }
}

/// The hex signature of a canonical request under a secret key.
pub fn signature_for(canonical: &Canonical, sk: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(sk.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(canonical.string_to_sign().as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The parts of an `Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn parse(value: &str) -> Option<Authorization> {
        let rest = value.trim().strip_prefix(ALGORITHM)?.trim_start();
        let (mut access, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (key, val) = part.trim().split_once('=')?;
            match key {
                "Access" => access = Some(val),
                "SignedHeaders" => signed = Some(val),
                "Signature" => signature = Some(val),
                _ => return None,
            }
        }
        Some(Authorization {
            access: access?.to_owned(),
            signed_headers: signed?.split(';').map(str::to_owned).collect(),
            signature: signature?.to_owned(),
        })
    }

    pub fn header_value(&self) -> String {
        format!(
            "{ALGORITHM} Access={}, SignedHeaders={}, Signature={}",
            self.access,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

/// Whether `date` has the `YYYYMMDDTHHMMSSZ` shape of `X-Sdk-Date`.
pub fn is_sdk_date(date: &str) -> bool {
    let b = date.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// Formats seconds since the Unix epoch as `YYYYMMDDTHHMMSSZ`.
pub fn sdk_date_from_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Seconds since the Unix epoch of a `YYYYMMDDTHHMMSSZ` date.
pub fn unix_from_sdk_date(date: &str) -> Option<u64> {
    if !is_sdk_date(date) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| date[r].parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (hh, mm, ss) = (n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(secs).ok()
}

// Howard Hinnant's proleptic Gregorian conversions (public domain algorithms).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// AK/SK credentials. `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct AkSk {
    pub ak: String,
    pub sk: String,
    pub security_token: Option<String>,
}

impl std::fmt::Debug for AkSk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AkSk { .. }")
    }
}

/// A request to sign. `url` is `scheme://host[:port]/path` with no query.
pub struct SignInput<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub query: &'a [(String, QueryValue)],
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub credentials: &'a AkSk,
    pub sdk_date: &'a str,
}

/// What to send: the wire URL and every header but `Host`, which browsers set themselves
/// from the URL (and was signed from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub host: String,
    pub signed_headers: String,
    pub signature: String,
    pub canonical_request: String,
}

/// Why a request could not be signed. Messages never include a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignError {
    /// Not an absolute http(s) URL with a host.
    BadUrl,
    /// The URL carries a query or fragment; pass the query separately.
    UrlHasQuery,
    BadSdkDate,
    MissingCredentials,
}

impl SignError {
    pub fn code(self) -> &'static str {
        match self {
            SignError::BadUrl => "url.invalid",
            SignError::UrlHasQuery => "url.has_query",
            SignError::BadSdkDate => "sdkDate.invalid",
            SignError::MissingCredentials => "credentials.missing",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            SignError::BadUrl => "url must be an absolute http or https URL with a host",
            SignError::UrlHasQuery => "url must not contain a query or fragment; pass query separately",
            SignError::BadSdkDate => "sdkDate must look like 20240102T030405Z",
            SignError::MissingCredentials => "ak and sk must both be non-empty",
        }
    }
}

/// Splits an absolute URL into `(scheme://authority, authority, path)`; the authority keeps a
/// non-default port, as the `Host` header a client sends does.
pub fn split_url(url: &str) -> Result<(String, String, String), SignError> {
    let parts = crate::url_parts::parse(url).ok_or(SignError::BadUrl)?;
    if !matches!(parts.scheme.as_str(), "http" | "https") || parts.host.is_empty() {
        return Err(SignError::BadUrl);
    }
    if parts.has_query || parts.has_fragment {
        return Err(SignError::UrlHasQuery);
    }
    Ok((parts.origin(), parts.authority(), parts.path))
}

/// Signs a request.
pub fn sign(input: &SignInput) -> Result<Signed, SignError> {
    if !is_sdk_date(input.sdk_date) {
        return Err(SignError::BadSdkDate);
    }
    let creds = input.credentials;
    if creds.ak.is_empty() || creds.sk.is_empty() {
        return Err(SignError::MissingCredentials);
    }
    let (origin, authority, path) = split_url(input.url)?;
    let query = canonical_query(input.query);

    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .filter(|(name, _)| {
            // What we add ourselves wins over a caller's copy.
            !["host", "x-sdk-date", "authorization", "x-security-token"].contains(&name.to_ascii_lowercase().as_str())
        })
        .cloned()
        .collect();
    if wants_unsigned_payload(&headers)
        && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("x-sdk-content-sha256"))
    {
        headers.push(("X-Sdk-Content-Sha256".into(), UNSIGNED_PAYLOAD.into()));
    }
    headers.push(("X-Sdk-Date".into(), input.sdk_date.to_owned()));
    if let Some(token) = &creds.security_token {
        headers.push(("X-Security-Token".into(), token.clone()));
    }
    let mut to_sign = headers.clone();
    to_sign.push(("Host".into(), authority.clone()));
    let names = signed_header_names(&to_sign);
    let canonical = Canonical {
        method: input.method,
        path: &path,
        query: &query,
        headers: &to_sign,
        signed_headers: &names,
        body: input.body,
        sdk_date: input.sdk_date,
    };
    let signature = signature_for(&canonical, &creds.sk);
    let authorization = Authorization { access: creds.ak.clone(), signed_headers: names.clone(), signature: signature.clone() };
    headers.push(("Authorization".into(), authorization.header_value()));

    let mut url = format!("{origin}{}", wire_path(&path));
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    Ok(Signed {
        url,
        headers,
        host: authority,
        signed_headers: names.join(";"),
        signature,
        canonical_request: canonical.canonical_request(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uri_appends_slash_and_reencodes() {
        assert_eq!(canonical_uri("/v1/p/app-servers"), "/v1/p/app-servers/");
        assert_eq!(canonical_uri("/a/"), "/a/");
        assert_eq!(canonical_uri("/g/my%20group%3a%c3%bc%40x"), "/g/my%20group%3A%C3%BC%40x/");
        assert_eq!(canonical_uri("/g/a%2Fb"), "/g/a/b/");
    }

    #[test]
    fn wire_path_keeps_encoded_slashes_in_their_segment() {
        assert_eq!(wire_path("/g/a%2Fb/my%20group:%C3%BC@x"), "/g/a%2Fb/my%20group%3A%C3%BC%40x");
    }

    #[test]
    fn query_sorts_numbers_as_numbers() {
        let q = vec![
            ("n".to_string(), QueryValue::Int(10)),
            ("n".to_string(), QueryValue::Int(9)),
            ("a b".to_string(), QueryValue::Text("*~".into())),
            ("flag".to_string(), QueryValue::Bool(true)),
        ];
        assert_eq!(canonical_query(&q), "a%20b=%2A~&flag=true&n=9&n=10");
        assert_eq!(canonical_query_from_wire("n=9&a%20b=%2a~&flag=true"), "a%20b=%2A~&flag=true&n=9");
    }

    #[test]
    fn sdk_dates_convert_both_ways() {
        assert_eq!(sdk_date_from_unix(1_704_164_645), "20240102T030405Z");
        assert_eq!(unix_from_sdk_date("20240102T030405Z"), Some(1_704_164_645));
        assert_eq!(sdk_date_from_unix(951_782_400), "20000229T000000Z");
        assert!(unix_from_sdk_date("2024-01-02T03:04:05Z").is_none());
        assert!(unix_from_sdk_date("20241302T030405Z").is_none());
    }

    #[test]
    fn authorization_round_trips() {
        let value = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=ab12";
        let parsed = Authorization::parse(value).unwrap();
        assert_eq!(parsed.signed_headers, ["host", "x-sdk-date"]);
        assert_eq!(parsed.header_value(), value);
        assert!(Authorization::parse("Bearer x").is_none());
    }

    #[test]
    fn credentials_do_not_debug_print() {
        let creds = AkSk { ak: "AK".into(), sk: "very-secret".into(), security_token: Some("tok".into()) };
        assert!(!format!("{creds:?}").contains("secret"));
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let creds = AkSk { ak: "a".into(), sk: "s".into(), security_token: None };
        let input = |url: &'static str, date: &'static str| SignInput {
            method: "GET", url, query: &[], headers: &[], body: b"", credentials: &creds, sdk_date: date,
        };
        assert_eq!(sign(&input("ftp://h/x", "20240102T030405Z")), Err(SignError::BadUrl));
        assert_eq!(sign(&input("/relative", "20240102T030405Z")), Err(SignError::BadUrl));
        assert_eq!(sign(&input("https://h/x?a=1", "20240102T030405Z")), Err(SignError::UrlHasQuery));
        assert_eq!(sign(&input("https://h/x", "yesterday")), Err(SignError::BadSdkDate));
    }
}
