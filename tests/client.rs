//! The client over a scripted transport: what goes on the wire, and how answers and
//! failures come back. No network, no real time.

use futures_executor::block_on;
use std::cell::RefCell;
use std::collections::VecDeque;
use workspace_tsvi::config::{parse_client_config, ClientConfig};
use workspace_tsvi::json::{self, Value};
use workspace_tsvi::model::{AppServer, JobDetail, ListServersResponse, ListSubJobsResponse, ServerGroup, UpdateTsvi};
use workspace_tsvi::transport::{HttpRequest, HttpResponse, Method, Transport};
use workspace_tsvi::{Client, Error};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

type Reply = Box<dyn Fn(&HttpRequest) -> Result<HttpResponse, Error>>;

#[derive(Default)]
struct Scripted {
    replies: RefCell<VecDeque<Reply>>,
    sent: RefCell<Vec<HttpRequest>>,
}

impl Scripted {
    fn reply(self, status: u16, body: &str) -> Self {
        let body = body.to_owned();
        self.replies.borrow_mut().push_back(Box::new(move |_| {
            Ok(HttpResponse {
                status,
                request_id: Some(format!("req-{status}")),
                retry_after: None,
                headers: Vec::new(),
                body: body.clone(),
            })
        }));
        self
    }

    fn with(self, reply: impl Fn(&HttpRequest) -> Result<HttpResponse, Error> + 'static) -> Self {
        self.replies.borrow_mut().push_back(Box::new(reply));
        self
    }
}

impl Transport for &Scripted {
    type Signal = ();

    async fn send(&self, request: HttpRequest, _timeout_ms: u32, _signal: Option<&()>) -> Result<HttpResponse, Error> {
        self.sent.borrow_mut().push(request.clone());
        let reply = self.replies.borrow_mut().pop_front().expect("no scripted reply left");
        reply(&request)
    }

    fn now_ms(&self) -> u64 {
        1_704_164_645_000 // 20240102T030405Z
    }

    async fn sleep(&self, _ms: u32) {}

    fn is_aborted(&self, _signal: &()) -> bool {
        false
    }
}

fn config(auth: &str) -> ClientConfig {
    config_with(auth, "")
}

/// `extra` is more configuration, starting with a comma.
fn config_with(auth: &str, extra: &str) -> ClientConfig {
    let value: Value =
        json::from_str(&format!(r#"{{"endpoint":"http://127.0.0.1:8780","projectId":"{PROJECT}","auth":{auth}{extra}}}"#)).unwrap();
    parse_client_config(&value).unwrap()
}

fn items(ids: &[&str]) -> Vec<UpdateTsvi> {
    ids.iter().map(|id| UpdateTsvi { id: id.to_string(), enable: true }).collect()
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[test]
fn batch_update_sends_the_documented_request_and_returns_the_job() {
    let transport = Scripted::default().reply(200, r#"{"job_id":"575768277444198400"}"#);
    let client = Client::new(config(r#"{"token":"tok"}"#), &transport);
    let answer = block_on(client.batch_update_tsvi(&items(&["srv-1", "srv-2"]), None)).unwrap();
    assert_eq!(answer.value, "575768277444198400");
    assert_eq!(answer.request_id.as_deref(), Some("req-200"));
    let sent = &transport.sent.borrow()[0];
    assert_eq!(sent.method, "PATCH");
    assert_eq!(sent.url, format!("http://127.0.0.1:8780/v1/{PROJECT}/app-servers/actions/batch-update-tsvi"));
    assert_eq!(sent.body.as_deref(), Some(r#"{"items":[{"id":"srv-1","enable":true},{"id":"srv-2","enable":true}]}"#));
    assert_eq!(header(sent, "X-Auth-Token"), Some("tok"));
    assert_eq!(header(sent, "X-Project-Id"), Some(PROJECT));
    assert_eq!(header(sent, "Content-Type"), Some("application/json"));
}

#[test]
fn an_untyped_batch_is_validated_once_in_the_core_and_sent_as_given() {
    // What JS gives: checked by the core (every problem at once, nothing sent) ...
    let transport = Scripted::default().reply(200, r#"{"job_id":"j-1"}"#);
    let client = Client::new(config(r#"{"token":"tok"}"#), &transport);
    let bad: Value = json::from_str(r#"{"items":[{"id":"srv-1","enable":"true"},{"id":"srv-1","enable":true,"x":1}]}"#).unwrap();
    match block_on(client.batch_update_tsvi_body(&bad, None)) {
        Err(Error::Validation(issues)) => {
            let codes: Vec<_> = issues.iter().map(|i| (i.path.as_str(), i.code)).collect();
            assert_eq!(
                codes,
                [("/items/0/enable", "enable.not_boolean"), ("/items/1/x", "item.unknown_field"), ("/items/1/id", "id.duplicate")]
            );
        }
        other => panic!("expected a ValidationError, got {other:?}"),
    }
    assert!(transport.sent.borrow().is_empty(), "nothing is sent");
    // ... and a good one becomes exactly the documented body.
    let good: Value = json::from_str(r#"{"items":[{"id":"srv-1","enable":false},{"id":"srv-2","enable":true}]}"#).unwrap();
    assert_eq!(block_on(client.batch_update_tsvi_body(&good, None)).unwrap().value, "j-1");
    let sent = &transport.sent.borrow()[0];
    assert_eq!(sent.method, Method::Patch);
    assert_eq!(sent.body.as_deref(), Some(r#"{"items":[{"id":"srv-1","enable":false},{"id":"srv-2","enable":true}]}"#));
}

#[test]
fn aksk_calls_are_signed_with_the_transport_clock() {
    let transport = Scripted::default().reply(200, r#"{"count":0,"items":[]}"#);
    let client = Client::new(config(r#"{"ak":"AK","sk":"SK","securityToken":"ST"}"#), &transport);
    let query: Value = json::from_str(r#"{"limit":100,"offset":0,"server_name":"a b"}"#).unwrap();
    block_on(client.list_servers::<ListServersResponse>(Some(&query), None)).unwrap();
    let sent = &transport.sent.borrow()[0];
    assert_eq!(sent.url, format!("http://127.0.0.1:8780/v1/{PROJECT}/app-servers?limit=100&offset=0&server_name=a%20b"));
    assert_eq!(header(sent, "X-Sdk-Date"), Some("20240102T030405Z"));
    assert_eq!(header(sent, "X-Security-Token"), Some("ST"));
    let authorization = header(sent, "Authorization").unwrap();
    assert!(authorization
        .starts_with("SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token, Signature="));
    assert!(header(sent, "X-Auth-Token").is_none());
}

#[test]
fn invalid_input_sends_nothing() {
    let transport = Scripted::default();
    let client = Client::new(config(r#"{"token":"tok"}"#), &transport);
    let too_many: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
    let ids: Vec<&str> = too_many.iter().map(String::as_str).collect();
    for bad in [items(&[]), items(&ids), items(&["a", "a"]), items(&["bad id"])] {
        let err = block_on(client.batch_update_tsvi(&bad, None)).unwrap_err();
        assert_eq!(err.name(), "ValidationError");
    }
    let err = block_on(client.show_server::<AppServer>("../etc", None)).unwrap_err();
    assert_eq!(err.code(), "validation");
    let query: Value = json::from_str(r#"{"limit":500}"#).unwrap();
    assert!(block_on(client.list_servers::<ListServersResponse>(Some(&query), None)).is_err());
    assert!(transport.sent.borrow().is_empty());
}

#[test]
fn error_statuses_become_api_errors_with_every_field() {
    for status in [400u16, 401, 403, 404, 405, 409, 500, 503] {
        let body = format!(r#"{{"error_code":"WKS.{status}","error_msg":"failed {status}"}}"#);
        let transport = Scripted::default().reply(status, &body);
        let client = Client::new(config(r#"{"token":"secret-token"}"#), &transport);
        let err = block_on(client.batch_update_tsvi(&items(&["srv-1"]), None)).unwrap_err();
        let Error::Api(api) = &err else { panic!("{err:?}") };
        assert_eq!(api.status, status);
        assert_eq!(api.error_code, format!("WKS.{status}"));
        assert_eq!(api.error_msg, format!("failed {status}"));
        assert_eq!(api.request_id.as_deref(), Some(format!("req-{status}").as_str()));
        assert_eq!(err.code(), if matches!(status, 401 | 403) { "auth" } else { "service" });
        assert!(!format!("{err} {err:?}").contains("secret-token"));
    }
}

#[test]
fn a_success_without_job_id_is_an_error_not_a_silent_success() {
    let transport = Scripted::default().reply(200, "{}");
    let client = Client::new(config(r#"{"token":"t"}"#), &transport);
    let Error::Api(api) = block_on(client.batch_update_tsvi(&items(&["srv-1"]), None)).unwrap_err() else { panic!() };
    assert_eq!(api.error_code, "response.no_job_id");
}

#[test]
fn transport_failures_pass_through_unchanged() {
    let transport = Scripted::default()
        .with(|_| Err(Error::Timeout { timeout_ms: 5 }))
        .with(|_| Err(Error::Network { message: "connection refused".into(), sent: false }));
    let client = Client::new(config_with(r#"{"none":true}"#, r#","retry":false"#), &transport);
    assert_eq!(block_on(client.show_job::<JobDetail>("575768277444198400", None)).unwrap_err().name(), "TimeoutError");
    assert_eq!(block_on(client.show_job::<JobDetail>("575768277444198400", None)).unwrap_err().name(), "NetworkError");
    let sent = transport.sent.borrow();
    assert_eq!(sent[0].url, format!("http://127.0.0.1:8780/v2/{PROJECT}/job/575768277444198400"));
    assert!(header(&sent[0], "Authorization").is_none() && header(&sent[0], "X-Auth-Token").is_none());
}

#[test]
fn list_sub_jobs_defaults_the_job_type() {
    let transport = Scripted::default().reply(200, r#"{"count":0,"items":[]}"#);
    let client = Client::new(config(r#"{"token":"t"}"#), &transport);
    let query: Value = json::from_str(r#"{"job_id":"42"}"#).unwrap();
    block_on(client.list_sub_jobs::<ListSubJobsResponse>(Some(&query), None)).unwrap();
    assert!(transport.sent.borrow()[0].url.ends_with("/app-server-sub-jobs?job_id=42&job_type=UPDATE_SERVER_TSVI"));
}

#[test]
fn batch_maint_accepts_an_empty_answer() {
    let transport = Scripted::default().reply(200, "");
    let client = Client::new(config(r#"{"token":"t"}"#), &transport);
    block_on(client.batch_change_maintain_mode(&["srv-1".into()], true, None)).unwrap();
    assert_eq!(transport.sent.borrow()[0].body.as_deref(), Some(r#"{"items":["srv-1"],"maintain_status":true}"#));
}

#[test]
fn list_all_servers_fetches_every_page_once_and_dedupes() {
    let page = |offset: usize, count: usize, total: usize| {
        let items: Vec<String> = (offset..offset + count).map(|i| format!(r#"{{"id":"s{i:03}"}}"#)).collect();
        format!(r#"{{"count":{total},"items":[{}]}}"#, items.join(","))
    };
    let reply_for = move |req: &HttpRequest| {
        let offset: usize = req.url.split("offset=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
        // The last page overlaps the previous one by one server, as if one was deleted meanwhile.
        let (start, count) = if offset == 200 { (199, 51) } else { (offset, 100) };
        Ok(HttpResponse { status: 200, request_id: None, retry_after: None, headers: Vec::new(), body: page(start, count, 250) })
    };
    let transport = Scripted::default().with(reply_for).with(reply_for).with(reply_for);
    let client = Client::new(config(r#"{"token":"t"}"#), &transport);
    let filters: Value = json::from_str(r#"{"server_group_id":"g1"}"#).unwrap();
    let progress = RefCell::new(Vec::new());
    let all = block_on(
        client.list_all_servers::<AppServer>(Some(&filters), 4, None, &|loaded, total| progress.borrow_mut().push((loaded, total))),
    )
    .unwrap();
    assert_eq!(all.count, 250);
    assert_eq!(all.items.len(), 250);
    assert_eq!(all.items[249].id.as_deref(), Some("s249"));
    assert_eq!(transport.sent.borrow().len(), 3);
    assert!(transport.sent.borrow().iter().all(|r| r.url.contains("limit=100") && r.url.contains("server_group_id=g1")));
    assert_eq!(progress.borrow().last(), Some(&(250, 250)));

    let paging: Value = json::from_str(r#"{"limit":5}"#).unwrap();
    assert_eq!(block_on(client.list_all_servers::<AppServer>(Some(&paging), 4, None, &|_, _| {})).unwrap_err().code(), "validation");
}

#[test]
fn a_non_json_success_body_is_reported_with_the_body() {
    let transport = Scripted::default().reply(200, "<html>proxy login</html>");
    let client = Client::new(config(r#"{"token":"t"}"#), &transport);
    let Error::Api(api) = block_on(client.show_server_group::<ServerGroup>("g1", None)).unwrap_err() else { panic!() };
    assert_eq!((api.status, api.error_code.as_str()), (200, "response.invalid"));
    assert_eq!(api.body.as_deref(), Some("<html>proxy login</html>"));
}
