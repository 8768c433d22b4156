//! SDK-HMAC-SHA256, the request signature of Huawei Cloud APIs (reference §7.2).
//!
//! Everything here is a pure function of its inputs, the date included, so the official
//! SDK's own vectors pin it byte for byte (`tests/vectors/signing.json`). The gateway reuses
//! [`signature_for`] to verify what it receives, so both sides share one canonical form.

use crate::json::write_string;
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

/// Whether a path reads the same decoded and encoded: only `A-Z a-z 0-9 - _ . ~` and `/`
/// (most API paths), so both functions below can take it as it is.
fn is_plain_path(path: &str) -> bool {
    path.bytes().all(|b| PLAIN_PATH_BYTES[b as usize])
}

/// `A-Z a-z 0-9 - _ . ~ /` as a table: one load a byte on this hot path.
static PLAIN_PATH_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~' | b'/');
        b += 1;
    }
    table
};

/// The canonical URI: the path decoded, split on `/`, each segment encoded again, and a
/// trailing `/` added when missing. The trailing slash is only ever signed, never sent.
pub fn canonical_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len() + 1);
    push_canonical_uri(&mut uri, path);
    uri
}

fn push_canonical_uri(out: &mut String, path: &str) {
    if is_plain_path(path) {
        out.push_str(path);
    } else {
        let decoded = decode_component(path);
        for (index, segment) in decoded.split('/').enumerate() {
            if index > 0 {
                out.push('/');
            }
            out.push_str(&encode_component(segment));
        }
    }
    if !out.ends_with('/') {
        out.push('/');
    }
}

/// The path to send: each segment of the (raw or encoded) path normalized to the canonical
/// encoding, so an encoded `%2F` stays inside its segment.
pub fn wire_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    push_wire_path(&mut out, path);
    out
}

fn push_wire_path(out: &mut String, path: &str) {
    if is_plain_path(path) {
        out.push_str(path);
        return;
    }
    for (index, segment) in path.split('/').enumerate() {
        if index > 0 {
            out.push('/');
        }
        out.push_str(&encode_component(&decode_component(segment)));
    }
}

/// The canonical query, which is also the query to send: sorted by key then value, encoded.
pub fn canonical_query(pairs: &[(String, QueryValue)]) -> String {
    // Stable: `true` and `1` compare equal but are written differently, so ties keep the caller's order.
    let mut sorted: Vec<&(String, QueryValue)> = pairs.iter().collect();
    crate::order::sort_by(&mut sorted, |(ka, va), (kb, vb)| ka.cmp(kb).then_with(|| va.order(vb)));
    let pairs: Vec<String> = sorted.iter().map(|(k, v)| format!("{}={}", encode_component(k), encode_component(&v.wire()))).collect();
    crate::text::join(&pairs, "&")
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

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut digits = [0u8; 64];
    for chunk in bytes.chunks(32) {
        hex_into(&mut digits, chunk);
        // Hex digits are ASCII, so this always succeeds.
        if let Ok(text) = std::str::from_utf8(&digits[..chunk.len() * 2]) {
            out.push_str(text);
        }
    }
}

/// `bytes` in lower-case hex at the start of `digits` (two digits a byte, as many as fit).
#[inline]
fn hex_into(digits: &mut [u8], bytes: &[u8]) {
    for (pair, b) in digits.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_DIGITS[(b >> 4) as usize];
        pair[1] = HEX_DIGITS[(b & 15) as usize];
    }
}

/// Whether a request with these headers signs `UNSIGNED-PAYLOAD` instead of the body hash.
/// Like the official signer, only a header spelled exactly `Content-Type` is looked at.
pub fn wants_unsigned_payload(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(name, value)| name == "Content-Type" && !(value.starts_with("application/json") || value.starts_with("application/bson")))
}

/// The `X-Sdk-Content-Sha256` a request declares: `UNSIGNED-PAYLOAD` there signs no body hash.
fn payload_hash_declared(headers: &[(String, String)]) -> Option<&str> {
    headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("x-sdk-content-sha256")).map(|(_, v)| v.trim())
}

/// Header names that get signed: all of them but those containing `_`, lower-cased, sorted.
pub fn signed_header_names(headers: &[(String, String)]) -> Vec<String> {
    signed_pairs(headers, None).iter().map(|(name, _)| name.to_ascii_lowercase()).collect()
}

/// The headers that get signed as (name, value) pairs borrowed from `headers`, plus `extra`
/// (the `Host` the signer adds): names with `_` left out, sorted by lower-cased name, repeats
/// dropped (the stable sort keeps the first, as a look-up by name finds it).
fn signed_pairs<'a>(headers: &'a [(String, String)], extra: Option<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    let mut all: Vec<(&str, &str)> = Vec::with_capacity(headers.len() + 1);
    all.extend(headers.iter().filter(|(n, _)| !n.contains('_')).map(|(n, v)| (n.as_str(), v.as_str())));
    all.extend(extra);
    // The crate's one sort, by index (pairs are `Copy`: no generic move-out code).
    let name = |index: usize| all.get(index).map_or("", |(name, _)| *name);
    let order = crate::order::stable_order(all.len(), &mut |a, b| cmp_lowercase(name(a), name(b)));
    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(all.len());
    for pair in order.iter().filter_map(|&index| all.get(index)) {
        if signed.last().is_none_or(|(last, _)| !last.eq_ignore_ascii_case(pair.0)) {
            signed.push(*pair);
        }
    }
    signed
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
        let signed: Vec<(&str, &str)> = self
            .signed_headers
            .iter()
            .map(|name| (name.as_str(), self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map_or("", |(_, v)| v.as_str())))
            .collect();
        let joined_names = crate::text::join(self.signed_headers, ";");
        write_canonical_request(self.method, self.path, self.query, &signed, &joined_names, self.headers, self.body)
    }

    pub fn string_to_sign(&self) -> String {
        string_to_sign(&self.canonical_request(), self.sdk_date)
    }
}

/// The canonical request: `signed` are the (name, value) pairs to sign, sorted by lower-cased
/// name (names are written lower-cased, values trimmed), `joined_names` their names joined
/// with `;`, and `headers` all the request's headers (for `X-Sdk-Content-Sha256`).
fn write_canonical_request(
    method: &str,
    path: &str,
    query: &str,
    signed: &[(&str, &str)],
    joined_names: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let headers_len: usize = signed.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(method.len() + path.len() + query.len() + headers_len + joined_names.len() + 72);
    out.push_str(method);
    out.push('\n');
    push_canonical_uri(&mut out, path);
    out.push('\n');
    out.push_str(query);
    out.push('\n');
    for (name, value) in signed {
        push_lowercase(&mut out, name);
        out.push(':');
        out.push_str(value.trim());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(joined_names);
    out.push('\n');
    if body.is_empty() {
        out.push_str(EMPTY_BODY_SHA256);
    } else {
        match payload_hash_declared(headers) {
            Some(UNSIGNED_PAYLOAD) => out.push_str(UNSIGNED_PAYLOAD),
            _ => push_hex(&mut out, &Sha256::digest(body)),
        }
    }
    out
}

/// How `a` and `b` compare lower-cased (ASCII).
fn cmp_lowercase(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// `name` lower-cased (ASCII), without a new string.
fn push_lowercase(out: &mut String, name: &str) {
    let start = out.len();
    out.push_str(name);
    if let Some(pushed) = out.get_mut(start..) {
        pushed.make_ascii_lowercase();
    }
}

fn string_to_sign(canonical_request: &str, sdk_date: &str) -> String {
    format!("{ALGORITHM}\n{sdk_date}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The hex signature of a canonical request under a secret key.
pub fn signature_for(canonical: &Canonical, sk: &str) -> String {
    signature_of(&canonical.canonical_request(), canonical.sdk_date, sk)
}

/// The same from the canonical request's text, for a caller that also keeps the text (the
/// body is hashed once, not once for the signature and again for the text).
fn signature_of(canonical_request: &str, sdk_date: &str, sk: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(sk.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    // The string to sign, fed in its parts (see [`string_to_sign`]), the hash in hex on the stack.
    let mut request_hash = [0u8; 64];
    hex_into(&mut request_hash, &Sha256::digest(canonical_request.as_bytes()));
    for part in [ALGORITHM.as_bytes(), b"\n", sdk_date.as_bytes(), b"\n", &request_hash] {
        mac.update(part);
    }
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
            crate::text::join(&self.signed_headers, ";"),
            self.signature
        )
    }
}

/// Whether `date` has the `YYYYMMDDTHHMMSSZ` shape of `X-Sdk-Date`.
pub fn is_sdk_date(date: &str) -> bool {
    let b = date.as_bytes();
    b.len() == 16 && b[8] == b'T' && b[15] == b'Z' && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
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
    // A real date and time: the day exists in its month, and no leap second (a signature
    // date always comes from a clock that has none).
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(secs).ok()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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

impl Signed {
    /// What `signRequest` returns, as JSON text: `{ url, headers, signedHeaders, signature,
    /// canonicalRequest }`, the headers in order. The host's `JSON.parse` builds the object in
    /// one crossing; it defines each property (never assigns), so a header named `__proto__`
    /// stays a header. The signer never gives a header name twice.
    pub fn to_json(&self) -> String {
        let headers: usize = self.headers.iter().map(|(n, v)| n.len() + v.len() + 6).sum();
        let mut out =
            String::with_capacity(96 + self.url.len() + headers + self.signed_headers.len() * 2 + 2 * self.canonical_request.len());
        out.push_str("{\"url\":");
        write_string(&mut out, &self.url);
        out.push_str(",\"headers\":{");
        for (index, (name, value)) in self.headers.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            write_string(&mut out, name);
            out.push(':');
            write_string(&mut out, value);
        }
        out.push_str("},\"signedHeaders\":");
        write_string(&mut out, &self.signed_headers);
        out.push_str(",\"signature\":");
        write_string(&mut out, &self.signature);
        out.push_str(",\"canonicalRequest\":");
        write_string(&mut out, &self.canonical_request);
        out.push('}');
        out
    }
}

/// Why a request could not be signed. Messages never include a credential; a header is
/// named by its path (`/headers/X-Name`), never by its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// Not an HTTP method (letters only).
    BadMethod,
    /// Not an absolute http(s) URL with a host, or one with control characters or `\`,
    /// which parsers read differently.
    BadUrl,
    /// The URL carries a query (even a bare `?`); pass the query separately.
    UrlHasQuery,
    /// The URL carries a fragment (even a bare `#`).
    UrlHasFragment,
    /// The URL carries a user name or password, which would not be sent or signed.
    UrlHasUserinfo,
    /// Not a real `YYYYMMDDTHHMMSSZ` date and time.
    BadSdkDate,
    MissingCredentials,
    /// The AK is not letters, digits, `-`, `_` and `.` (anything else could add to `Authorization`).
    BadAccessKey,
    /// The security token is empty or not a valid header value.
    BadSecurityToken,
    /// A header name that is not an HTTP token.
    HeaderName(String),
    /// A header value with CR, LF, another control character or a non-ASCII character.
    HeaderValue(String),
    /// The same header twice, whatever the case of its name.
    DuplicateHeader(String),
    /// `Authorization`, which the signature itself fills in.
    ReservedHeader(String),
    /// A header that disagrees with what it must be: `Host` with the URL's, `X-Sdk-Date` with
    /// `sdkDate`, `X-Security-Token` with `securityToken`.
    ConflictingHeader(String),
}

impl SignError {
    pub fn code(&self) -> &'static str {
        match self {
            SignError::BadMethod => "method.invalid",
            SignError::BadUrl => "url.invalid",
            SignError::UrlHasQuery => "url.has_query",
            SignError::UrlHasFragment => "url.has_fragment",
            SignError::UrlHasUserinfo => "url.has_userinfo",
            SignError::BadSdkDate => "sdkDate.invalid",
            SignError::MissingCredentials => "credentials.missing",
            SignError::BadAccessKey => "ak.invalid",
            SignError::BadSecurityToken => "securityToken.invalid",
            SignError::HeaderName(_) => "header.invalid_name",
            SignError::HeaderValue(_) => "header.invalid_value",
            SignError::DuplicateHeader(_) => "header.duplicate",
            SignError::ReservedHeader(_) => "header.reserved",
            SignError::ConflictingHeader(_) => "header.conflict",
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            SignError::BadMethod => "method must be an HTTP method such as GET or PATCH",
            SignError::BadUrl => "url must be an absolute http or https URL with a host, without control characters or '\\'",
            SignError::UrlHasQuery => "url must not contain a query; pass query separately",
            SignError::UrlHasFragment => "url must not contain a fragment ('#')",
            SignError::UrlHasUserinfo => "url must not contain a user name or password",
            SignError::BadSdkDate => "sdkDate must be a real date and time such as 20240102T030405Z",
            SignError::MissingCredentials => "ak and sk must both be non-empty",
            SignError::BadAccessKey => "ak must be letters, digits, '-', '_' or '.'",
            SignError::BadSecurityToken => "securityToken must be a non-empty string of visible ASCII characters",
            SignError::HeaderName(_) => "header names are letters, digits and !#$%&'*+-.^_`|~",
            SignError::HeaderValue(_) => "header values are visible ASCII characters, spaces and tabs, on one line",
            SignError::DuplicateHeader(_) => "this header is given twice (names are case-insensitive)",
            SignError::ReservedHeader(_) => "Authorization is what signRequest computes; leave it out",
            SignError::ConflictingHeader(_) => {
                "this header disagrees with the request (Host with the url, X-Sdk-Date with sdkDate, X-Security-Token with securityToken)"
            }
        }
    }

    /// A JSON pointer to the input at fault.
    pub fn path(&self) -> String {
        match self {
            SignError::BadMethod => "/method".into(),
            SignError::BadUrl | SignError::UrlHasQuery | SignError::UrlHasFragment | SignError::UrlHasUserinfo => "/url".into(),
            SignError::BadSdkDate => "/sdkDate".into(),
            SignError::MissingCredentials => String::new(),
            SignError::BadAccessKey => "/ak".into(),
            SignError::BadSecurityToken => "/securityToken".into(),
            SignError::HeaderName(name)
            | SignError::HeaderValue(name)
            | SignError::DuplicateHeader(name)
            | SignError::ReservedHeader(name)
            | SignError::ConflictingHeader(name) => crate::validate::pointer("/headers", name),
        }
    }
}

/// An HTTP token (RFC 9110 §5.6.2), the only safe header name.
pub fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Visible ASCII, spaces and tabs: nothing that ends a line, and nothing whose bytes on the
/// wire depend on the runtime's encoding.
pub fn is_header_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// Letters, digits, `-`, `_` and `.`: an AK can add nothing to the `Authorization` line.
pub fn is_access_key(ak: &str) -> bool {
    !ak.is_empty() && ak.len() <= 256 && ak.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The value of a header, whatever the case of its name.
pub fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Refuses a URL that parsers could read in different ways, or that hides something it
/// would not send: control characters, `\`, any `?` or `#` (even bare), and user-info.
fn check_raw_url(url: &str) -> Result<(), SignError> {
    if url.chars().any(|c| c.is_control() || c == '\\') {
        return Err(SignError::BadUrl);
    }
    if url.contains('#') {
        return Err(SignError::UrlHasFragment);
    }
    if url.contains('?') {
        return Err(SignError::UrlHasQuery);
    }
    let after_scheme = crate::text::matches_of(url, "://").first().and_then(|&at| url.get(at + 3..)).unwrap_or(url);
    let authority = after_scheme.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(SignError::UrlHasUserinfo);
    }
    Ok(())
}

/// `(scheme://authority, authority, path)`, what [`split_url`] gives.
type UrlSplit = (String, String, String);

thread_local! {
    /// The last URL split and its parts. Callers sign request after request to one endpoint,
    /// and on wasm32 a split is a `new URL` and a crossing per part; the split is a pure
    /// function of the text, so the parts are the same. Only URLs that split are kept, and a
    /// URL that splits carries no user-info (no secret).
    static LAST_SPLIT: std::cell::Cell<Option<(String, UrlSplit)>> = const { std::cell::Cell::new(None) };
}

/// Splits an absolute URL into `(scheme://authority, authority, path)`; the authority keeps a
/// non-default port, as the `Host` header a client sends does.
pub fn split_url(url: &str) -> Result<UrlSplit, SignError> {
    let entry = take_split(url)?;
    let parts = entry.1.clone();
    keep_split(entry);
    Ok(parts)
}

/// `(url, its split)`, the last split when `url` is the last URL; [`keep_split`] gives it back,
/// so [`sign`] reads the parts in place instead of copying them.
fn take_split(url: &str) -> Result<(String, UrlSplit), SignError> {
    let last = LAST_SPLIT.try_with(|last| last.take()).ok().flatten();
    match last.filter(|(text, _)| text == url) {
        Some(entry) => Ok(entry),
        None => Ok((url.to_owned(), split_url_uncached(url)?)),
    }
}

fn keep_split(entry: (String, UrlSplit)) {
    let _ = LAST_SPLIT.try_with(|last| last.set(Some(entry)));
}

fn split_url_uncached(url: &str) -> Result<UrlSplit, SignError> {
    check_raw_url(url)?;
    let parts = crate::url_parts::parse(url).ok_or(SignError::BadUrl)?;
    if !matches!(parts.scheme.as_str(), "http" | "https") || parts.host.is_empty() {
        return Err(SignError::BadUrl);
    }
    if parts.has_userinfo {
        return Err(SignError::UrlHasUserinfo);
    }
    if parts.has_query {
        return Err(SignError::UrlHasQuery);
    }
    if parts.has_fragment {
        return Err(SignError::UrlHasFragment);
    }
    Ok((parts.origin(), parts.authority(), parts.path))
}

/// Checks the caller's headers: names, values, no name twice, no `Authorization`, and the
/// headers the signer also sets agree with it. Returns the caller's headers to send, every
/// one of them kept.
fn check_headers(input: &SignInput, authority: &str) -> Result<Vec<(String, String)>, SignError> {
    // A few headers (the usual case) are each compared with those before them, with no
    // lower-cased copy; more are looked up among lower-cased names, so the work stays linear.
    let few = input.headers.len() <= FEW_HEADERS;
    let mut seen: Vec<String> = Vec::new();
    for (index, (name, value)) in input.headers.iter().enumerate() {
        if !is_header_name(name) {
            return Err(SignError::HeaderName(name.clone()));
        }
        if !is_header_value(value) {
            return Err(SignError::HeaderValue(name.clone()));
        }
        let repeated = if few {
            input.headers.iter().take(index).any(|(earlier, _)| earlier.eq_ignore_ascii_case(name))
        } else {
            let lower = name.to_ascii_lowercase();
            let repeated = seen.contains(&lower);
            seen.push(lower);
            repeated
        };
        if repeated {
            return Err(SignError::DuplicateHeader(name.clone()));
        }
        let is = |word: &str| name.eq_ignore_ascii_case(word);
        let agrees = if is("authorization") {
            return Err(SignError::ReservedHeader(name.clone()));
        } else if is("host") {
            value.trim() == authority
        } else if is("x-sdk-date") {
            value.trim() == input.sdk_date
        } else if is("x-security-token") {
            input.credentials.security_token.as_deref().is_none_or(|token| token == value.trim())
        } else {
            true
        };
        if !agrees {
            return Err(SignError::ConflictingHeader(name.clone()));
        }
    }
    // Room for the headers the signer adds (at most four at a time), so no push reallocates.
    let mut headers = Vec::with_capacity(input.headers.len() + 4);
    headers.extend_from_slice(input.headers);
    Ok(headers)
}

/// Up to this many headers, [`check_headers`] finds a repeated name without lower-casing any.
const FEW_HEADERS: usize = 16;

/// Whether `date` is a real `YYYYMMDDTHHMMSSZ` date and time.
pub fn is_real_sdk_date(date: &str) -> bool {
    unix_from_sdk_date(date).is_some()
}

/// Signs a request. A header the caller gave is sent and signed (names with `_` are sent
/// unsigned, as the official signer does), or refused: it is never dropped.
pub fn sign(input: &SignInput) -> Result<Signed, SignError> {
    if input.method.is_empty() || !input.method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(SignError::BadMethod);
    }
    if !is_real_sdk_date(input.sdk_date) {
        return Err(SignError::BadSdkDate);
    }
    let creds = input.credentials;
    if creds.ak.is_empty() || creds.sk.is_empty() {
        return Err(SignError::MissingCredentials);
    }
    if !is_access_key(&creds.ak) {
        return Err(SignError::BadAccessKey);
    }
    if creds.security_token.as_deref().is_some_and(|token| token.is_empty() || !is_header_value(token)) {
        return Err(SignError::BadSecurityToken);
    }
    let split = take_split(input.url)?;
    let (origin, authority, path) = &split.1;
    let signed = sign_split(input, origin, authority, path);
    keep_split(split);
    signed
}

/// [`sign`] once the URL is split.
fn sign_split(input: &SignInput, origin: &str, authority: &str, path: &str) -> Result<Signed, SignError> {
    let creds = input.credentials;
    let query = canonical_query(input.query);

    let mut headers = check_headers(input, authority)?;
    if wants_unsigned_payload(&headers) && header_value(&headers, "x-sdk-content-sha256").is_none() {
        headers.push(("X-Sdk-Content-Sha256".into(), UNSIGNED_PAYLOAD.into()));
    }
    if header_value(&headers, "x-sdk-date").is_none() {
        headers.push(("X-Sdk-Date".into(), input.sdk_date.to_owned()));
    }
    if let Some(token) = &creds.security_token {
        if header_value(&headers, "x-security-token").is_none() {
            headers.push(("X-Security-Token".into(), token.clone()));
        }
    }
    // Borrowed pairs, no lower-cased copies. `Host` is signed but not sent (browsers set it
    // from the URL): added for the signature only.
    let host = Some(("Host", authority)).filter(|_| header_value(&headers, "host").is_none());
    let signed = signed_pairs(&headers, host);
    let mut signed_headers = String::with_capacity(signed.iter().map(|(n, _)| n.len() + 1).sum());
    for (index, (name, _)) in signed.iter().enumerate() {
        if index > 0 {
            signed_headers.push(';');
        }
        push_lowercase(&mut signed_headers, name);
    }
    let canonical_request = write_canonical_request(input.method, path, &query, &signed, &signed_headers, &headers, input.body);
    let signature = signature_of(&canonical_request, input.sdk_date, &creds.sk);
    // As `Authorization::header_value` writes it.
    let mut authorization = String::with_capacity(ALGORITHM.len() + creds.ak.len() + signed_headers.len() + signature.len() + 40);
    for part in [ALGORITHM, " Access=", &creds.ak, ", SignedHeaders=", &signed_headers, ", Signature=", &signature] {
        authorization.push_str(part);
    }
    headers.push(("Authorization".into(), authorization));

    let mut url = String::with_capacity(origin.len() + path.len() + query.len() + 1);
    url.push_str(origin);
    push_wire_path(&mut url, path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    Ok(Signed { url, headers, host: authority.to_owned(), signed_headers, signature, canonical_request })
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
    fn query_values_that_compare_equal_keep_the_callers_order() {
        // `true` and `1` sort as equals but are written differently: only a stable sort keeps
        // the order the caller gave (the order std's stable sort gives).
        let q: Vec<(String, QueryValue)> = (0..200)
            .map(|i: u32| {
                let key = format!("k{}", i.wrapping_mul(2_654_435_761) % 3);
                (key, if (i * 7) % 5 < 2 { QueryValue::Bool(true) } else { QueryValue::Int(1) })
            })
            .collect();
        let mut stable: Vec<&(String, QueryValue)> = q.iter().collect();
        stable.sort_by(|(ka, va), (kb, vb)| ka.cmp(kb).then_with(|| va.order(vb)));
        let want: Vec<String> = stable.iter().map(|(k, v)| format!("{k}={}", v.wire())).collect();
        assert_eq!(canonical_query(&q), want.join("&"));
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
    fn signed_json_is_the_result_object() {
        let signed = Signed {
            url: "https://h/x?a=%22".into(),
            headers: vec![("__proto__".into(), "a\"b\\c\td".into()), ("123".into(), "v".into())],
            host: "h".into(),
            signed_headers: "123;x".into(),
            signature: "ab".into(),
            canonical_request: "GET\n/x/\n\u{1}\u{1f}\u{7f}\u{fc}".into(),
        };
        let parsed: serde_json::Value = serde_json::from_str(&signed.to_json()).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({
                "url": signed.url,
                "headers": { "__proto__": "a\"b\\c\td", "123": "v" },
                "signedHeaders": signed.signed_headers,
                "signature": signed.signature,
                "canonicalRequest": signed.canonical_request,
            })
        );
        // The keys in the order the object had when it was built property by property.
        let text = signed.to_json();
        let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap();
        let order = ["url", "headers", "__proto__", "123", "signedHeaders", "signature", "canonicalRequest"].map(at);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn url_splits_are_the_same_from_the_cache() {
        let urls = ["https://h.example:8443/v1/a%2Fb", "https://user@h/x", "http://h/", "https://h/x?", "https://H.example/v1/p"];
        let fresh: Vec<_> = urls.iter().map(|url| split_url_uncached(url)).collect();
        // Each URL twice in a row (the second from the cache), then all of them again.
        for _ in 0..2 {
            for (url, want) in urls.iter().zip(&fresh) {
                assert_eq!(&split_url(url), want, "{url}");
                assert_eq!(&split_url(url), want, "{url}");
            }
        }
        assert_eq!(split_url("https://H.example/v1/p").unwrap().1, "h.example");
    }

    #[test]
    fn authorization_is_written_as_it_parses() {
        let signed = sign_with("https://h/x", &[("X-A", "1")], &creds("AK", None), DATE).unwrap();
        let value = &signed.headers.iter().find(|(n, _)| n == "Authorization").unwrap().1;
        let parsed = Authorization::parse(value).unwrap();
        assert_eq!((parsed.access.as_str(), parsed.signature.as_str()), ("AK", signed.signature.as_str()));
        assert_eq!(parsed.signed_headers.join(";"), signed.signed_headers);
        assert_eq!(&parsed.header_value(), value);
        assert!(!signed.headers.iter().any(|(n, _)| n == "Host"), "Host is signed, not returned");
        assert_eq!(signed.signed_headers, "host;x-a;x-sdk-date");
    }

    #[test]
    fn plain_and_encoded_paths_read_alike() {
        for path in ["/v1/p/app-servers/actions/batch-update-tsvi", "/a/", "/", "", "/A-z_0.9~"] {
            assert!(is_plain_path(path));
            let decoded = decode_component(path);
            let slow: String = decoded.split('/').map(encode_component).collect::<Vec<_>>().join("/");
            assert_eq!(canonical_uri(path).trim_end_matches('/'), slow.trim_end_matches('/'), "{path}");
            assert_eq!(wire_path(path), path);
        }
        assert!(!is_plain_path("/a%20b") && !is_plain_path("/a b") && !is_plain_path("/\u{fc}"));
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
            method: "GET",
            url,
            query: &[],
            headers: &[],
            body: b"",
            credentials: &creds,
            sdk_date: date,
        };
        assert_eq!(sign(&input("ftp://h/x", "20240102T030405Z")), Err(SignError::BadUrl));
        assert_eq!(sign(&input("/relative", "20240102T030405Z")), Err(SignError::BadUrl));
        assert_eq!(sign(&input("https://h/x?a=1", "20240102T030405Z")), Err(SignError::UrlHasQuery));
        assert_eq!(sign(&input("https://h/x", "yesterday")), Err(SignError::BadSdkDate));
    }

    const DATE: &str = "20240102T030405Z";

    fn sign_with(url: &str, headers: &[(&str, &str)], creds: &AkSk, date: &str) -> Result<Signed, SignError> {
        let headers: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        sign(&SignInput { method: "GET", url, query: &[], headers: &headers, body: b"", credentials: creds, sdk_date: date })
    }

    fn creds(ak: &str, token: Option<&str>) -> AkSk {
        AkSk { ak: ak.into(), sk: "sk".into(), security_token: token.map(str::to_owned) }
    }

    #[test]
    fn caller_headers_are_kept_and_signed_never_dropped() {
        let c = creds("AK", None);
        // Each of the headers the signer also sets is kept when it agrees with the request.
        for (name, value) in [("X-Security-Token", "tok"), ("x-sdk-date", DATE), ("Host", "h:8443"), ("X-Custom", "1")] {
            let signed = sign_with("https://h:8443/x", &[(name, value)], &c, DATE).unwrap();
            let kept: Vec<_> = signed.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).collect();
            assert_eq!(kept, [&(name.to_string(), value.to_string())], "{name}");
            assert!(signed.signed_headers.split(';').any(|n| n == name.to_ascii_lowercase()), "{name} is signed");
        }
        // A token given in headers signs exactly as the same token given as an option.
        let as_header = sign_with("https://h/x", &[("X-Security-Token", "tok")], &c, DATE).unwrap();
        let as_option = sign_with("https://h/x", &[], &creds("AK", Some("tok")), DATE).unwrap();
        assert_eq!(as_header.signature, as_option.signature);
        let sorted = |mut headers: Vec<(String, String)>| {
            headers.sort();
            headers
        };
        assert_eq!(sorted(as_header.headers), sorted(as_option.headers));
    }

    #[test]
    fn headers_that_disagree_or_cannot_be_kept_are_refused_by_name() {
        let c = creds("AK", Some("tok"));
        let cases: [(&[(&str, &str)], SignError); 6] = [
            (&[("Authorization", "x")], SignError::ReservedHeader("Authorization".into())),
            (&[("x-security-token", "other")], SignError::ConflictingHeader("x-security-token".into())),
            (&[("X-Sdk-Date", "20240102T030406Z")], SignError::ConflictingHeader("X-Sdk-Date".into())),
            (&[("Host", "evil.example")], SignError::ConflictingHeader("Host".into())),
            (&[("X-A", "1"), ("x-a", "2")], SignError::DuplicateHeader("x-a".into())),
            (&[("X-A", "1"), ("X-A", "1")], SignError::DuplicateHeader("X-A".into())),
        ];
        for (headers, want) in cases {
            assert_eq!(sign_with("https://h/x", headers, &c, DATE), Err(want.clone()));
            assert!(want.path().starts_with("/headers/"), "{want:?} names the header");
        }
    }

    #[test]
    fn signed_names_are_lower_cased_sorted_once_each_without_underscores() {
        let headers: Vec<(String, String)> = [("X-B", "1"), ("a_b", "2"), ("x-a", "3"), ("Content-Type", "j"), ("X-A", "4"), ("B", "5")]
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(signed_header_names(&headers), ["b", "content-type", "x-a", "x-b"]);
        // The first of two names that differ only in case is the one signed, with its value.
        let pairs = signed_pairs(&headers, Some(("Host", "h")));
        assert_eq!(pairs, [("B", "5"), ("Content-Type", "j"), ("Host", "h"), ("x-a", "3"), ("X-B", "1")]);
    }

    #[test]
    fn a_repeated_header_is_found_among_few_and_among_many() {
        let c = creds("AK", None);
        for count in [FEW_HEADERS - 2, FEW_HEADERS + 4] {
            let names: Vec<String> = (0..count).map(|i| format!("X-H{i}")).collect();
            let mut headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
            assert!(sign_with("https://h/x", &headers, &c, DATE).is_ok(), "{count} distinct headers");
            headers.push(("x-h1", "2"));
            headers.push(("X-H1", "3"));
            assert_eq!(sign_with("https://h/x", &headers, &c, DATE), Err(SignError::DuplicateHeader("x-h1".into())), "{count}");
        }
    }

    #[test]
    fn anything_that_could_inject_is_refused() {
        let c = creds("AK", None);
        for value in ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\0b", "caf\u{e9}", "\u{7f}"] {
            assert_eq!(sign_with("https://h/x", &[("X-A", value)], &c, DATE), Err(SignError::HeaderValue("X-A".into())), "{value:?}");
        }
        for name in ["X-A\r\nX-B", "X A", "X:A", "", "Ünï", "X-A\n"] {
            assert_eq!(sign_with("https://h/x", &[(name, "1")], &c, DATE), Err(SignError::HeaderName(name.into())), "{name:?}");
        }
        for ak in ["AK, Signature=0000", "AK\r\nX: 1", "A K", "AK=", "ÄK"] {
            assert_eq!(sign_with("https://h/x", &[], &creds(ak, None), DATE), Err(SignError::BadAccessKey), "{ak:?}");
        }
        for token in ["tok\r\nX-Injected: 1", "tok\n", "", "t\u{f6}k"] {
            assert_eq!(sign_with("https://h/x", &[], &creds("AK", Some(token)), DATE), Err(SignError::BadSecurityToken), "{token:?}");
        }
        let with_method = |method: &str| {
            sign(&SignInput { method, url: "https://h/x", query: &[], headers: &[], body: b"", credentials: &c, sdk_date: DATE })
        };
        assert_eq!(with_method("GET\nX"), Err(SignError::BadMethod));
        assert_eq!(with_method(""), Err(SignError::BadMethod));
        // Tabs and padding inside values are fine: an official vector has them.
        assert!(sign_with("https://h/x", &[("X-A", "  inner  spaces kept \t")], &c, DATE).is_ok());
    }

    #[test]
    fn urls_that_hide_or_drop_something_are_refused() {
        let c = creds("AK", None);
        for (url, want) in [
            ("https://user:pass@h/x", SignError::UrlHasUserinfo),
            ("https://user@h/x", SignError::UrlHasUserinfo),
            ("https://@h/x", SignError::UrlHasUserinfo),
            ("https://h/x#", SignError::UrlHasFragment),
            ("https://h/x#frag", SignError::UrlHasFragment),
            ("https://h/x?", SignError::UrlHasQuery),
            ("https://h/x\n/y", SignError::BadUrl),
            ("https://h/x\t", SignError::BadUrl),
            ("https://h\\x/y", SignError::BadUrl),
        ] {
            assert_eq!(sign_with(url, &[], &c, DATE), Err(want), "{url:?}");
        }
        // '@' and spaces in the path are data, as an official vector has them.
        assert!(sign_with("https://h/v1/my group:\u{fc}@x", &[], &c, DATE).is_ok());
    }

    #[test]
    fn sdk_dates_must_be_real() {
        let c = creds("AK", None);
        for date in [
            "20241302T030405Z",
            "20240230T000000Z",
            "20230229T000000Z",
            "20240431T000000Z",
            "20240102T240000Z",
            "20240102T236000Z",
            "20240102T000060Z",
            "19691231T235959Z",
        ] {
            assert_eq!(sign_with("https://h/x", &[], &c, date), Err(SignError::BadSdkDate), "{date}");
        }
        for date in ["20240229T235959Z", "20000229T000000Z", "19700101T000000Z"] {
            assert!(sign_with("https://h/x", &[], &c, date).is_ok(), "{date}");
        }
    }
}
