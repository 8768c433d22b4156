//! The connection guard: what stands between a socket and hyper.
//!
//! hyper parses request heads itself, and answers a head it cannot parse with a bare 400,
//! 414 or 431 of its own, without our security headers, JSON body or request id. It has no
//! cap on connections, and its header-read timeout cannot tell an idle keep-alive
//! connection from a slow client. So every byte a client sends passes through [`GuardedIo`]
//! first. It reads each request head itself, within the head timeout and the size limits,
//! and checks it as hyper would (request line, target, headers, `Content-Length`,
//! `Transfer-Encoding`). A good head, and then exactly its body, is handed to hyper. A bad
//! one never reaches hyper: the guard ends hyper's side of the connection with a clean end
//! of stream and, once hyper is done, writes its own JSON answer ([`Refusal::response`]) and
//! closes the socket.
//!
//! A chunked request body has no length to count, so after a chunked request the guard
//! steps aside for the rest of the connection, and the answer closes it (`Connection: close`).

use crate::config::{MAX_HEAD_BYTES, MAX_TARGET_BYTES};
use crate::error::codes;
use crate::http::{SECURITY_HEADERS, X_REQUEST_ID};
use axum::http::StatusCode;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Why the guard answered a connection itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub msg: &'static str,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, msg: &'static str) -> Self {
        Refusal { status, code, msg }
    }

    pub fn bad_request(msg: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, codes::GUARD_BAD_REQUEST, msg)
    }

    pub fn too_many_connections() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::UPSTREAM_UNREACHABLE,
            "The gateway is serving as many connections as it may; nothing was done. Try again shortly.",
        )
    }

    /// The complete answer, closing the connection.
    pub fn response(&self, request_id: &str, date: Option<&str>) -> Vec<u8> {
        let body = serde_json::json!({ "error_code": self.code, "error_msg": self.msg, "request_id": request_id }).to_string();
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\ncache-control: no-store\r\n{}: {request_id}\r\n",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or(""),
            body.len(),
            X_REQUEST_ID,
        );
        for (name, value) in SECURITY_HEADERS {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(date) = date {
            head.push_str(&format!("date: {date}\r\n"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            head.push_str("retry-after: 1\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        bytes
    }
}

/// Larger lengths are refused as hyper refuses them (it cannot count that far).
const MAX_CONTENT_LENGTH: u64 = 1 << 53;

/// Room for the method and the version around the target in a request line.
const REQUEST_LINE_EXTRA: usize = 32;

fn target_too_long() -> Refusal {
    Refusal::new(StatusCode::URI_TOO_LONG, codes::URI_TOO_LONG, "The request target is longer than 8 KiB.")
}

/// How a request body is delimited, from its head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
}

/// Checks one complete head (`head` ends with its blank line) the way hyper would parse it.
fn check_head(head: &[u8]) -> Result<Framing, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; 100];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(Refusal::bad_request("The request head is incomplete.")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                codes::HEADERS_TOO_LARGE,
                "The request has more than 100 headers.",
            ))
        }
        Err(_) => return Err(Refusal::bad_request("The request line or a header is malformed.")),
    }
    let target = request.path.unwrap_or("");
    if target.len() > MAX_TARGET_BYTES {
        return Err(target_too_long());
    }
    if axum::http::Uri::try_from(target).is_err() || !target.is_ascii() {
        return Err(Refusal::bad_request("The request target is not a valid URI (it must be ASCII, with other bytes percent-encoded)."));
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).unwrap_or("");
            let value = (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u64>().ok())
                .flatten()
                .filter(|n| *n <= MAX_CONTENT_LENGTH);
            match (value, length) {
                (None, _) => return Err(Refusal::bad_request("The Content-Length header is not a whole number.")),
                (Some(v), Some(seen)) if v != seen => {
                    return Err(Refusal::bad_request("The request has Content-Length headers that disagree."))
                }
                (Some(v), _) => length = Some(v),
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            if request.version != Some(1) {
                return Err(Refusal::bad_request("HTTP/1.0 has no Transfer-Encoding."));
            }
            let text = std::str::from_utf8(header.value).unwrap_or("");
            let last = text.rsplit(',').next().unwrap_or("").trim();
            if !last.eq_ignore_ascii_case("chunked") || chunked {
                return Err(Refusal::bad_request("The Transfer-Encoding header must end with chunked, once."));
            }
            chunked = true;
        }
    }
    match (chunked, length) {
        (true, Some(_)) => Err(Refusal::bad_request("The request has both Content-Length and Transfer-Encoding.")),
        (true, None) => Ok(Framing::Chunked),
        (false, length) => Ok(Framing::Length(length.unwrap_or(0))),
    }
}

/// What the guard and the service of one connection share.
#[derive(Debug)]
pub struct ConnState {
    /// Requests handed to hyper whose answer has not been produced yet.
    in_flight: AtomicUsize,
    /// When the connection last became idle (no request in flight).
    idle_since: Mutex<Instant>,
    /// The guard's read waker, woken when the connection becomes idle.
    waker: Mutex<Option<Waker>>,
    /// Set when the guard refused a head: the answer to write once hyper is done.
    refusal: Mutex<Option<Refusal>>,
    /// Set after a chunked request: the guard stepped aside, so the answer closes.
    close_after_answer: AtomicBool,
}

impl Default for ConnState {
    fn default() -> Self {
        ConnState {
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            waker: Mutex::new(None),
            refusal: Mutex::new(None),
            close_after_answer: AtomicBool::new(false),
        }
    }
}

impl ConnState {
    /// The service produced an answer: when none is left, the head timer starts again.
    pub fn answered(&self) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            *self.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
            if let Some(waker) = self.waker.lock().unwrap_or_else(|p| p.into_inner()).take() {
                waker.wake();
            }
        }
    }

    pub fn close_after_answer(&self) -> bool {
        self.close_after_answer.load(Ordering::Relaxed)
    }

    pub fn take_refusal(&self) -> Option<Refusal> {
        self.refusal.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn refuse(&self, refusal: Refusal) {
        *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(refusal);
    }
}

enum Phase {
    /// Reading a request head; `scanned` bytes of `head` hold no blank line.
    Head { scanned: usize },
    /// Handing hyper this many more body bytes.
    Body(u64),
    /// After a chunked request: bytes pass unchecked.
    Passthrough,
    /// Hyper sees the end of the stream (after a refusal or a timeout).
    Closed,
}

/// The socket as hyper sees it. See the module's documentation.
pub struct GuardedIo<T> {
    inner: T,
    state: Arc<ConnState>,
    head_timeout: Duration,
    phase: Phase,
    /// Bytes read from the socket and not yet sorted into a head or a body.
    head: Vec<u8>,
    /// Checked bytes waiting for hyper, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    timer: Pin<Box<Sleep>>,
    timer_for: Option<Instant>,
    /// A body, too, must arrive within the head timeout of its head.
    body_deadline: Instant,
}

impl<T> GuardedIo<T> {
    pub fn new(inner: T, state: Arc<ConnState>, head_timeout: Duration) -> Self {
        GuardedIo {
            inner,
            state,
            head_timeout,
            phase: Phase::Head { scanned: 0 },
            head: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            timer_for: None,
            body_deadline: Instant::now(),
        }
    }

    /// Polls the timer for `deadline`; true once it has passed.
    fn expired(&mut self, deadline: Instant, cx: &mut Context<'_>) -> bool {
        if self.timer_for != Some(deadline) {
            self.timer.as_mut().reset(deadline);
            self.timer_for = Some(deadline);
        }
        self.timer.as_mut().poll(cx).is_ready()
    }

    pub fn into_inner(self) -> T {
        self.inner
    }

    /// Queues checked bytes for hyper.
    fn hand_over(&mut self, bytes: &[u8]) {
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        self.out.extend_from_slice(bytes);
    }

    /// Sorts the buffered bytes: a complete head (checked), then its body, then the next head.
    fn advance(&mut self) {
        loop {
            match self.phase {
                Phase::Closed => {
                    self.head.clear();
                    return;
                }
                Phase::Passthrough => {
                    let bytes = std::mem::take(&mut self.head);
                    self.hand_over(&bytes);
                    return;
                }
                Phase::Body(0) => self.phase = Phase::Head { scanned: 0 },
                Phase::Body(remaining) => {
                    if self.head.is_empty() {
                        return;
                    }
                    let n = (remaining.min(self.head.len() as u64)) as usize;
                    let body: Vec<u8> = self.head.drain(..n).collect();
                    self.hand_over(&body);
                    self.phase = Phase::Body(remaining - n as u64);
                }
                Phase::Head { scanned } => {
                    // Blank lines before a request line are allowed (RFC 9112 §2.2).
                    while self.head.starts_with(b"\r\n") {
                        self.head.drain(..2);
                    }
                    let from = scanned.saturating_sub(3);
                    let Some(end) = find_blank_line(&self.head[from.min(self.head.len())..]).map(|i| from + i) else {
                        // A request line longer than any valid one: say so before it ends.
                        let line = self.head.windows(2).position(|w| w == b"\r\n").unwrap_or(self.head.len());
                        if line > MAX_TARGET_BYTES + REQUEST_LINE_EXTRA {
                            self.refuse(target_too_long());
                        } else if self.head.len() > MAX_HEAD_BYTES {
                            self.refuse(Refusal::new(
                                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                                codes::HEADERS_TOO_LARGE,
                                "The request head is larger than 64 KiB.",
                            ));
                        } else {
                            self.phase = Phase::Head { scanned: self.head.len() };
                        }
                        return;
                    };
                    if end > MAX_HEAD_BYTES {
                        self.refuse(Refusal::new(
                            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                            codes::HEADERS_TOO_LARGE,
                            "The request head is larger than 64 KiB.",
                        ));
                        return;
                    }
                    match check_head(&self.head[..end]) {
                        Ok(framing) => {
                            let head: Vec<u8> = self.head.drain(..end).collect();
                            self.hand_over(&head);
                            self.state.in_flight.fetch_add(1, Ordering::AcqRel);
                            self.body_deadline = Instant::now() + self.head_timeout;
                            self.phase = match framing {
                                Framing::Length(n) => Phase::Body(n),
                                Framing::Chunked => {
                                    self.state.close_after_answer.store(true, Ordering::Relaxed);
                                    Phase::Passthrough
                                }
                            };
                        }
                        Err(refusal) => {
                            self.refuse(refusal);
                            return;
                        }
                    }
                }
            }
        }
    }

    fn refuse(&mut self, refusal: Refusal) {
        self.state.refuse(refusal);
        self.phase = Phase::Closed;
        self.head.clear();
    }
}

/// The end of a head: the index just past its first blank line.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.out_pos < this.out.len() {
                let n = (this.out.len() - this.out_pos).min(buf.remaining());
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                return Poll::Ready(Ok(()));
            }
            match this.phase {
                Phase::Closed => {
                    // A refused head waits for the answers in flight, so hyper finishes them
                    // before it sees the end of the stream.
                    if this.state.in_flight.load(Ordering::Acquire) > 0 {
                        *this.state.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
                        if this.state.in_flight.load(Ordering::Acquire) > 0 {
                            return Poll::Pending;
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
                Phase::Head { .. } if this.state.in_flight.load(Ordering::Acquire) == 0 => {
                    let idle_since = *this.state.idle_since.lock().unwrap_or_else(|p| p.into_inner());
                    if this.expired(idle_since + this.head_timeout, cx) {
                        if this.head.is_empty() {
                            // An idle connection: closed without a word, as keep-alive allows.
                            this.phase = Phase::Closed;
                        } else {
                            this.refuse(Refusal::new(
                                StatusCode::REQUEST_TIMEOUT,
                                codes::HEAD_TIMEOUT,
                                "The request head did not arrive in time.",
                            ));
                        }
                        continue;
                    }
                }
                Phase::Head { .. } => {
                    // Answers are in flight: the timer waits for them.
                    *this.state.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
                }
                Phase::Body(remaining) if remaining > 0 => {
                    let deadline = this.body_deadline;
                    if this.expired(deadline, cx) {
                        // A body that trickles: hyper sees it cut short, and the connection ends.
                        this.phase = Phase::Closed;
                        this.head.clear();
                        return Poll::Ready(Ok(()));
                    }
                }
                _ => {}
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    // The client closed its side: hyper sees whatever it had, then the end.
                    if let Phase::Passthrough | Phase::Body(_) = this.phase {
                        this.phase = Phase::Closed;
                        return Poll::Ready(Ok(()));
                    }
                    this.phase = Phase::Closed;
                    this.head.clear();
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(())) => {
                    this.head.extend_from_slice(read.filled());
                    this.advance();
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(head: &str) -> Result<Framing, StatusCode> {
        check_head(head.as_bytes()).map_err(|r| r.status)
    }

    #[test]
    fn heads_are_checked_as_hyper_would() {
        assert_eq!(framing("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Ok(Framing::Length(0)));
        assert_eq!(framing("PATCH /x HTTP/1.1\r\nContent-Length: 12\r\ncontent-length: 12\r\n\r\n"), Ok(Framing::Length(12)));
        assert_eq!(framing("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), Ok(Framing::Chunked));
        let bad = StatusCode::BAD_REQUEST;
        for head in [
            "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
            "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
            "GET /\u{e9} HTTP/1.1\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
            "G(T / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        ] {
            assert_eq!(framing(head), Err(bad), "{head:?}");
        }
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET_BYTES));
        assert_eq!(framing(&long), Err(StatusCode::URI_TOO_LONG));
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(101));
        assert_eq!(framing(&many), Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
    }

    #[test]
    fn refusals_carry_the_security_headers_and_a_json_body() {
        let text = String::from_utf8(Refusal::bad_request("nope").response("rid-1", Some("d"))).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
        for needle in [
            "x-content-type-options: nosniff",
            "referrer-policy: no-referrer",
            "content-security-policy: default-src 'self'",
            "x-request-id: rid-1",
            "connection: close",
            "date: d",
            r#"{"error_code":"GATEWAY.0400","error_msg":"nope","request_id":"rid-1"}"#,
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
    }
}
