//! The client's network side over a scripted transport with a fake clock: read retries,
//! pacing, clock skew, bounded answers, redirects and secrets. Waiting advances the clock, so
//! every delay is checked exactly and nothing really sleeps.

use futures_executor::block_on;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use workspace_tsvi::backoff::Rng;
use workspace_tsvi::client::{ClientEvent, ListStop, CLOCK_SKEW_THRESHOLD_MS, MAX_LIST_PAGES};
use workspace_tsvi::config::{parse_client_config, ClientConfig};
use workspace_tsvi::json::{self, Value};
use workspace_tsvi::model::{AppServer, JobDetail, ListServersResponse, ServerGroup, UpdateTsvi};
use workspace_tsvi::transport::{HttpRequest, HttpResponse, Transport};
use workspace_tsvi::{Client, Error};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const START_MS: u64 = 1_704_164_645_000; // 2024-01-02T03:04:05Z
const TOKEN: &str = "canary-token-7f3a";
const SK: &str = "canary-sk-91bd";
const SECURITY_TOKEN: &str = "canary-st-c2e8";

type Reply = Box<dyn Fn(&HttpRequest, u64) -> Result<HttpResponse, Error>>;

/// Answers from a script (then from `fallback`), on a clock that only moves when the client
/// waits or a call takes time.
#[derive(Default)]
struct Fake {
    now: Cell<u64>,
    replies: RefCell<VecDeque<Reply>>,
    fallback: RefCell<Option<Reply>>,
    /// What was sent, and when.
    sent: RefCell<Vec<(u64, HttpRequest)>>,
    sleeps: RefCell<Vec<u32>>,
    /// How long each call takes.
    latency_ms: Cell<u64>,
}

fn response(status: u16, body: &str, headers: &[(&str, &str)]) -> Result<HttpResponse, Error> {
    Ok(HttpResponse {
        status,
        request_id: Some(format!("req-{status}")),
        retry_after: headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("retry-after")).map(|(_, v)| v.to_string()),
        headers: headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.to_string())).collect(),
        body: body.to_owned(),
    })
}

impl Fake {
    fn new() -> Fake {
        Fake { now: Cell::new(START_MS), ..Default::default() }
    }

    fn reply(self, status: u16, body: &str) -> Self {
        self.reply_with(status, body, &[])
    }

    fn reply_with(self, status: u16, body: &str, headers: &[(&str, &str)]) -> Self {
        let (body, headers): (String, Vec<(String, String)>) =
            (body.to_owned(), headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect());
        self.with(move |_, _| {
            let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            response(status, &body, &pairs)
        })
    }

    fn with(self, reply: impl Fn(&HttpRequest, u64) -> Result<HttpResponse, Error> + 'static) -> Self {
        self.replies.borrow_mut().push_back(Box::new(reply));
        self
    }

    fn otherwise(self, reply: impl Fn(&HttpRequest, u64) -> Result<HttpResponse, Error> + 'static) -> Self {
        *self.fallback.borrow_mut() = Some(Box::new(reply));
        self
    }

    fn sent_count(&self) -> usize {
        self.sent.borrow().len()
    }
}

impl Transport for &Fake {
    type Signal = ();

    async fn send(&self, request: HttpRequest, _timeout_ms: u32, _signal: Option<&()>) -> Result<HttpResponse, Error> {
        let now = self.now.get();
        self.sent.borrow_mut().push((now, request.clone()));
        self.now.set(now + self.latency_ms.get());
        let scripted = self.replies.borrow_mut().pop_front();
        match scripted {
            Some(reply) => reply(&request, now),
            None => (self.fallback.borrow().as_ref().expect("no scripted reply left"))(&request, now),
        }
    }

    fn now_ms(&self) -> u64 {
        self.now.get()
    }

    async fn sleep(&self, ms: u32) {
        self.sleeps.borrow_mut().push(ms);
        self.now.set(self.now.get() + ms as u64);
    }

    fn is_aborted(&self, _signal: &()) -> bool {
        false
    }
}

/// Always the same draw, so every jittered delay is known.
struct Fixed(f64);
impl Rng for Fixed {
    fn next_unit(&mut self) -> f64 {
        self.0
    }
}

fn config(auth: &str, extra: &str) -> ClientConfig {
    let value: Value =
        json::from_str(&format!(r#"{{"endpoint":"http://127.0.0.1:8780","projectId":"{PROJECT}","auth":{auth}{extra}}}"#)).unwrap();
    parse_client_config(&value).unwrap()
}

fn token_auth() -> String {
    format!(r#"{{"token":"{TOKEN}"}}"#)
}

fn aksk_auth() -> String {
    format!(r#"{{"ak":"CANARYAK","sk":"{SK}","securityToken":"{SECURITY_TOKEN}"}}"#)
}

fn make_client<'a>(fake: &'a Fake, auth: &str, extra: &str) -> (Client<&'a Fake>, Rc<RefCell<Vec<ClientEvent>>>) {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    let client = Client::new(config(auth, extra), fake).with_rng(Fixed(0.5)).with_events(move |e| sink.borrow_mut().push(e.clone()));
    (client, events)
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn api(error: &Error) -> &workspace_tsvi::ApiError {
    match error {
        Error::Api(api) => api,
        other => panic!("not an ApiError: {other:?}"),
    }
}

const GROUP: &str = r#"{"id":"g1","name":"group"}"#;

// ---- reads survive throttling and blips ----

#[test]
fn reads_retry_on_429_5xx_timeouts_and_network_errors_with_capped_jittered_backoff() {
    let fake = Fake::new()
        .reply(429, r#"{"error_code":"APIG.0308","error_msg":"throttled"}"#)
        .reply(503, "")
        .with(|_, _| Err(Error::Timeout { timeout_ms: 5 }))
        .with(|_, _| Err(Error::Network { message: "reset".into(), sent: true }))
        .reply(200, GROUP);
    let (client, events) = make_client(&fake, &token_auth(), r#","retry":{"maxAttempts":5,"baseMs":1000,"maxMs":3000}"#);
    let group = block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap();
    assert_eq!(group.value.id.as_deref(), Some("g1"));
    assert_eq!(fake.sent_count(), 5);
    // Half of min(3000, base * 2^n), the base 5 x 1000 for the 429: 1500, then 1000, 1500,
    // 1500 (the 429 also slows pacing down).
    let retries: Vec<(u32, u32, Option<u16>, &str)> = events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Retry { attempt, delay_ms, status, code, .. } => Some((*attempt, *delay_ms, *status, *code)),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        [(1, 1500, Some(429), "service"), (2, 1000, Some(503), "service"), (3, 1500, None, "timeout"), (4, 1500, None, "network")]
    );
    for delay in [1000, 1500] {
        assert!(fake.sleeps.borrow().contains(&delay));
    }
}

#[test]
fn retry_after_is_honoured_and_attempts_are_capped() {
    let throttled = r#"{"error_code":"APIG.0308","error_msg":"throttled"}"#;
    let fake = Fake::new().otherwise(move |_, _| response(429, throttled, &[("Retry-After", "4")]));
    let (client, _) = make_client(&fake, &token_auth(), r#","retry":{"maxAttempts":3,"baseMs":100,"maxMs":100}"#);
    let error = block_on(client.list_servers::<ListServersResponse>(None, None)).unwrap_err();
    assert_eq!((api(&error).status, api(&error).retry_after_ms), (429, Some(4000)));
    assert_eq!(fake.sent_count(), 3);
    assert_eq!(*fake.sleeps.borrow(), [4000, 4000]);
}

#[test]
fn retries_are_on_by_default_and_can_be_switched_off() {
    let fake = Fake::new().otherwise(|_, _| response(500, "", &[]));
    let (client, _) = make_client(&fake, &token_auth(), "");
    block_on(client.show_job::<JobDetail>("42", None)).unwrap_err();
    assert_eq!(fake.sent_count(), 5, "5 attempts by default");

    let fake = Fake::new().otherwise(|_, _| response(500, "", &[]));
    let (client, _) = make_client(&fake, &token_auth(), r#","retry":false"#);
    block_on(client.show_job::<JobDetail>("42", None)).unwrap_err();
    assert_eq!(fake.sent_count(), 1);
}

#[test]
fn final_errors_and_unreadable_answers_are_not_retried() {
    for (status, body) in [(400, r#"{"error_code":"X","error_msg":"bad"}"#), (401, "{}"), (403, "{}"), (404, "{}"), (200, "<html>")] {
        let fake = Fake::new().otherwise(move |_, _| response(status, body, &[]));
        let (client, _) = make_client(&fake, &token_auth(), "");
        block_on(client.show_server::<AppServer>("s1", None)).unwrap_err();
        assert_eq!(fake.sent_count(), 1, "status {status}");
    }
}

#[test]
fn batch_update_tsvi_and_batch_maint_are_never_retried() {
    for failure in [429u16, 500, 503] {
        let fake =
            Fake::new().otherwise(move |_, _| response(failure, r#"{"error_code":"APIG.0308","error_msg":"x"}"#, &[("Retry-After", "1")]));
        let (client, events) = make_client(&fake, &token_auth(), r#","retry":{"maxAttempts":10}"#);
        let items = [UpdateTsvi { id: "s1".into(), enable: true }];
        assert_eq!(api(&block_on(client.batch_update_tsvi(&items, None)).unwrap_err()).status, failure);
        assert_eq!(fake.sent_count(), 1);
        block_on(client.batch_change_maintain_mode(&["s1".into()], true, None)).unwrap_err();
        assert_eq!(fake.sent_count(), 2);
        assert!(!events.borrow().iter().any(|e| matches!(e, ClientEvent::Retry { .. })));
    }
}

// ---- adaptive pacing ----

#[test]
fn a_throttle_slows_the_client_down_and_it_recovers() {
    // 429 for every 10th call: the client must space its calls afterwards.
    let calls = Rc::new(Cell::new(0u32));
    let counter = calls.clone();
    let fake = Fake::new().otherwise(move |_, _| {
        counter.set(counter.get() + 1);
        if counter.get() == 10 {
            response(429, r#"{"error_code":"APIG.0308","error_msg":"throttled"}"#, &[])
        } else {
            response(200, GROUP, &[])
        }
    });
    fake.latency_ms.set(20);
    let (client, events) = make_client(&fake, &token_auth(), r#","retry":{"baseMs":0,"maxMs":0}"#);
    for _ in 0..30 {
        block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap();
    }
    assert!(events.borrow().iter().any(|e| matches!(e, ClientEvent::Throttled { rate: Some(_), .. })));
    let times: Vec<u64> = fake.sent.borrow().iter().map(|(t, _)| *t).collect();
    // Before the 429: back to back (20 ms each). After: at most the paced rate.
    assert!(times[..10].windows(2).all(|w| w[1] - w[0] == 20));
    let throttled_rate = events
        .borrow()
        .iter()
        .find_map(|e| match e {
            ClientEvent::Throttled { rate, .. } => *rate,
            _ => None,
        })
        .unwrap();
    // Ten calls in the last second when the 429 came: 70% of that.
    assert_eq!(throttled_rate, 7.0);
    let gaps_after: Vec<u64> = times[10..].windows(2).map(|w| w[1] - w[0]).collect();
    // 7 a second at first, growing back towards the 10 a second that was throttled, slowly
    // near it: 20 calls later it is still not past it.
    assert!(gaps_after[..2].iter().all(|&g| g >= 1000 / 7), "{gaps_after:?}");
    assert!(gaps_after.windows(2).all(|w| w[1] <= w[0]) && gaps_after.iter().all(|&g| g >= 100), "{gaps_after:?}");
    let rate = client.pacer().rate().expect("still pacing");
    assert!(rate > throttled_rate, "recovering: {rate}");
    assert_eq!(client.pacer().throttles(), 1);
}

#[test]
fn an_announced_rate_limit_is_paced_from_the_first_answer() {
    let fake = Fake::new().otherwise(|_, _| response(200, GROUP, &[("X-Apig-RateLimit-api", "remain:19,limit:20,time:1 second")]));
    let (client, _) = make_client(&fake, &token_auth(), "");
    for _ in 0..41 {
        block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap();
    }
    let times: Vec<u64> = fake.sent.borrow().iter().map(|(t, _)| *t).collect();
    // From the first answer on, 20 a second: one call every 50 ms.
    let gaps: Vec<u64> = times[1..].windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, vec![50; 39]);
}

// ---- clock skew ----

fn http_date(unix_ms: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let sdk = workspace_tsvi::sign::sdk_date_from_unix(unix_ms / 1000);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month: usize = sdk[4..6].parse().unwrap();
    format!(
        "{}, {} {} {} {}:{}:{} GMT",
        DAYS[((unix_ms / 86_400_000) % 7) as usize],
        &sdk[6..8],
        MONTHS[month - 1],
        &sdk[0..4],
        &sdk[9..11],
        &sdk[11..13],
        &sdk[13..15]
    )
}

/// A service whose clock is `skew_ms` off ours: it refuses a signature more than 15 minutes
/// from its own time.
fn skewed_service(skew_ms: i64) -> Fake {
    Fake::new().otherwise(move |request, now| {
        let service_now = (now as i64 + skew_ms) as u64;
        let date = http_date(service_now);
        let signed = header(request, "X-Sdk-Date").and_then(workspace_tsvi::sign::unix_from_sdk_date).unwrap() * 1000;
        if (signed as i64 - service_now as i64).abs() > 15 * 60 * 1000 {
            response(
                401,
                r#"{"error_code":"APIGW.0303","error_msg":"Incorrect app authentication information: signature expired"}"#,
                &[("Date", &date)],
            )
        } else {
            response(200, GROUP, &[("Date", &date)])
        }
    })
}

#[test]
fn a_skewed_clock_is_corrected_once_and_kept() {
    for skew in [20 * 60 * 1000i64, -20 * 60 * 1000] {
        let fake = skewed_service(skew);
        let (client, events) = make_client(&fake, &aksk_auth(), r#","retry":false"#);
        block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap();
        assert_eq!(fake.sent_count(), 2, "one resend");
        assert_eq!(client.clock_offset_ms(), skew);
        assert!(matches!(events.borrow()[0], ClientEvent::ClockSkew { offset_ms, .. } if offset_ms == skew));
        // The next call is signed with the corrected clock straight away.
        block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap();
        assert_eq!(fake.sent_count(), 3);
        let signed = header(&fake.sent.borrow()[2].1, "X-Sdk-Date").unwrap().to_owned();
        assert_eq!(signed, workspace_tsvi::sign::sdk_date_from_unix(((START_MS as i64 + skew) / 1000) as u64));
    }
}

#[test]
fn a_clock_skew_resend_happens_once_and_shows_in_the_error() {
    let date = http_date(START_MS + 30 * 60 * 1000);
    let fake = Fake::new().otherwise(move |_, _| response(401, r#"{"error_code":"APIGW.0301","error_msg":"no"}"#, &[("Date", &date)]));
    let (client, _) = make_client(&fake, &aksk_auth(), "");
    let error = block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap_err();
    assert_eq!(fake.sent_count(), 2, "never more than one resend (APIG locks an AK after 5 bad signatures)");
    assert_eq!(api(&error).clock_skew_ms, Some(30 * 60 * 1000));
    // A 401 again in the next call: the clock now agrees with the service's, so no resend.
    block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap_err();
    assert_eq!(fake.sent_count(), 3);
}

#[test]
fn no_skew_correction_for_small_skews_tokens_or_other_statuses() {
    let near = http_date(START_MS + CLOCK_SKEW_THRESHOLD_MS as u64 - 60_000);
    let far = http_date(START_MS + 3_600_000);
    let cases: [(String, u16, String); 3] = [(aksk_auth(), 401, near), (token_auth(), 401, far.clone()), (aksk_auth(), 403, far)];
    for (auth, status, date) in cases {
        let fake = Fake::new().otherwise(move |_, _| response(status, "{}", &[("Date", &date)]));
        let (client, _) = make_client(&fake, &auth, "");
        block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap_err();
        assert_eq!((fake.sent_count(), client.clock_offset_ms()), (1, 0));
    }
}

#[test]
fn http_dates() {
    use workspace_tsvi::client::parse_http_date_ms;
    assert_eq!(parse_http_date_ms("Tue, 02 Jan 2024 03:04:05 GMT"), Some(START_MS));
    assert_eq!(http_date(START_MS), "Tue, 02 Jan 2024 03:04:05 GMT");
    assert_eq!(parse_http_date_ms("Tue, 02 Foo 2024 03:04:05 GMT"), None);
    assert_eq!(parse_http_date_ms("yesterday"), None);
}

// ---- bounded answers ----

#[test]
fn deep_json_is_response_invalid_in_success_and_error_bodies() {
    let deep = |n: usize| format!("{}1{}", r#"{"x":"#.repeat(n), "}".repeat(n));
    for (status, body) in [(200, deep(4000)), (200, deep(100_000)), (500, deep(4000)), (401, deep(100_000)), (404, "[".repeat(5000))] {
        let fake = Fake::new().otherwise(move |_, _| response(status, &body, &[]));
        let (client, _) = make_client(&fake, &token_auth(), r#","retry":false"#);
        let error = block_on(client.list_servers::<ListServersResponse>(None, None)).unwrap_err();
        assert_eq!((api(&error).status, api(&error).error_code.as_str()), (status, "response.invalid"));
    }
}

#[test]
fn bodies_over_the_limit_fail_the_call() {
    let big = format!(r#"{{"count":1,"items":[{{"id":"s1","server_name":"{}"}}]}}"#, "x".repeat(5000));
    let fake = Fake::new().otherwise(move |_, _| response(200, &big, &[]));
    let (client, _) = make_client(&fake, &token_auth(), r#","maxResponseBytes":4096"#);
    let error = block_on(client.list_servers::<ListServersResponse>(None, None)).unwrap_err();
    assert_eq!(api(&error).error_code, "response.too_large");
    assert_eq!(fake.sent.borrow()[0].1.max_response_bytes, 4096);
    assert_eq!(fake.sent_count(), 1, "not retried");
}

#[test]
fn redirects_are_refused_not_followed() {
    for status in [301u16, 302, 303, 307, 308, 0] {
        let fake = Fake::new().otherwise(move |_, _| response(status, "", &[("Location", "https://elsewhere.example/steal")]));
        let (client, _) = make_client(&fake, &token_auth(), "");
        let items = [UpdateTsvi { id: "s1".into(), enable: true }];
        let error = block_on(client.batch_update_tsvi(&items, None)).unwrap_err();
        assert_eq!(api(&error).error_code, "response.redirect", "status {status}");
        let error = block_on(client.show_server::<AppServer>("s1", None)).unwrap_err();
        assert_eq!(api(&error).error_code, "response.redirect");
        assert_eq!(fake.sent_count(), 2);
    }
}

fn page_of(ids: impl Iterator<Item = u64>, count: u64) -> String {
    let items: Vec<String> = ids.map(|i| format!(r#"{{"id":"s{i}"}}"#)).collect();
    format!(r#"{{"count":{count},"items":[{}]}}"#, items.join(","))
}

#[test]
fn list_all_servers_stops_when_a_page_adds_nothing_new() {
    // count 1e9 and the same 100 servers on every page.
    let fake = Fake::new().otherwise(|_, _| response(200, &page_of(0..100, 1_000_000_000), &[]));
    let (client, _) = make_client(&fake, &token_auth(), "");
    let all = block_on(client.list_all_servers::<AppServer>(None, 4, None, &|_, _| {})).unwrap();
    assert_eq!((all.items.len(), all.stopped), (100, Some(ListStop::NoNewServers)));
    assert!(fake.sent_count() <= 6, "{} requests", fake.sent_count());

    // An honest count and empty pages past the end: stops at the first empty page.
    let fake = Fake::new().otherwise(|request, _| {
        let offset: u64 = request.url.split("offset=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
        let end = (offset + 100).min(250);
        response(200, &page_of(offset.min(end)..end, 5000), &[])
    });
    let (client, _) = make_client(&fake, &token_auth(), "");
    let all = block_on(client.list_all_servers::<AppServer>(None, 1, None, &|_, _| {})).unwrap();
    assert_eq!((all.items.len(), all.stopped, fake.sent_count()), (250, Some(ListStop::NoNewServers), 4));
}

#[test]
fn list_all_servers_asks_for_at_most_the_page_bound() {
    let fake = Fake::new().otherwise(|request, _| {
        let offset: u64 = request.url.split("offset=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
        response(200, &page_of(offset..offset + 100, 10_000_000), &[])
    });
    let (client, _) = make_client(&fake, &token_auth(), "");
    let all = block_on(client.list_all_servers::<AppServer>(None, 16, None, &|_, _| {})).unwrap();
    assert_eq!(fake.sent_count(), MAX_LIST_PAGES as usize);
    assert_eq!((all.items.len(), all.stopped), (100_000, Some(ListStop::PageLimit)));
    let listing = json::to_string(&all).unwrap();
    assert!(listing.ends_with(r#""stopped":"page_limit"}"#));
}

// ---- secrets ----

#[test]
fn secrets_echoed_by_the_service_never_reach_an_error() {
    let echo = |request: &HttpRequest| {
        let headers: Vec<String> = request.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        headers.join("\n")
    };
    for (auth, canaries) in [(token_auth(), vec![TOKEN]), (aksk_auth(), vec![SK, SECURITY_TOKEN])] {
        for status in [401u16, 403, 500, 200] {
            let fake = Fake::new().otherwise(move |request, _| {
                let echoed = echo(request);
                let body = if status == 200 {
                    format!("not json {echoed} {SK} {TOKEN}")
                } else {
                    json::to_string(&Value::Object(vec![
                        ("error_code".into(), Value::String(format!("E {TOKEN}"))),
                        ("error_msg".into(), Value::String(format!("you sent {echoed} {SK} {TOKEN} {SECURITY_TOKEN}"))),
                    ]))
                    .unwrap()
                };
                let mut answer = response(status, &body, &[])?;
                answer.request_id = Some(format!("id-{TOKEN}-{SECURITY_TOKEN}-{SK}"));
                Ok(answer)
            });
            let (client, _) = make_client(&fake, &auth, r#","retry":false"#);
            let error = block_on(client.show_server::<AppServer>("s1", None)).unwrap_err();
            let all = format!("{error} {error:?}");
            for canary in &canaries {
                assert!(!all.contains(canary), "{canary} leaked with {status}: {all}");
            }
            assert!(all.contains("[REDACTED]"));
        }
    }
    // A network error message that carries a secret is cleaned too.
    let fake = Fake::new().otherwise(|_, _| Err(Error::Network { message: format!("boom {TOKEN}"), sent: true }));
    let (client, _) = make_client(&fake, &token_auth(), r#","retry":false"#);
    let error = block_on(client.show_server::<AppServer>("s1", None)).unwrap_err();
    assert!(!format!("{error:?}").contains(TOKEN));
}
