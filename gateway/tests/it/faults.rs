use crate::common::*;
use serde_json::json;
use std::time::Instant;

#[tokio::test]
async fn throttling_answers_429_with_retry_after() {
    let gw = Gw::start().await;
    gw.sim_post("/_sim/faults", json!({"p429": 1.0})).await;
    let r = gw.get(&api("app-servers")).await;
    assert_eq!((r.status, r.error_code().as_str()), (429, "APIGW.0308"));
    assert_eq!(r.header("retry-after"), Some("1"));
    gw.sim_post("/_sim/faults", json!({"p429": 1.0, "retry_after_s": 0})).await;
    assert_eq!(gw.get(&api("app-servers")).await.header("retry-after"), Some("0"));
    let ids = gw.idle_ids_unfaulted().await;
    let r = gw.submit(&[ids.as_str()]).await;
    assert_eq!(r.status, 429);
    let ledger = gw.ledger().await;
    assert_eq!(
        (ledger[0]["status"].as_u64(), ledger[0]["applied"].as_bool(), ledger[0]["fault"].as_str()),
        (Some(429), Some(false), Some("429"))
    );
}

impl Gw {
    /// One idle server id, read with faults switched off for the moment.
    async fn idle_ids_unfaulted(&self) -> String {
        let saved = self.sim_get("/_sim/faults").await["config"].clone();
        self.sim_post("/_sim/faults", json!({})).await;
        let id = self.idle_ids(1).await.remove(0);
        self.sim_post("/_sim/faults", saved).await;
        id
    }
}

#[tokio::test]
async fn server_errors_have_json_bodies() {
    let gw = Gw::start().await;
    gw.sim_post("/_sim/faults", json!({"p500": 1.0})).await;
    let r = gw.get(&api("app-server-groups")).await;
    assert_eq!((r.status, r.error_code().as_str()), (500, "WKS.0500"));
    gw.sim_post("/_sim/faults", json!({"p503": 1.0})).await;
    let r = gw.get(&api("app-server-groups")).await;
    assert_eq!((r.status, r.error_code().as_str()), (503, "WKS.0503"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    // Faults come after authentication, and never touch /_sim/ or the page.
    assert_eq!(gw.send("GET", &api("app-servers"), &[], None).await.status, 401);
    assert_eq!(gw.send("GET", "/config.json", &[], None).await.status, 200);
    let state = gw.sim_get("/_sim/state").await;
    assert_eq!(state["faults"]["injected"]["r503"], 1);
    assert_eq!(state["faults"]["injected"]["r500"], 1);
}

#[tokio::test]
async fn resets_drop_the_connection_and_apply_nothing() {
    let gw = Gw::start().await;
    let id = gw.idle_ids(1).await.remove(0);
    gw.sim_post("/_sim/faults", json!({"p_reset": 1.0})).await;
    let body = json!({"items": [{"id": id, "enable": true}]}).to_string();
    let err = gw.try_send("PATCH", &api("app-servers/actions/batch-update-tsvi"), &[("X-Auth-Token", TOKEN)], Some(&body)).await;
    assert!(err.is_err(), "no answer: {err:?}");
    assert!(gw.try_send("GET", &api("app-servers"), &[("X-Auth-Token", TOKEN)], None).await.is_err());
    gw.sim_post("/_sim/faults", json!({})).await;
    let ledger = gw.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (ledger[0]["status"].as_u64(), ledger[0]["applied"].as_bool(), ledger[0]["fault"].as_str()),
        (Some(0), Some(false), Some("reset"))
    );
    assert_eq!(ledger[0]["ids"], json!([id]));
    assert!(gw.server(&id).await.get("task_status").is_none());
}

#[tokio::test]
async fn applied_then_500_applies_the_batch_and_fails_the_answer() {
    let gw = Gw::start().await;
    gw.pause().await;
    let ids = gw.idle_ids(12).await;
    gw.sim_post("/_sim/faults", json!({"p_applied_then_500": 1.0, "seed": 5})).await;
    // Only batch-update-tsvi is affected.
    assert_eq!(gw.get(&api("app-servers")).await.status, 200);
    let mut outcomes = Vec::new();
    for id in &ids {
        let body = json!({"items": [{"id": id, "enable": true}]}).to_string();
        let r = gw.try_send("PATCH", &api("app-servers/actions/batch-update-tsvi"), &[("X-Auth-Token", TOKEN)], Some(&body)).await;
        outcomes.push(match r {
            Ok(r) => {
                assert_eq!(r.error_code(), "WKS.0500");
                r.status
            }
            Err(_) => 0,
        });
    }
    assert!(outcomes.contains(&500) && outcomes.contains(&0), "both kinds happen: {outcomes:?}");
    gw.sim_post("/_sim/faults", json!({})).await;
    let ledger = gw.ledger().await;
    for (entry, (id, status)) in ledger.iter().zip(ids.iter().zip(&outcomes)) {
        assert_eq!(entry["applied"], true);
        assert_eq!(entry["status"].as_u64(), Some(*status as u64));
        assert!(["applied_then_500", "applied_then_reset"].contains(&entry["fault"].as_str().unwrap()));
        let server = gw.server(id).await;
        assert_eq!(server["job_id"], entry["job_id"], "the server really has the job");
        assert_eq!(server["task_status"], "updating_tsvi");
    }
}

#[tokio::test]
async fn faults_are_checked_and_deterministic() {
    let gw = Gw::start().await;
    for bad in [
        json!({"p500": 1.5}),
        json!({"p500": 0.6, "p503": 0.6}),
        json!({"p_429": 0.1}),
        json!({"p429": "x"}),
        json!({"latency_ms": 100000}),
    ] {
        let r = gw.send("POST", "/_sim/faults", &[], Some(&bad.to_string())).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "SIM.0400"), "{bad}");
    }
    let run = || async {
        gw.sim_post("/_sim/faults", json!({"p429": 0.3, "p503": 0.2, "retry_after_s": 0, "seed": 11})).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(gw.get(&api("app-server-groups")).await.status);
        }
        statuses
    };
    let (a, b) = (run().await, run().await);
    assert_eq!(a, b, "the same seed gives the same faults");
    assert!(a.contains(&429) && a.contains(&503) && a.contains(&200), "{a:?}");
}

#[tokio::test]
async fn latency_slows_api_answers_only() {
    let gw = Gw::start().await;
    gw.sim_post("/_sim/faults", json!({"latency_ms": 120})).await;
    let started = Instant::now();
    assert_eq!(gw.get(&api("app-server-groups")).await.status, 200);
    assert!(started.elapsed().as_millis() >= 120);
    let started = Instant::now();
    gw.sim_get("/_sim/clock").await;
    assert!(started.elapsed().as_millis() < 100);

    let slow = Gw::with(|c| c.latency_ms = 60).await;
    let started = Instant::now();
    assert_eq!(slow.get(&api("app-server-groups")).await.status, 200);
    assert!(started.elapsed().as_millis() >= 60);
}
