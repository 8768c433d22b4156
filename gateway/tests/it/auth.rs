use crate::common::*;
use serde_json::json;

const BATCH: &str = "app-servers/actions/batch-update-tsvi";

fn assert_401(r: &Resp, says: &str) {
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.error_code(), "APIGW.0301");
    let msg = r.error_msg();
    assert!(msg.contains(says), "the message says which check failed ({says}): {msg}");
    for secret in [TOKEN, SK, READONLY] {
        assert!(!r.body.contains(secret), "no secret in {}", r.body);
    }
}

#[tokio::test]
async fn missing_and_wrong_tokens() {
    let gw = Gw::start().await;
    assert_401(&gw.send("GET", &api("app-servers"), &[], None).await, "no credential");
    assert_401(&gw.send("GET", &api("app-servers"), &[("X-Auth-Token", "guess-the-token")], None).await, "X-Auth-Token");
    assert!(!gw.send("GET", &api("app-servers"), &[("X-Auth-Token", "guess-the-token")], None).await.body.contains("guess"));
    assert_401(&gw.send("GET", &api("app-servers"), &[("Authorization", "Bearer abc")], None).await, "SDK-HMAC-SHA256");
    assert_401(&gw.send("GET", &api("app-servers"), &[("Authorization", "SDK-HMAC-SHA256 nonsense")], None).await, "malformed");
    let r =
        gw.send("GET", &api("app-servers"), &[("X-Auth-Token", TOKEN), ("X-Project-Id", "ffffffffffffffffffffffffffffffff")], None).await;
    assert_401(&r, "X-Project-Id");
    assert_eq!(gw.send("GET", &api("app-servers"), &[("X-Auth-Token", TOKEN), ("X-Project-Id", PROJECT)], None).await.status, 200);
}

#[tokio::test]
async fn signed_requests_are_verified_as_received() {
    let gw = Gw::start().await;
    let r = gw
        .signed(
            "GET",
            &api("app-servers"),
            &[("limit", "5"), ("offset", "0"), ("server_name", "a b~*"), ("maintain_status", "false")],
            "",
            SK,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = gw.signed("GET", &api("app-server-groups"), &[], "", SK, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = gw.idle_ids(1).await.remove(0);
    let body = json!({"items": [{"id": id, "enable": true}]}).to_string();
    let r = gw.signed("PATCH", &api(BATCH), &[], &body, SK, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["job_id"].is_string());
}

#[tokio::test]
async fn bad_signatures_fail_with_the_reason() {
    let gw = Gw::start().await;
    let date = gw.sim_get("/_sim/clock").await["sdk_date"].as_str().unwrap().to_owned();
    assert_401(&gw.signed("GET", &api("app-servers"), &[], "", "not-the-secret", None).await, "signature");

    // A body other than the one signed.
    let id = gw.idle_ids(1).await.remove(0);
    let signed_body = json!({"items": [{"id": id, "enable": true}]}).to_string();
    let (url, headers) = sign_request(&gw.base, "PATCH", &api(BATCH), &[], &signed_body, AK, SK, &date, &[("X-Project-Id", PROJECT)]);
    let tampered = signed_body.replace("true", "false");
    assert_401(&gw.raw("PATCH", &url, &headers, &tampered).await, "signature");
    assert!(gw.ledger().await.iter().all(|e| e["applied"] == false), "nothing applied");

    // A query other than the one signed.
    let (url, headers) = sign_request(&gw.base, "GET", &api("app-servers"), &[("limit", "5")], "", AK, SK, &date, &[]);
    assert_401(&gw.raw("GET", &url.replace("limit=5", "limit=6"), &headers, "").await, "signature");

    // A signed header changed in transit.
    let (url, mut headers) = sign_request(&gw.base, "GET", &api("app-servers"), &[], "", AK, SK, &date, &[]);
    headers.iter_mut().filter(|(n, _)| n == "Content-Type").for_each(|(_, v)| *v = "text/plain".into());
    assert_401(&gw.raw("GET", &url, &headers, "").await, "signature");

    // Another AK.
    let (url, headers) = sign_request(&gw.base, "GET", &api("app-servers"), &[], "", "OTHERAK", SK, &date, &[]);
    assert_401(&gw.raw("GET", &url, &headers, "").await, "access key");

    // A signed header left out of the request.
    let (url, headers) = sign_request(&gw.base, "GET", &api("app-servers"), &[], "", AK, SK, &date, &[("X-Extra", "1")]);
    let without: Vec<_> = headers.into_iter().filter(|(n, _)| n != "X-Extra").collect();
    assert_401(&gw.raw("GET", &url, &without, "").await, "x-extra");

    // The X-Project-Id is signed but names another project.
    let (url, headers) =
        sign_request(&gw.base, "GET", &api("app-servers"), &[], "", AK, SK, &date, &[("X-Project-Id", "ffffffffffffffffffffffffffffffff")]);
    assert_401(&gw.raw("GET", &url, &headers, "").await, "X-Project-Id");
}

#[tokio::test]
async fn the_date_must_be_within_fifteen_minutes_of_the_gateway_clock() {
    let gw = Gw::start().await;
    gw.pause().await;
    let now = gw.sim_get("/_sim/clock").await["now_ms"].as_u64().unwrap();
    let date_at = |ms: u64| workspace_tsvi::sign::sdk_date_from_unix(ms / 1000);
    assert_eq!(gw.signed("GET", &api("app-servers"), &[], "", SK, Some(&date_at(now - 14 * 60_000))).await.status, 200);
    assert_eq!(gw.signed("GET", &api("app-servers"), &[], "", SK, Some(&date_at(now + 14 * 60_000))).await.status, 200);
    assert_401(&gw.signed("GET", &api("app-servers"), &[], "", SK, Some(&date_at(now - 16 * 60_000))).await, "15 minutes");
    assert_401(&gw.signed("GET", &api("app-servers"), &[], "", SK, Some(&date_at(now + 16 * 60_000))).await, "15 minutes");
    let (url, mut headers) = sign_request(&gw.base, "GET", &api("app-servers"), &[], "", AK, SK, &date_at(now), &[]);
    headers.iter_mut().filter(|(n, _)| n == "X-Sdk-Date").for_each(|(_, v)| *v = "2024-01-02 03:04".into());
    assert_401(&gw.raw("GET", &url, &headers, "").await, "X-Sdk-Date");

    // After the clock moves an hour, a wall-clock date is stale and the simulated one is not.
    gw.advance(3_600_000).await;
    assert_401(&gw.signed("GET", &api("app-servers"), &[], "", SK, Some(&date_at(now))).await, "15 minutes");
    assert_eq!(gw.signed("GET", &api("app-servers"), &[], "", SK, None).await.status, 200);
}

#[tokio::test]
async fn read_only_tokens_read_but_never_write() {
    let gw = Gw::start().await;
    let ro = [("X-Auth-Token", READONLY)];
    assert_eq!(gw.send("GET", &api("app-servers"), &ro, None).await.status, 200);
    let id = gw.idle_ids(1).await.remove(0);
    let body = json!({"items": [{"id": id, "enable": true}]}).to_string();
    let r = gw.send("PATCH", &api(BATCH), &ro, Some(&body)).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "APIGW.0302"));
    let r = gw
        .send("PATCH", &api("app-servers/actions/batch-maint"), &ro, Some(&json!({"items": [id], "maintain_status": true}).to_string()))
        .await;
    assert_eq!(r.status, 403);
    let ledger = gw.ledger().await;
    assert_eq!((ledger.len(), ledger[0]["status"].as_u64(), ledger[0]["applied"].as_bool()), (1, Some(403), Some(false)));
    let server = gw.server(&id).await;
    assert!(server.get("task_status").is_none() && server["maintain_status"] == false, "nothing changed: {server}");
}
