//! What the client needs from its host: a way to send one HTTP request, the time, and a way
//! to wait.
//!
//! On wasm32 this is [`crate::fetch::FetchTransport`] (the global `fetch`, so browsers,
//! workers and Node alike); native tests script answers with a fake, so the client and
//! everything above it test with `cargo test` and no network.

use crate::error::Error;

/// The HTTP methods the client sends. An enum, so no transport has to guess what a string
/// means: PATCH is the call that reboots servers, and nothing falls back to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Reads are the only calls that may be sent again.
    pub const fn is_read(self) -> bool {
        matches!(self, Method::Get)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Method {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    /// The full wire URL, query included.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// The largest response body to read; a transport stops reading past it and fails the
    /// call with an `ApiError` `response.too_large`.
    pub max_response_bytes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// The `X-Request-Id` header.
    pub request_id: Option<String>,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The other headers the client reads, names in lower case: `date` (clock skew) and
    /// `x-apig-ratelimit-*` (pacing). Transports may leave out the rest.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Whether the client reads a response header (besides `X-Request-Id` and `Retry-After`).
pub fn is_read_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("date") || (name.len() > 17 && name[..17].eq_ignore_ascii_case("x-apig-ratelimit-"))
}

#[allow(async_fn_in_trait)] // used single-threaded; no Send bound wanted on wasm
pub trait Transport {
    /// What callers cancel with (an `AbortSignal` on wasm).
    type Signal;

    /// Sends one request. Gives up with [`Error::Timeout`] after `timeout_ms`, and with
    /// [`Error::Aborted`] when `signal` fires. Error statuses are answers, not errors, here.
    async fn send(&self, request: HttpRequest, timeout_ms: u32, signal: Option<&Self::Signal>) -> Result<HttpResponse, Error>;

    /// Milliseconds since the Unix epoch: for `X-Sdk-Date` and the times in reports.
    fn now_ms(&self) -> u64;

    /// Waits; a fake transport advances its own clock instead.
    async fn sleep(&self, ms: u32);

    /// Whether the caller has asked to stop.
    fn is_aborted(&self, signal: &Self::Signal) -> bool;
}

#[cfg(test)]
mod tests {
    use super::Method;

    #[test]
    fn every_method_has_its_own_name_and_only_get_is_a_read() {
        let all = [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete];
        let names: Vec<_> = all.iter().map(|m| m.as_str()).collect();
        assert_eq!(names, ["GET", "POST", "PUT", "PATCH", "DELETE"]);
        assert_eq!(all.iter().filter(|m| m.is_read()).count(), 1);
        assert!(Method::Get.is_read() && Method::Patch == "PATCH" && format!("{}", Method::Patch) == "PATCH");
    }
}
