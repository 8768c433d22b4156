//! What the client needs from its host: a way to send one HTTP request, and the time.
//!
//! On wasm32 this is [`crate::fetch::FetchTransport`] (the global `fetch`, so browsers,
//! workers and Node alike); native tests script answers with a fake, so the client and
//! everything above it test with `cargo test` and no network.

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    /// The full wire URL, query included.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// The `X-Request-Id` header.
    pub request_id: Option<String>,
    pub body: String,
}

#[allow(async_fn_in_trait)] // used single-threaded; no Send bound wanted on wasm
pub trait Transport {
    /// What callers cancel with (an `AbortSignal` on wasm).
    type Signal;

    /// Sends one request. Gives up with [`Error::Timeout`] after `timeout_ms`, and with
    /// [`Error::Aborted`] when `signal` fires. Error statuses are answers, not errors, here.
    async fn send(&self, request: HttpRequest, timeout_ms: u32, signal: Option<&Self::Signal>) -> Result<HttpResponse, Error>;

    /// Seconds since the Unix epoch, for `X-Sdk-Date`.
    fn now_unix_secs(&self) -> u64;
}
