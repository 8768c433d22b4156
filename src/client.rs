//! The Workspace APP calls this tool makes, on top of any [`Transport`].
//!
//! Read calls are generic over what the answer is read into: the typed models of
//! [`crate::model`], or (in the bindings) the host's own parsed object, which keeps every
//! field the service sent.
//!
//! Every call checks its input first and sends nothing when it is wrong. Reads (GET) are
//! retried on 429, 5xx, timeouts and network errors ([`RetryPolicy`]); batch-update-tsvi and
//! batch-maint never are: a reboot is resent only by the rollout engine, with what it can
//! prove about the servers. Every call is paced ([`crate::pacing`]), answers are bounded
//! (body size, JSON depth), redirects are refused, and nothing built from an answer carries
//! the client's own secrets.

use crate::backoff::{classify_read, parse_retry_after_ms, ReadRetry, Rng, SplitMix64};
use crate::config::{Auth, ClientConfig, RetryPolicy};
use crate::error::{redact, ApiError, Error};
use crate::json::{self, Value};
use crate::model::*;
use crate::pacing::{announced_limit, Outcome, Pacer};
use crate::sign::{self, canonical_query, wire_path, QueryValue, SignInput};
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};
use crate::validate::{self, validate_batch_request, validate_query, Issue};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::task::Poll;

/// The largest page ListServers serves.
pub const MAX_PAGE: u32 = 100;
pub const DEFAULT_PAGE_CONCURRENCY: usize = 4;
pub const MAX_PAGE_CONCURRENCY: usize = 16;
/// listAllServers never asks for more pages than this, whatever `count` says (100,000 servers).
pub const MAX_LIST_PAGES: u32 = 1000;
/// A 401 whose `Date` is further than this from the signing clock is taken for clock skew
/// (APIG refuses an `X-Sdk-Date` 15 minutes off; 5 leaves no doubt).
pub const CLOCK_SKEW_THRESHOLD_MS: i64 = 5 * 60 * 1000;

/// A decoded answer and the request id it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    pub value: T,
    pub request_id: Option<String>,
}

/// What the client tells its owner about its own behaviour (the bindings' `onEvent`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientEvent {
    /// A read failed in a way that may pass and is sent again after `delay_ms`.
    Retry { method: &'static str, path: String, attempt: u32, delay_ms: u32, status: Option<u16>, code: &'static str },
    /// A 401 came with a `Date` far from the signing clock: the clock is corrected by
    /// `offset_ms` for the rest of the client's life and the call sent once more.
    ClockSkew { offset_ms: i64, path: String },
    /// The service throttled the client (429): pacing now allows `rate` calls per second
    /// (`None`: not pacing) and `max_in_flight` at once.
    Throttled { rate: Option<f64>, max_in_flight: usize },
}

/// Why listAllServers stopped before the pages `count` promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListStop {
    /// A page added no server not seen already (a server repeating itself or lying about `count`).
    NoNewServers,
    /// `count` asked for more than [`MAX_LIST_PAGES`] pages.
    PageLimit,
}

/// Every server of a listing, and why it stopped early, when it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing<R> {
    pub count: u32,
    pub items: Vec<R>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<ListStop>,
}

/// A read call of the API, with its input (see [`Client::prepare_read`]).
#[derive(Debug, Clone, Copy)]
pub enum Read<'a> {
    ListServers(Option<&'a Value>),
    ShowServer(&'a str),
    ListServerGroups(Option<&'a Value>),
    ShowServerGroup(&'a str),
    ShowJob(&'a str),
    ListSubJobs(Option<&'a Value>),
}

/// A checked read call: its path and query.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRequest {
    path: String,
    query: Vec<(String, QueryValue)>,
}

/// Who hears the client's [`ClientEvent`]s.
pub type EventListener = Box<dyn Fn(&ClientEvent)>;

pub struct Client<T: Transport> {
    config: ClientConfig,
    transport: T,
    /// The service's clock minus the transport's, learnt from a 401's `Date`; signing adds it.
    clock_offset_ms: Cell<i64>,
    rng: RefCell<Box<dyn Rng>>,
    pacer: RefCell<Pacer>,
    on_event: Option<EventListener>,
}

fn issues_to_error(issues: Vec<Issue>) -> Error {
    Error::Validation(issues)
}

fn to_query(pairs: Vec<validate::QueryPair>) -> Vec<(String, QueryValue)> {
    pairs.into_iter().map(|(k, v)| (k, QueryValue::Text(v))).collect()
}

/// Ends a paced call's slot in flight also when its future is dropped half-way.
struct Slot<'a> {
    pacer: &'a RefCell<Pacer>,
    open: bool,
}

impl Slot<'_> {
    fn finish(mut self, now_ms: u64, outcome: Outcome, announced: Option<f64>) {
        self.open = false;
        self.pacer.borrow_mut().finish(now_ms, outcome, announced);
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if self.open {
            self.pacer.borrow_mut().release();
        }
    }
}

/// Unix milliseconds of an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn parse_http_date_ms(value: &str) -> Option<u64> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, zone] = parts.as_slice() else { return None };
    if *zone != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    let day: u32 = day.parse().ok()?;
    let year: u32 = year.parse().ok()?;
    let hms: Vec<&str> = time.split(':').collect();
    let [h, m, s] = hms.as_slice() else { return None };
    let sdk = format!("{year:04}{month:02}{day:02}T{h:0>2}{m:0>2}{s:0>2}Z");
    sign::unix_from_sdk_date(&sdk).map(|secs| secs * 1000)
}

impl<T: Transport> Client<T> {
    pub fn new(config: ClientConfig, transport: T) -> Self {
        let seed = transport.now_ms() ^ 0x5DEE_CE66_D1CE_5EED;
        Client {
            config,
            transport,
            clock_offset_ms: Cell::new(0),
            rng: RefCell::new(Box::new(SplitMix64(seed))),
            pacer: RefCell::new(Pacer::default()),
            on_event: None,
        }
    }

    /// Replaces the jitter's random source (tests make it exact).
    pub fn with_rng(mut self, rng: impl Rng + 'static) -> Self {
        self.rng = RefCell::new(Box::new(rng));
        self
    }

    /// Hands every [`ClientEvent`] to `listener`.
    pub fn with_events(mut self, listener: impl Fn(&ClientEvent) + 'static) -> Self {
        self.on_event = Some(Box::new(listener));
        self
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The correction applied to the signing clock, in milliseconds (0 until a skew was seen).
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.get()
    }

    /// The pacing state: its rate, slots in flight and 429s seen.
    pub fn pacer(&self) -> Pacer {
        self.pacer.borrow().clone()
    }

    fn emit(&self, event: ClientEvent) {
        if let Some(listener) = &self.on_event {
            listener(&event);
        }
    }

    /// The secrets of this client, to take out of anything built from an answer.
    fn secrets(&self) -> Vec<&str> {
        match &self.config.auth {
            Auth::Token(token) => vec![token],
            Auth::AkSk(credentials) => {
                let mut secrets = vec![credentials.sk.as_str()];
                secrets.extend(credentials.security_token.as_deref());
                secrets
            }
            Auth::None => Vec::new(),
        }
    }

    fn signing_now_ms(&self) -> u64 {
        (self.transport.now_ms() as i64).saturating_add(self.clock_offset_ms.get()).max(0) as u64
    }

    /// Builds the request exactly as it goes on the wire, signed when the auth asks for it.
    pub fn build_request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, QueryValue)],
        body: Option<String>,
    ) -> Result<HttpRequest, Error> {
        let mut headers: Vec<(String, String)> =
            vec![("Content-Type".into(), "application/json".into()), ("X-Project-Id".into(), self.config.project_id.clone())];
        headers.extend(self.config.headers.iter().cloned());
        let url = match &self.config.auth {
            Auth::AkSk(credentials) => {
                let sdk_date = sign::sdk_date_from_unix(self.signing_now_ms() / 1000);
                let signed = sign::sign(&SignInput {
                    method: method.as_str(),
                    url: &format!("{}{path}", self.config.origin),
                    query,
                    headers: &headers,
                    body: body.as_deref().unwrap_or("").as_bytes(),
                    credentials,
                    sdk_date: &sdk_date,
                })
                .map_err(|e| Error::validation("", e.code(), e.message()))?;
                headers = signed.headers;
                signed.url
            }
            other => {
                if let Auth::Token(token) = other {
                    headers.push(("X-Auth-Token".into(), token.clone()));
                }
                let query = canonical_query(query);
                let mut url = format!("{}{}", self.config.origin, wire_path(path));
                if !query.is_empty() {
                    url.push('?');
                    url.push_str(&query);
                }
                url
            }
        };
        Ok(HttpRequest { method, url, headers, body, max_response_bytes: self.config.max_response_bytes })
    }

    /// Waits for pacing, then sends once. Every answer, and every failure, is told to pacing.
    async fn send_paced(&self, request: HttpRequest, signal: Option<&T::Signal>) -> Result<HttpResponse, Error> {
        let wait = loop {
            if signal.is_some_and(|s| self.transport.is_aborted(s)) {
                return Err(Error::Aborted);
            }
            let admitted = self.pacer.borrow_mut().admit(self.transport.now_ms());
            match admitted {
                Ok(wait) => break wait,
                Err(poll) => self.transport.sleep(poll).await,
            }
        };
        let slot = Slot { pacer: &self.pacer, open: true };
        if wait > 0 {
            self.transport.sleep(wait).await;
        }
        let result = self.transport.send(request, self.config.timeout_ms, signal).await;
        let now = self.transport.now_ms();
        match &result {
            Ok(response) => {
                let announced = announced_limit(response.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
                let outcome = if response.status == 429 { Outcome::Throttled } else { Outcome::Passed };
                slot.finish(now, outcome, announced);
                if response.status == 429 {
                    let pacer = self.pacer.borrow().clone();
                    self.emit(ClientEvent::Throttled { rate: pacer.rate(), max_in_flight: pacer.max_in_flight() });
                }
            }
            Err(_) => slot.finish(now, Outcome::Passed, None),
        }
        result
    }

    /// One call: paced, retried when it is a read, corrected once for clock skew, and read
    /// into `R`. Nothing returned carries the client's secrets.
    async fn call<R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, QueryValue)],
        body: Option<String>,
        signal: Option<&T::Signal>,
    ) -> Result<Answer<R>, Error> {
        // The sending is the same for every `R`: compiled once, only the decoding per type.
        self.call_text(method, path, query, body, signal).await?.decode()
    }

    /// [`Client::call`] up to the answer's text, which is a success to decode.
    async fn call_text(
        &self,
        method: Method,
        path: &str,
        query: &[(String, QueryValue)],
        body: Option<String>,
        signal: Option<&T::Signal>,
    ) -> Result<Received, Error> {
        let policy = if method.is_read() { self.config.retry } else { RetryPolicy::OFF };
        let mut attempt = 1;
        let mut skew_corrected: Option<i64> = None;
        loop {
            let request = self.build_request(method, path, query, body.clone())?;
            let result = self.send_paced(request, signal).await;
            let result = match result {
                Ok(response) => {
                    if let Some(offset) = self.skew_to_correct(&response, skew_corrected.is_some()) {
                        skew_corrected = Some(offset);
                        self.clock_offset_ms.set(offset);
                        self.emit(ClientEvent::ClockSkew { offset_ms: offset, path: path.to_owned() });
                        // The resend does not count as an attempt, and happens once per call.
                        continue;
                    }
                    self.read_answer(response)
                }
                Err(error) => Err(self.redacted(error)),
            };
            let error = match result {
                Ok(received) => return Ok(Received { clock_skew_ms: skew_corrected, ..received }),
                Err(mut error) => {
                    if let (Error::Api(api), Some(offset)) = (&mut error, skew_corrected) {
                        api.clock_skew_ms = Some(offset);
                    }
                    error
                }
            };
            let aborted = signal.is_some_and(|s| self.transport.is_aborted(s));
            let class = classify_read(&error);
            if attempt >= policy.max_attempts || class == ReadRetry::Final || aborted {
                return Err(error);
            }
            let (status, hint) = match &error {
                Error::Api(api) => (Some(api.status), api.retry_after_ms),
                _ => (None, None),
            };
            let backoff = policy.backoff(class == ReadRetry::Throttled);
            let delay = backoff.delay_with_hint_ms(attempt - 1, hint, &mut **self.rng.borrow_mut());
            self.emit(ClientEvent::Retry {
                method: method.as_str(),
                path: path.to_owned(),
                attempt,
                delay_ms: delay,
                status,
                code: error.code(),
            });
            self.transport.sleep(delay).await;
            attempt += 1;
        }
    }

    /// The correction to make when a signed call got a 401 whose `Date` is far from the
    /// signing clock, unless this call was corrected already.
    fn skew_to_correct(&self, response: &HttpResponse, already: bool) -> Option<i64> {
        if already || response.status != 401 || !matches!(self.config.auth, Auth::AkSk(_)) {
            return None;
        }
        let server_ms = parse_http_date_ms(response.header("date")?)? as i64;
        let skew = server_ms - self.signing_now_ms() as i64;
        (skew.abs() > CLOCK_SKEW_THRESHOLD_MS).then(|| self.clock_offset_ms.get() + skew)
    }

    fn redacted(&self, error: Error) -> Error {
        let secrets = self.secrets();
        match error {
            Error::Network { message, sent } => Error::Network { message: redact(&message, &secrets), sent },
            Error::Api(mut api) => {
                api.error_msg = redact(&api.error_msg, &secrets);
                api.error_code = redact(&api.error_code, &secrets);
                api.body = api.body.map(|b| redact(&b, &secrets));
                api.request_id = api.request_id.map(|r| redact(&r, &secrets));
                api.encoded_authorization_message = api.encoded_authorization_message.map(|m| redact(&m, &secrets));
                Error::Api(api)
            }
            other => other,
        }
    }

    /// Turns an answer into the text to decode or the error it stands for. Secrets the
    /// service echoed are taken out of the body before anything is read from it.
    fn read_answer(&self, response: HttpResponse) -> Result<Received, Error> {
        let HttpResponse { status, request_id, retry_after, body, .. } = response;
        let secrets = self.secrets();
        let request_id = request_id.map(|id| redact(&id, &secrets));
        let body = redact(&body, &secrets);
        let invalid = |code: &str, message: &str, body: &str| {
            Err(Error::Api(Box::new(ApiError::unreadable(status, code, message, request_id.clone(), body))))
        };
        if body.len() > self.config.max_response_bytes as usize {
            return invalid("response.too_large", "the answer is larger than maxResponseBytes; it was not read", "");
        }
        // The API never redirects; a redirect is not followed (it could carry the
        // credentials to another host). `0` is a browser's opaque redirect.
        if status == 0 || (300..400).contains(&status) {
            return invalid(
                "response.redirect",
                "the service answered with a redirect, which this API never sends; it was not followed",
                "",
            );
        }
        if status >= 400 {
            let mut error = ApiError::from_response(status, &body, request_id);
            error.retry_after_ms = retry_after.as_deref().and_then(parse_retry_after_ms);
            return Err(Error::Api(Box::new(error)));
        }
        Ok(Received { status, request_id, body, clock_skew_ms: None })
    }

    fn project_path(&self, rest: &str) -> String {
        format!("/v1/{}/{rest}", self.config.project_id)
    }

    /// `PATCH /v1/{project_id}/app-servers/actions/batch-update-tsvi`. Reboots every listed
    /// server. Sent once, never retried.
    pub async fn batch_update_tsvi(&self, items: &[UpdateTsvi], signal: Option<&T::Signal>) -> Result<Answer<String>, Error> {
        // Typed callers get the same rules as JS ones, from the one validator.
        let issues = validate_batch_request(&batch_value(items));
        if !issues.is_empty() {
            return Err(issues_to_error(issues));
        }
        self.send_batch_update(items, signal).await
    }

    /// [`Client::batch_update_tsvi`] for an untyped body, `{"items": [{"id", "enable"}]}`, as
    /// JS callers give it: validated once, here, and read into items once.
    pub async fn batch_update_tsvi_body(&self, body: &Value, signal: Option<&T::Signal>) -> Result<Answer<String>, Error> {
        let issues = validate_batch_request(body);
        if !issues.is_empty() {
            return Err(issues_to_error(issues));
        }
        self.send_batch_update(&batch_items(body), signal).await
    }

    /// Sends a batch that was validated: the items become the body's text once.
    async fn send_batch_update(&self, items: &[UpdateTsvi], signal: Option<&T::Signal>) -> Result<Answer<String>, Error> {
        let body = json::to_string(&UpdateTsviReq { items: items.to_vec() })
            .map_err(|_| Error::validation("", "body.unserializable", "the request could not be written as JSON"))?;
        let answer: Answer<BatchUpdateTsviResponse> =
            self.call(Method::Patch, &self.project_path("app-servers/actions/batch-update-tsvi"), &[], Some(body), signal).await?;
        match answer.value.job_id {
            Some(job_id) if !job_id.is_empty() => Ok(Answer { value: job_id, request_id: answer.request_id }),
            // The servers may be rebooting already; the caller must treat this as ambiguous.
            _ => Err(Error::Api(Box::new(ApiError::unreadable(
                200,
                "response.no_job_id",
                "the service accepted the batch but returned no job_id",
                answer.request_id,
                "",
            )))),
        }
    }

    /// `PATCH /v1/{project_id}/app-servers/actions/batch-maint`: puts servers into maintenance
    /// mode (no new sessions) or takes them out.
    pub async fn batch_change_maintain_mode(
        &self,
        ids: &[String],
        maintain: bool,
        signal: Option<&T::Signal>,
    ) -> Result<Answer<()>, Error> {
        let request = BatchMaintReq { items: ids.to_vec(), maintain_status: maintain };
        let as_value = Value::Object(vec![
            ("items".into(), Value::Array(ids.iter().cloned().map(Value::String).collect())),
            ("maintain_status".into(), Value::Bool(maintain)),
        ]);
        let issues = validate::validate_maint_request(&as_value);
        if !issues.is_empty() {
            return Err(issues_to_error(issues));
        }
        let body = json::to_string(&request)
            .map_err(|_| Error::validation("", "body.unserializable", "the request could not be written as JSON"))?;
        let answer: Answer<Value> =
            self.call(Method::Patch, &self.project_path("app-servers/actions/batch-maint"), &[], Some(body), signal).await?;
        Ok(Answer { value: (), request_id: answer.request_id })
    }

    /// Checks a read call's input and gives its path and query, sending nothing: with
    /// [`Client::read`], what every read method does (the bindings call the two apart, so
    /// all their reads share one future).
    pub fn prepare_read(&self, read: Read<'_>) -> Result<ReadRequest, Error> {
        let listing = |query, params, rest: &str| {
            let pairs = validate_query(query, params).map_err(issues_to_error)?;
            Ok::<_, Error>((self.project_path(rest), pairs))
        };
        let (path, pairs) = match read {
            Read::ListServers(query) => listing(query, validate::LIST_SERVERS_QUERY, "app-servers")?,
            Read::ListServerGroups(query) => listing(query, validate::LIST_SERVER_GROUPS_QUERY, "app-server-groups")?,
            Read::ListSubJobs(query) => {
                let (path, mut pairs) = listing(query, validate::LIST_SUB_JOBS_QUERY, "app-server-sub-jobs")?;
                if !pairs.iter().any(|(k, _)| k == "job_type") {
                    pairs.insert(0, ("job_type".into(), JobType::UpdateServerTsvi.as_str().into()));
                }
                (path, pairs)
            }
            Read::ShowServer(id) => {
                check_path_id(id, "/id")?;
                (self.project_path(&format!("app-servers/{id}")), Vec::new())
            }
            Read::ShowServerGroup(id) => {
                check_path_id(id, "/id")?;
                (self.project_path(&format!("app-server-groups/{id}")), Vec::new())
            }
            Read::ShowJob(job_id) => {
                check_path_id(job_id, "/jobId")?;
                (format!("/v2/{}/job/{job_id}", self.config.project_id), Vec::new())
            }
        };
        Ok(ReadRequest { path, query: to_query(pairs) })
    }

    /// Sends a read [`Client::prepare_read`] made and reads the answer into `R`.
    pub async fn read<R: DeserializeOwned>(&self, request: &ReadRequest, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        self.call(Method::Get, &request.path, &request.query, None, signal).await
    }

    /// `GET /v1/{project_id}/app-servers`, one page ([`ListServersResponse`]).
    pub async fn list_servers<R: DeserializeOwned>(&self, query: Option<&Value>, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        self.read(&self.prepare_read(Read::ListServers(query))?, signal).await
    }

    /// Every server matching the filters: the first page at limit 100, then the other pages
    /// `concurrency` at a time. Servers that moved between pages while paging are listed once.
    /// `on_page(loaded, total)` reports progress after each page. Bounded against a server
    /// that lies: it asks for at most the pages the first `count` gives, never more than
    /// [`MAX_LIST_PAGES`], and stops at the first page that adds no new server; `stopped`
    /// says when and why it ended early.
    pub async fn list_all_servers<R: ServerRecord>(
        &self,
        query: Option<&Value>,
        concurrency: usize,
        signal: Option<&T::Signal>,
        on_page: &dyn Fn(u32, u32),
    ) -> Result<Listing<R>, Error> {
        if let Some(Value::Object(fields)) = query {
            if let Some((key, _)) = fields.iter().find(|(k, _)| k == "offset" || k == "limit") {
                return Err(Error::validation(&validate::pointer("", key), "query.paging", "listAllServers sets offset and limit itself"));
            }
        }
        let filters = validate_query(query, validate::LIST_SERVERS_QUERY).map_err(issues_to_error)?;
        let path = self.project_path("app-servers");
        let page_query = |offset: u32| {
            let mut q = to_query(filters.clone());
            q.push(("offset".into(), QueryValue::Int(offset as i64)));
            q.push(("limit".into(), QueryValue::Int(MAX_PAGE as i64)));
            q
        };
        let first: Answer<Page<R>> = self.call(Method::Get, &path, &page_query(0), None, signal).await?;
        let total = first.value.count;
        let mut items = first.value.items;
        let mut seen: crate::hash::HashSet<String> = items.iter().filter_map(R::server_id).collect();
        let mut loaded = items.len() as u32;
        on_page(loaded, total);

        let promised = total.div_ceil(MAX_PAGE);
        let mut stopped = (promised > MAX_LIST_PAGES).then_some(ListStop::PageLimit);
        let offsets: Vec<u32> = (1..promised.min(MAX_LIST_PAGES)).map(|page| page * MAX_PAGE).collect();
        // Each page in its slot (page `n` at `n - 1`), so they come out in order with no sort.
        let mut pages: Vec<Vec<R>> = Vec::new();
        pages.resize_with(offsets.len(), Vec::new);
        let fetch_page = |offset: u32| {
            let q = page_query(offset);
            let path = &path;
            async move {
                let page: Answer<Page<R>> = self.call(Method::Get, path, &q, None, signal).await?;
                Ok::<_, Error>((offset, page.value.items))
            }
        };
        // At most `concurrency` pages in flight, each answer taken as it comes (a few lines
        // here instead of futures-util's `buffer_unordered` in the wasm).
        let limit = concurrency.clamp(1, MAX_PAGE_CONCURRENCY);
        let mut waiting = offsets.into_iter();
        let mut in_flight = Vec::with_capacity(limit);
        loop {
            while in_flight.len() < limit {
                match waiting.next() {
                    Some(offset) => in_flight.push(Box::pin(fetch_page(offset))),
                    None => break,
                }
            }
            if in_flight.is_empty() {
                break;
            }
            let result = std::future::poll_fn(|cx| {
                for index in 0..in_flight.len() {
                    if let Poll::Ready(result) = in_flight[index].as_mut().poll(cx) {
                        drop(in_flight.swap_remove(index));
                        return Poll::Ready(result);
                    }
                }
                Poll::Pending
            })
            .await;
            let (offset, page) = result?;
            // A server that moved to a later page while paging is listed once.
            let fresh: Vec<R> = page.into_iter().filter(|server| server.server_id().is_none_or(|id| seen.insert(id))).collect();
            if fresh.is_empty() {
                // Nothing new: the listing has ended, whatever `count` said. The pages still
                // in flight are dropped.
                stopped = Some(ListStop::NoNewServers);
                break;
            }
            loaded += fresh.len() as u32;
            on_page(loaded.min(total), total);
            if let Some(slot) = ((offset / MAX_PAGE) as usize).checked_sub(1).and_then(|index| pages.get_mut(index)) {
                *slot = fresh;
            }
        }
        drop(in_flight);
        items.extend(pages.into_iter().flatten());
        Ok(Listing { count: total, items, stopped })
    }

    /// `GET /v1/{project_id}/app-servers/{server_id}` ([`AppServer`]).
    pub async fn show_server<R: DeserializeOwned>(&self, id: &str, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        self.read(&self.prepare_read(Read::ShowServer(id))?, signal).await
    }

    /// `GET /v1/{project_id}/app-server-groups`, one page ([`ListServerGroupsResponse`]).
    pub async fn list_server_groups<R: DeserializeOwned>(
        &self,
        query: Option<&Value>,
        signal: Option<&T::Signal>,
    ) -> Result<Answer<R>, Error> {
        self.read(&self.prepare_read(Read::ListServerGroups(query))?, signal).await
    }

    /// `GET /v1/{project_id}/app-server-groups/{server_group_id}`, the only call that returns
    /// the group's `ip_virtual` ([`ServerGroup`]).
    pub async fn show_server_group<R: DeserializeOwned>(&self, id: &str, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        self.read(&self.prepare_read(Read::ShowServerGroup(id))?, signal).await
    }

    /// `GET /v2/{project_id}/job/{job_id}`: the job detail ([`JobDetail`]; the v1 form is deprecated).
    pub async fn show_job<R: DeserializeOwned>(&self, job_id: &str, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        self.read(&self.prepare_read(Read::ShowJob(job_id))?, signal).await
    }

    /// `GET /v1/{project_id}/app-server-sub-jobs` ([`ListSubJobsResponse`]); `job_type` defaults
    /// to UPDATE_SERVER_TSVI.
    pub async fn list_sub_jobs<R: DeserializeOwned>(&self, query: Option<&Value>, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        self.read(&self.prepare_read(Read::ListSubJobs(query))?, signal).await
    }
}

/// A successful answer's text, redacted, not decoded yet.
struct Received {
    status: u16,
    request_id: Option<String>,
    body: String,
    /// The clock correction this call made, if any, for the error of an unreadable body.
    clock_skew_ms: Option<i64>,
}

impl Received {
    /// The answer read into `R`; a body that cannot be read is an `ApiError` (`response.invalid`).
    fn decode<R: DeserializeOwned>(self) -> Result<Answer<R>, Error> {
        let Received { status, request_id, body, clock_skew_ms } = self;
        // Some calls (batch-maint) answer with no body at all.
        let text = if body.trim().is_empty() { "{}" } else { body.as_str() };
        let message = match json::from_str::<R>(text) {
            Ok(value) => return Ok(Answer { value, request_id }),
            Err(json::CodecError::TooDeep) => "the service answered with a body nested too deep to read",
            Err(_) => "the service answered with a body this client cannot read",
        };
        let mut error = ApiError::unreadable(status, "response.invalid", message, request_id, &body);
        error.clock_skew_ms = clock_skew_ms;
        Err(Error::Api(Box::new(error)))
    }
}

fn check_path_id(id: &str, path: &str) -> Result<(), Error> {
    let mut issues = Vec::new();
    validate::check_id(id, path, &mut issues);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues_to_error(issues))
    }
}

/// The untyped form of a batch, so typed callers get the same checks as JS callers.
pub fn batch_value(items: &[UpdateTsvi]) -> Value {
    let list = items
        .iter()
        .map(|item| Value::Object(vec![("id".into(), Value::String(item.id.clone())), ("enable".into(), Value::Bool(item.enable))]))
        .collect();
    Value::Object(vec![("items".into(), Value::Array(list))])
}

/// Reads a batch that [`validate_batch_request`] accepted.
pub fn batch_items(body: &Value) -> Vec<UpdateTsvi> {
    let Some(Value::Array(items)) = body.get("items") else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            Some(UpdateTsvi { id: item.get("id")?.as_str()?.to_owned(), enable: matches!(item.get("enable"), Some(Value::Bool(true))) })
        })
        .collect()
}
