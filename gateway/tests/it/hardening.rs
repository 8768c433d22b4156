//! Gateway hardening (issue 9): one test per defect and per line of the threat model in
//! gateway/README.md. Slow-client tests use a short head timeout set in the configuration.

use crate::common::*;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tsvi_gateway::proxy::ProxyConfig;
use tsvi_gateway::GatewayConfig;
use workspace_tsvi::sign::AkSk;

#[path = "../../benches/support/load.rs"]
mod load;

/// An answer read off a raw socket.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The security headers and the JSON error body with the request id of the header.
    fn assert_guarded_error(&self, code: &str) {
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"), "{}", self.head);
        assert_eq!(self.header("referrer-policy"), Some("no-referrer"));
        assert!(self.header("content-security-policy").is_some_and(|csp| csp.contains("default-src 'self'")));
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body));
        assert_eq!(body["error_code"], code, "{}", self.body);
        assert!(body["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
        let id = self.header("x-request-id").expect("X-Request-Id");
        assert_eq!(body["request_id"], id);
        assert_eq!(body.as_object().map(|o| o.len()), Some(3));
    }
}

fn parse_raw(bytes: &[u8]) -> Raw {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {text:?}"));
    Raw { status, head: head.to_owned(), body: body.to_owned() }
}

/// Writes `request` as it is and reads the answer until the gateway closes (5 s at most).
async fn exchange(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The gateway may answer and close before reading everything (a 2 MB header).
    let _ = stream.write_all(request).await;
    read_all(&mut stream).await
}

async fn read_all(stream: &mut TcpStream) -> Raw {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the gateway neither answered nor closed within 5 s");
    parse_raw(&answer)
}

fn get(target: &str, addr: SocketAddr, extra: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n").into_bytes()
}

fn proxy_config(upstream: &str) -> ProxyConfig {
    ProxyConfig {
        upstream: upstream.to_owned(),
        credentials: AkSk { ak: AK.into(), sk: SK.into(), security_token: None },
        project_id: Some(PROJECT.into()),
        timeout_ms: 5_000,
    }
}

async fn proxy_pair() -> (Gw, Gw) {
    let upstream = Gw::start().await;
    let proxy = Gw::from_config(GatewayConfig::proxy(proxy_config(&upstream.base))).await;
    (upstream, proxy)
}

/// API calls the upstream simulator authenticated (each draws once from the faults).
async fn upstream_calls(upstream: &Gw) -> u64 {
    upstream.sim_get("/_sim/faults").await["injected"]["calls"].as_u64().expect("calls")
}

fn with_limits(change: impl FnOnce(&mut tsvi_gateway::config::Limits)) -> GatewayConfig {
    let mut config = GatewayConfig::simulator(test_config());
    change(&mut config.limits);
    config
}

// Defect 1: the proxy forwards nothing outside /v1/{project}/… and /v2/{project}/….
#[tokio::test]
async fn the_proxy_never_leaves_the_api() {
    let (upstream, proxy) = proxy_pair().await;
    let addr = proxy.gateway.addr();
    let body = r#"{"p500": 1}"#;
    let post = format!(
        "POST /v1/../_sim/faults HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let r = exchange(addr, post.as_bytes()).await;
    assert_eq!(r.status, 400, "{r:?}");
    r.assert_guarded_error("GATEWAY.0400");
    assert_eq!(upstream.sim_get("/_sim/faults").await["config"]["p500"], 0.0, "the upstream's faults are untouched");
    for target in [
        "/v1/%2e%2e/%2e%2e/admin?x=1".to_string(),
        "/v1/.%2e/x".to_string(),
        "/v1/..\\..\\x".to_string(),
        format!("/v1/{PROJECT}/app-servers/..%2f..%2f_sim%2fstate"),
        format!("/v1/{PROJECT}/./app-servers"),
        format!("/v2/{PROJECT}//job/1"),
    ] {
        let r = exchange(addr, &get(&target, addr, "X-Auth-Token: x\r\n")).await;
        assert_eq!(r.status, 400, "{target}: {r:?}");
        r.assert_guarded_error("GATEWAY.0400");
    }
    assert_eq!(upstream_calls(&upstream).await, 0, "nothing reached the upstream's API");
    // A plain API path still goes through.
    let r = exchange(addr, &get(&api("app-servers?limit=1"), addr, "")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(upstream_calls(&upstream).await, 1);
}

// Defect 2: a request head must arrive in time; an idle connection is closed.
#[tokio::test]
async fn slow_and_idle_connections_are_closed_after_the_head_timeout() {
    let gw = Gw::from_config(with_limits(|l| l.head_timeout_ms = 300)).await;
    let addr = gw.gateway.addr();

    let started = Instant::now();
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /config.json HTTP/1.1\r\nHost: ").await.expect("write");
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    let r = read_all(&mut slow).await;
    assert_eq!(r.status, 408, "{r:?}");
    r.assert_guarded_error("GATEWAY.0408");
    let r = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut [0u8; 64])).await.expect("an idle connection is closed");
    assert_eq!(r.expect("a clean close"), 0, "closed without an answer");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");

    // A keep-alive connection keeps being served as long as each head comes in time.
    let mut kept = TcpStream::connect(addr).await.expect("connect");
    for _ in 0..3 {
        let request = format!("GET /_sim/clock HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        kept.write_all(request.as_bytes()).await.expect("write");
        let mut answer = vec![0u8; 4096];
        let n = kept.read(&mut answer).await.expect("read");
        assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // A body must come in time too.
    let mut trickle = TcpStream::connect(addr).await.expect("connect");
    let head = format!("POST /_sim/clock HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n{{");
    trickle.write_all(head.as_bytes()).await.expect("write");
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        loop {
            match trickle.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a trickling body is cut off");
}

async fn ask_and_read(stream: &mut TcpStream, addr: SocketAddr) -> String {
    let ask = format!("GET /_sim/clock HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(ask.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).await.expect("read");
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

// Defect 2 and limit: at most N connections; past it, new ones are refused and the ones
// already served keep working.
#[tokio::test]
async fn connections_past_the_cap_are_refused_and_the_served_ones_keep_working() {
    let gw = Gw::from_config(with_limits(|l| {
        l.max_connections = 4;
        l.head_timeout_ms = 2_000;
    }))
    .await;
    let addr = gw.gateway.addr();
    let mut served = TcpStream::connect(addr).await.expect("connect");
    assert!(ask_and_read(&mut served, addr).await.starts_with("HTTP/1.1 200"));
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(b"GET / HTTP/1.1\r\n").await.expect("write");
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = exchange(addr, &get("/_sim/clock", addr, "")).await;
    assert_eq!(r.status, 503, "{r:?}");
    r.assert_guarded_error("GATEWAY.0503");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(ask_and_read(&mut served, addr).await.starts_with("HTTP/1.1 200"), "still served");
    drop(slow);
    drop(served);
    // Once the slow ones are gone, new connections are served again.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = exchange(addr, &get("/_sim/clock", addr, "")).await;
        if r.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never served again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// Defect 3: the simulator answers only requests whose Host names it (DNS rebinding).
#[tokio::test]
async fn the_simulator_refuses_a_foreign_host() {
    let gw = Gw::start().await;
    let addr = gw.gateway.addr();
    for (method, target, body) in [("GET", "/config.json", ""), ("POST", "/_sim/faults", r#"{"p500": 1}"#), ("GET", "/", "")] {
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: evil.example\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let r = exchange(addr, request.as_bytes()).await;
        assert_eq!(r.status, 403, "{target}: {r:?}");
        r.assert_guarded_error("GATEWAY.0403");
        assert!(!r.body.contains("demo-token") && !r.body.contains("secret"), "{}", r.body);
    }
    // The same with the rebinding name and the gateway's port.
    let r = exchange(addr, &get("/config.json", addr, "").replace(&addr.to_string(), &format!("evil.example:{}", addr.port()))).await;
    assert_eq!(r.status, 403);
    assert_eq!(gw.sim_get("/_sim/faults").await["config"]["p500"], 0.0);
    // Its own names pass.
    for host in [addr.to_string(), format!("localhost:{}", addr.port())] {
        let r = gw.send("GET", "/config.json", &[("Host", &host)], None).await;
        assert_eq!(r.status, 200, "{host}");
    }
}

/// Replaces the Host line of a request.
trait WithHost {
    fn replace(&self, from: &str, to: &str) -> Vec<u8>;
}

impl WithHost for Vec<u8> {
    fn replace(&self, from: &str, to: &str) -> Vec<u8> {
        String::from_utf8_lossy(self).replace(from, to).into_bytes()
    }
}

// Defect 4: the ledger records only authenticated requests, ids and not bodies, bounded; a
// reset frees it.
#[tokio::test]
async fn the_ledger_is_bounded_and_records_only_authenticated_requests() {
    let gw = Gw::from_config(with_limits(|l| l.ledger_max = 5)).await;
    let sim = gw.gateway.simulator().expect("simulator").clone();
    let path = api("app-servers/actions/batch-update-tsvi");
    let items: Vec<Value> = (0..1500).map(|n| json!({"id": format!("server-{n:05}"), "enable": true})).collect();
    let big = json!({ "items": items }).to_string();
    assert!(big.len() < 64 * 1024 && big.len() > 40 * 1024);
    for _ in 0..40 {
        let r = gw.send("PATCH", &path, &[], Some(&big)).await;
        assert_eq!(r.status, 401);
    }
    assert!(gw.ledger().await.is_empty(), "unauthenticated requests are not recorded");

    // An authenticated but refused body keeps at most 20 ids.
    let r = gw.patch(&path, &big).await;
    assert_eq!(r.status, 400);
    let ledger = gw.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["ids"].as_array().map(Vec::len), Some(20));
    assert_eq!(ledger[0]["ids_omitted"], 1480);
    assert!(!ledger[0].to_string().contains("enable\":true"), "no raw body");

    // At most ledger_max entries: the oldest go, and are counted.
    for _ in 0..9 {
        gw.patch(&path, r#"{"items": []}"#).await;
    }
    let ledger = gw.ledger().await;
    assert_eq!(ledger.len(), 5);
    assert_eq!(ledger[0]["seq"], 5);
    assert_eq!(gw.ledger_since(8).await.len(), 2, "?since=N counts in seq");
    let state = gw.sim_get("/_sim/state").await;
    assert_eq!((state["ledger"]["entries"].as_u64(), state["ledger"]["dropped"].as_u64()), (Some(5), Some(5)));

    gw.sim_post("/_sim/reset", json!({})).await;
    assert!(gw.ledger().await.is_empty());
    assert_eq!(sim.ledger().capacity(), 0, "the reset gave the memory back");
}

// Limit: API bodies at most 64 KiB, /_sim bodies at most 2 MiB (both flags).
#[tokio::test]
async fn bodies_are_limited() {
    let gw = Gw::start().await;
    let path = api("app-servers/actions/batch-update-tsvi");
    let over = format!(r#"{{"items": [], "pad": "{}"}}"#, "x".repeat(64 * 1024));
    let r = gw.patch(&path, &over).await;
    assert_eq!((r.status, r.error_code().as_str()), (413, "WKS.0413"));
    let under = format!(r#"{{"items": [], "pad": "{}"}}"#, "x".repeat(60 * 1024));
    assert_eq!(gw.patch(&path, &under).await.status, 400, "read, then refused as invalid");

    let servers: Vec<Value> = (0..2).map(|n| json!({"name": format!("n{n}"), "description": "d".repeat(900 * 1024)})).collect();
    let r = gw.send("POST", "/_sim/servers", &[], Some(&json!(servers).to_string())).await;
    assert_eq!(r.status, 200, "1.8 MB to /_sim is allowed");
    let servers: Vec<Value> = (0..3).map(|n| json!({"name": format!("n{n}"), "description": "d".repeat(900 * 1024)})).collect();
    let r = gw.send("POST", "/_sim/servers", &[], Some(&json!(servers).to_string())).await;
    assert_eq!((r.status, r.error_code().as_str()), (413, "WKS.0413"));

    let small = Gw::from_config(with_limits(|l| {
        l.max_api_body = 100;
        l.max_sim_body = 100;
    }))
    .await;
    let r = small.patch(&path, &format!(r#"{{"items": [], "pad": "{}"}}"#, "x".repeat(100))).await;
    assert_eq!(r.status, 413);
    let r = small.send("POST", "/_sim/faults", &[], Some(&format!(r#"{{"p500": 0{}}}"#, " ".repeat(100)))).await;
    assert_eq!(r.status, 413);
}

// Defect 5: what hyper would have answered itself carries the security headers and a JSON body.
#[tokio::test]
async fn malformed_requests_get_the_security_headers_and_a_json_error() {
    let gw = Gw::start().await;
    let addr = gw.gateway.addr();
    let long_url = format!("/config.json?x={}", "a".repeat(100 * 1024));
    let r = exchange(addr, &get(&long_url, addr, "")).await;
    assert_eq!(r.status, 414, "{r:?}");
    r.assert_guarded_error("GATEWAY.0414");

    let big_header = format!("X-Big: {}\r\n", "b".repeat(2 << 20));
    let r = exchange(addr, &get("/config.json", addr, &big_header)).await;
    assert_eq!(r.status, 431, "{r:?}");
    r.assert_guarded_error("GATEWAY.0431");

    let mut non_utf8 = b"GET /caf".to_vec();
    non_utf8.extend_from_slice(&[0xC3, 0x28]);
    non_utf8.extend_from_slice(format!(" HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
    let r = exchange(addr, &non_utf8).await;
    assert_eq!(r.status, 400, "{r:?}");
    r.assert_guarded_error("GATEWAY.0400");

    for extra in [
        "Content-Length: abc\r\n",
        "Content-Length: 1\r\nContent-Length: 2\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Bad Header Name: x\r\n",
    ] {
        let r = exchange(addr, &get("/config.json", addr, extra)).await;
        assert_eq!(r.status, 400, "{extra:?}: {r:?}");
        r.assert_guarded_error("GATEWAY.0400");
    }
    let r = exchange(addr, b"NOT HTTP AT ALL\r\n\r\n").await;
    assert_eq!(r.status, 400);
    r.assert_guarded_error("GATEWAY.0400");

    // A keep-alive connection: the first request is answered, then the bad one is refused.
    let mut both = get("/_sim/clock", addr, "").replace("Connection: close\r\n", "");
    both.extend_from_slice(&get("/config.json", addr, "Content-Length: -1\r\n"));
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(&both).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await.expect("closes").expect("read");
    let text = String::from_utf8_lossy(&answer);
    let second = text.find("HTTP/1.1 400").expect("the refusal follows the answer");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    parse_raw(text[second..].as_bytes()).assert_guarded_error("GATEWAY.0400");

    // A chunked body is still accepted, and that connection then closes.
    let chunked = format!("POST /_sim/clock HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n");
    let r = exchange(addr, chunked.as_bytes()).await;
    assert_eq!(r.status, 200, "{r:?}");
}

// Defect 6: no cross-site request reaches the API, reads included, in either mode; two Host
// headers are refused.
#[tokio::test]
async fn cross_site_requests_and_double_hosts_are_refused() {
    let (upstream, proxy) = proxy_pair().await;
    let path = api("app-servers");
    for headers in [vec![("Origin", "http://evil.example")], vec![("Sec-Fetch-Site", "cross-site")], vec![("Sec-Fetch-Site", "same-site")]]
    {
        let r = proxy.send("GET", &path, &headers, None).await;
        assert_eq!((r.status, r.error_code().as_str()), (403, "GATEWAY.0403"), "{headers:?}");
        let r = upstream.send("GET", "/_sim/state", &headers, None).await;
        assert_eq!(r.status, 403, "the simulator's /_sim/ too: {headers:?}");
        let mut with_token = headers.clone();
        with_token.push(("X-Auth-Token", TOKEN));
        assert_eq!(upstream.send("GET", &path, &with_token, None).await.status, 403);
    }
    assert_eq!(upstream_calls(&upstream).await, 0, "nothing was signed and sent");
    // The page's own requests pass.
    let own = proxy.base.clone();
    let r = proxy.send("GET", &path, &[("Origin", &own), ("Sec-Fetch-Site", "same-origin")], None).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let addr = proxy.gateway.addr();
    let r = exchange(addr, &get(&path, addr, "Host: evil.example\r\n")).await;
    assert_eq!(r.status, 400, "{r:?}");
    r.assert_guarded_error("GATEWAY.0400");
    let r = exchange(addr, &get(&path, addr, &format!("Host: {addr}\r\n"))).await;
    assert_eq!(r.status, 400, "two Host headers, even equal ones");
    assert_eq!(upstream_calls(&upstream).await, 1);
}

// Threat model: a local process that is not the user's own page can read /config.json in
// simulator mode (demo values only); in proxy mode /config.json holds no credential.
#[tokio::test]
async fn proxy_mode_never_hands_out_a_credential() {
    let (_upstream, proxy) = proxy_pair().await;
    let r = proxy.send("GET", "/config.json", &[], None).await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains(SK) && !r.body.contains(AK), "{}", r.body);
    let r = proxy.send("GET", "/_sim/state", &[], None).await;
    assert_eq!(r.status, 404, "no test control in proxy mode");
}

// The load measurement of `make bench`, at a tiny size, so that it keeps working.
#[tokio::test]
async fn slow_clients_do_not_stop_listing_at_a_tiny_size() {
    let gw = Gw::from_config(with_limits(|l| {
        l.head_timeout_ms = 400;
        l.max_connections = 40;
    }))
    .await;
    let addr = gw.gateway.addr();
    let report = load::run(&load::LoadPlan {
        addr,
        token: TOKEN.into(),
        project_id: PROJECT.into(),
        clients: 8,
        slow_clients: 8,
        requests_per_client: 10,
        pause: Duration::ZERO,
        limit: 10,
    })
    .await
    .expect("load runs");
    assert_eq!(report.failures, 0, "{report:?}");
    assert_eq!(report.latencies_ms.len(), 80);
    assert!(report.quantile(0.99) < 2_000.0, "{report:?}");
    let flood = load::flood(&load::FloodPlan {
        addr,
        token: TOKEN.into(),
        project_id: PROJECT.into(),
        slow_clients: 100,
        give_up_after: Duration::from_secs(5),
    })
    .await
    .expect("flood runs");
    assert!(flood.probes_refused > 0, "the cap was reached: {flood:?}");
    assert!(flood.recovered_after.is_some(), "{flood:?}");
}

// Defect 5, at large: whatever a mangled request looks like, every answer carries the
// security headers and a request id (none is hyper's own bare answer).
#[tokio::test]
async fn every_answer_to_a_mangled_request_carries_the_security_headers() {
    let gw = Gw::from_config(with_limits(|l| l.head_timeout_ms = 300)).await;
    let addr = gw.gateway.addr();
    let base = format!(
        "PATCH /v1/{PROJECT}/app-servers/actions/batch-update-tsvi?x=1 HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close"
    );
    let interesting = [0u8, b' ', b'\r', b'\n', b':', b'%', 0xff, 0x80, b'\t', b'/', b'.', b',', b'0', b'a'];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut requests = Vec::new();
    for _ in 0..300 {
        let mut head = base.clone().into_bytes();
        for _ in 0..(1 + next() % 3) {
            let at = (next() % head.len() as u64) as usize;
            let byte = interesting[(next() % interesting.len() as u64) as usize];
            match next() % 3 {
                0 => head[at] = byte,
                1 => head.insert(at, byte),
                _ => {
                    head.remove(at);
                }
            }
        }
        head.extend_from_slice(b"\r\n\r\n{}");
        requests.push(head);
    }
    let mut answered = 0;
    for chunk in requests.chunks(100) {
        let tasks: Vec<_> = chunk
            .iter()
            .cloned()
            .map(|request| {
                tokio::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.expect("connect");
                    let _ = stream.write_all(&request).await;
                    let mut answer = Vec::new();
                    let mut buf = [0u8; 8192];
                    // Until the gateway closes, or stays silent for a while (a keep-alive answer).
                    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(800), stream.read(&mut buf)).await {
                        if n == 0 {
                            break;
                        }
                        answer.extend_from_slice(&buf[..n]);
                    }
                    (request, answer)
                })
            })
            .collect();
        for task in tasks {
            let (request, answer) = task.await.expect("task");
            if answer.is_empty() {
                continue; // closed without an answer: an idle-looking or cut-off connection
            }
            answered += 1;
            let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
            for needle in ["x-content-type-options: nosniff", "x-request-id: ", "content-security-policy: "] {
                assert!(text.contains(needle), "{needle} missing for {:?}: {text}", String::from_utf8_lossy(&request));
            }
        }
    }
    assert!(answered > 250, "most mangled requests are answered: {answered}");
}
