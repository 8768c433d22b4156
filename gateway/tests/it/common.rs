//! A gateway on 127.0.0.1:0 inside the test's runtime, and a small HTTP vocabulary for it.

#![allow(dead_code)]

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};
use tsvi_gateway::config::{DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK, DEFAULT_TOKEN};
use tsvi_gateway::{Gateway, GatewayConfig, SimulatorConfig};
use workspace_tsvi::sign::{self, AkSk, QueryValue, SignInput};

pub const PROJECT: &str = DEFAULT_PROJECT_ID;
pub const TOKEN: &str = DEFAULT_TOKEN;
pub const AK: &str = DEFAULT_AK;
pub const SK: &str = DEFAULT_SK;
pub const READONLY: &str = "readonly-token-for-tests";

pub struct Gw {
    pub gateway: Gateway,
    pub http: reqwest::Client,
    pub base: String,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn request_id(&self) -> &str {
        self.header("x-request-id").expect("every answer has X-Request-Id")
    }

    /// Checks the error body's shape and returns its code.
    pub fn error_code(&self) -> String {
        let body = self.json();
        let keys: Vec<&str> = body.as_object().expect("error body is an object").keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 3, "error body has exactly error_code, error_msg, request_id: {body}");
        assert_eq!(body["request_id"], self.request_id(), "the body's request_id is the header's");
        assert!(body["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
        body["error_code"].as_str().expect("error_code is a string").to_owned()
    }

    pub fn error_msg(&self) -> String {
        self.json()["error_msg"].as_str().unwrap_or_default().to_owned()
    }
}

pub fn api(rest: &str) -> String {
    format!("/v1/{PROJECT}/{rest}")
}

pub fn test_config() -> SimulatorConfig {
    let mut config = SimulatorConfig::default();
    config.credentials.readonly_token = Some(READONLY.into());
    config
}

impl Gw {
    pub async fn start() -> Gw {
        Gw::with(|_| {}).await
    }

    /// A simulator with the default world (240 servers, seed 1) changed by `change`.
    pub async fn with(change: impl FnOnce(&mut SimulatorConfig)) -> Gw {
        let mut config = test_config();
        change(&mut config);
        Gw::from_config(GatewayConfig::simulator(config)).await
    }

    pub async fn from_config(config: GatewayConfig) -> Gw {
        let gateway = tsvi_gateway::start(config).await.expect("gateway starts");
        let base = gateway.url();
        Gw { gateway, http: reqwest::Client::new(), base }
    }

    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Resp {
        self.try_send(method, path, headers, body).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn try_send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Result<Resp, reqwest::Error> {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_owned());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await?;
        Ok(Resp { status, headers, body })
    }

    /// GET with the demo token.
    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, &[("X-Auth-Token", TOKEN)], None).await
    }

    /// PATCH with the demo token.
    pub async fn patch(&self, path: &str, body: &str) -> Resp {
        self.send("PATCH", path, &[("X-Auth-Token", TOKEN)], Some(body)).await
    }

    pub async fn submit(&self, ids: &[&str]) -> Resp {
        let items: Vec<Value> = ids.iter().map(|id| json!({"id": id, "enable": true})).collect();
        self.patch(&api("app-servers/actions/batch-update-tsvi"), &json!({ "items": items }).to_string()).await
    }

    /// Submits and expects a job id.
    pub async fn submit_ok(&self, ids: &[&str]) -> String {
        let r = self.submit(ids).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["job_id"].as_str().expect("job_id").to_owned()
    }

    pub async fn maint(&self, ids: &[&str], on: bool) -> Resp {
        self.patch(&api("app-servers/actions/batch-maint"), &json!({ "items": ids, "maintain_status": on }).to_string()).await
    }

    /// A signed request as the official SDK sends it (`Content-Type`, `X-Project-Id`,
    /// `X-Sdk-Date`, `Host`), with the date of the simulated clock unless given.
    pub async fn signed(&self, method: &str, path: &str, query: &[(&str, &str)], body: &str, sk: &str, date: Option<&str>) -> Resp {
        let date = match date {
            Some(d) => d.to_owned(),
            None => self.sim_get("/_sim/clock").await["sdk_date"].as_str().expect("sdk_date").to_owned(),
        };
        let (url, headers) = sign_request(&self.base, method, path, query, body, AK, sk, &date, &[("X-Project-Id", PROJECT)]);
        self.raw(method, &url, &headers, body).await
    }

    pub async fn raw(&self, method: &str, url: &str, headers: &[(String, String)], body: &str) -> Resp {
        let mut request = self.http.request(Method::from_bytes(method.as_bytes()).expect("method"), url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if !body.is_empty() {
            request = request.body(body.to_owned());
        }
        let response = request.send().await.expect("answer");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Resp { status, headers, body: response.text().await.expect("body") }
    }

    pub async fn sim_get(&self, path: &str) -> Value {
        let r = self.send("GET", path, &[], None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.json()
    }

    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let r = self.send("POST", path, &[], Some(&body.to_string())).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.json()
    }

    pub async fn pause(&self) {
        self.sim_post("/_sim/clock", json!({"paused": true})).await;
    }

    pub async fn advance(&self, ms: u64) {
        self.sim_post("/_sim/clock", json!({"advance_ms": ms})).await;
    }

    pub async fn ledger(&self) -> Vec<Value> {
        self.sim_get("/_sim/ledger").await.as_array().expect("ledger is a list").clone()
    }

    pub async fn ledger_since(&self, since: usize) -> Vec<Value> {
        self.sim_get(&format!("/_sim/ledger?since={since}")).await.as_array().expect("ledger is a list").clone()
    }

    pub async fn server(&self, id: &str) -> Value {
        let r = self.get(&api(&format!("app-servers/{id}"))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    pub async fn list(&self, query: &str) -> Value {
        let r = self.get(&format!("{}?{query}", api("app-servers"))).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        r.json()
    }

    /// Every server, in listing order.
    pub async fn all_servers(&self) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let page = self.list(&format!("limit=100&offset={}", all.len())).await;
            let items = page["items"].as_array().expect("items").clone();
            if items.is_empty() {
                return all;
            }
            all.extend(items);
        }
    }

    /// Ids of plain servers: ACTIVE, no job running, not in maintenance.
    pub async fn idle_ids(&self, n: usize) -> Vec<String> {
        let ids: Vec<String> = self
            .all_servers()
            .await
            .into_iter()
            .filter(|s| {
                s["vm_status"] == "ACTIVE"
                    && s["maintain_status"] == false
                    && s.get("task_status").is_none()
                    && s["job_status"] != "RUNNING"
            })
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .take(n)
            .collect();
        assert_eq!(ids.len(), n, "enough idle servers");
        ids
    }

    pub async fn job(&self, job_id: &str) -> Value {
        let r = self.get(&format!("/v2/{PROJECT}/job/{job_id}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }
}

/// Signs with the core crate's signer; returns the wire URL and the headers (with `Host`).
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    base: &str,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: &str,
    ak: &str,
    sk: &str,
    date: &str,
    extra: &[(&str, &str)],
) -> (String, Vec<(String, String)>) {
    let query: Vec<(String, QueryValue)> = query.iter().map(|(k, v)| (k.to_string(), QueryValue::from(*v))).collect();
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let credentials = AkSk { ak: ak.into(), sk: sk.into(), security_token: None };
    let signed = sign::sign(&SignInput {
        method,
        url: &format!("{base}{path}"),
        query: &query,
        headers: &headers,
        body: body.as_bytes(),
        credentials: &credentials,
        sdk_date: date,
    })
    .expect("signs");
    let mut headers = signed.headers;
    headers.push(("Host".into(), signed.host));
    (signed.url, headers)
}

/// A unique empty directory under the system temp dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!("tsvi-gw-{}-{name}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Sends a request line as written, with no URL normalization, and returns the status.
pub async fn raw_status(addr: std::net::SocketAddr, method: &str, target: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {text}"))
}
