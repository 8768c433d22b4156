//! Proxy mode end to end: a second gateway in simulator mode is the upstream.

use crate::common::*;
use serde_json::json;
use tsvi_gateway::proxy::ProxyConfig;
use tsvi_gateway::GatewayConfig;
use workspace_tsvi::sign::AkSk;

fn proxy_config(upstream: &str, sk: &str) -> ProxyConfig {
    ProxyConfig {
        upstream: upstream.to_owned(),
        credentials: AkSk { ak: AK.into(), sk: sk.into(), security_token: None },
        project_id: Some(PROJECT.into()),
        timeout_ms: 5_000,
    }
}

async fn pair() -> (Gw, Gw) {
    let upstream = Gw::start().await;
    let proxy = Gw::from_config(GatewayConfig::proxy(proxy_config(&upstream.base, SK))).await;
    (upstream, proxy)
}

#[tokio::test]
async fn the_proxy_signs_reads_and_writes() {
    let (upstream, proxy) = pair().await;
    let r = proxy.send("GET", &format!("{}?limit=100&server_name=aps-00&maintain_status=false", api("app-servers")), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["count"].as_u64().unwrap() > 0);
    let r = proxy.send("GET", &format!("{}?server_name=%20a%20b~%2A", api("app-servers")), &[], None).await;
    assert_eq!(r.status, 200, "odd characters survive re-signing: {}", r.body);
    let groups = proxy.send("GET", &api("app-server-groups"), &[], None).await.json();
    assert_eq!(groups["count"], 4);

    // Browser credentials are not forwarded: the upstream would refuse this token.
    let id = upstream.idle_ids(1).await.remove(0);
    let body = json!({"items": [{"id": id, "enable": true}]}).to_string();
    let r = proxy
        .send(
            "PATCH",
            &api("app-servers/actions/batch-update-tsvi"),
            &[
                ("X-Auth-Token", "browser-token"),
                ("Authorization", "SDK-HMAC-SHA256 Access=X, SignedHeaders=host, Signature=00"),
                ("X-Security-Token", "t"),
                ("Cookie", "session=1"),
            ],
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let job_id = r.json()["job_id"].as_str().unwrap().to_owned();
    let ledger = upstream.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["request_id"], r.request_id(), "X-Request-Id passes through");
    assert_eq!(ledger[0]["job_id"], job_id.as_str());

    let job = proxy.send("GET", &format!("/v2/{PROJECT}/job/{job_id}"), &[], None).await;
    assert_eq!((job.status, job.json()["id"].as_str()), (200, Some(job_id.as_str())));
}

#[tokio::test]
async fn upstream_errors_pass_through() {
    let (upstream, proxy) = pair().await;
    let r = proxy.send("PATCH", &api("app-servers/actions/batch-update-tsvi"), &[], Some(r#"{"items":[]}"#)).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "WKS.0400"));
    let r = proxy.send("GET", &api("app-servers/nope"), &[], None).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "WKS.0404"));
    upstream.sim_post("/_sim/faults", json!({"p429": 1.0, "retry_after_s": 3})).await;
    let r = proxy.send("GET", &api("app-servers"), &[], None).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("3")));
    assert_eq!(r.error_code(), "APIGW.0308");

    // Wrong credentials on the gateway: the upstream's 401 comes back unchanged.
    upstream.sim_post("/_sim/faults", json!({})).await;
    let wrong = Gw::from_config(GatewayConfig::proxy(proxy_config(&upstream.base, "wrong-secret"))).await;
    let r = wrong.send("GET", &api("app-servers"), &[], None).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "APIGW.0301"));
    assert!(r.error_msg().contains("signature"));
    assert!(!r.body.contains("wrong-secret"));
}

#[tokio::test]
async fn the_proxy_has_no_test_control_and_asks_for_no_credentials() {
    let (_upstream, proxy) = pair().await;
    let r = proxy.send("GET", "/_sim/state", &[], None).await;
    assert_eq!(r.status, 404);
    assert_eq!(proxy.send("POST", "/_sim/reset", &[], Some("{}")).await.status, 404);
    let config = proxy.send("GET", "/config.json", &[], None).await.json();
    assert_eq!(
        (config["mode"].as_str(), config["auth"].as_str(), config["projectId"].as_str()),
        (Some("proxy"), Some("none"), Some(PROJECT))
    );
    assert!(config.get("sk").is_none() && config.get("token").is_none());
}

#[tokio::test]
async fn a_foreign_host_header_is_refused() {
    let (upstream, proxy) = pair().await;
    let r = proxy.send("GET", &api("app-servers"), &[("Host", "attacker.example")], None).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "GATEWAY.0403"));
    let port = proxy.gateway.addr().port();
    let r = proxy.send("GET", &api("app-servers"), &[("Host", &format!("localhost:{port}"))], None).await;
    assert_eq!(r.status, 200);
    assert!(upstream.ledger().await.is_empty());
}

#[tokio::test]
async fn unreachable_and_slow_upstreams() {
    // A port that was just free: nothing listens there.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let proxy = Gw::from_config(GatewayConfig::proxy(proxy_config(&format!("http://{closed}"), SK))).await;
    let r = proxy.send("PATCH", &api("app-servers/actions/batch-update-tsvi"), &[], Some("{}")).await;
    assert_eq!((r.status, r.error_code().as_str()), (503, "GATEWAY.0503"));
    assert!(r.error_msg().contains("not sent"));

    let slow = Gw::with(|c| c.latency_ms = 400).await;
    let mut config = proxy_config(&slow.base, SK);
    config.timeout_ms = 100;
    let proxy = Gw::from_config(GatewayConfig::proxy(config)).await;
    let r = proxy.send("GET", &api("app-servers"), &[], None).await;
    assert_eq!((r.status, r.error_code().as_str()), (504, "GATEWAY.0504"));
}
