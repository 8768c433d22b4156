use crate::common::*;
use serde_json::{json, Value};

const XSS: &str = "<img src=x onerror=alert(1)>";

#[tokio::test]
async fn servers_can_be_seeded_and_renamed() {
    let gw = Gw::start().await;
    let groups = gw.get(&api("app-server-groups")).await.json()["items"].as_array().unwrap().clone();
    let group = groups[1]["id"].as_str().unwrap();
    let added = gw.sim_post("/_sim/servers", json!({"name": XSS, "server_group_id": group, "session_count": 4})).await;
    let added = &added[0];
    assert_eq!(added["name"], XSS);
    assert_eq!(added["server_group_id"], group);
    assert_eq!(added["session_count"], 4);
    let id = added["id"].as_str().unwrap();

    let found = gw.list("server_name=%3Cimg").await;
    assert_eq!(found["count"], 1);
    assert_eq!(found["items"][0]["name"], XSS, "the name comes back byte for byte");
    assert_eq!(gw.list("limit=1").await["count"], 241);
    assert!(gw.all_servers().await.iter().any(|s| s["id"] == id), "listed in id order with the others");

    // Rename an existing server, and add one with a chosen id.
    let existing = gw.list("limit=1&offset=7").await["items"][0]["id"].as_str().unwrap().to_owned();
    gw.sim_post("/_sim/servers", json!({"id": existing, "name": "renamed \"quoted\" & <b>bold</b>"})).await;
    assert_eq!(gw.server(&existing).await["name"], "renamed \"quoted\" & <b>bold</b>");
    let many = gw
        .sim_post(
            "/_sim/servers",
            json!([{"id": "my-test-server-1", "name": "a"}, {"id": "my-test-server-2", "name": "b", "vm_status": "SHUTOFF"}]),
        )
        .await;
    assert_eq!(many.as_array().unwrap().len(), 2);
    assert_eq!(gw.server("my-test-server-2").await["vm_status"], "SHUTOFF");
    let job = gw.submit_ok(&["my-test-server-1", id]).await;
    assert!(!job.is_empty(), "seeded servers take batches like any other");

    for bad in [
        json!({"vm_status": "FLYING"}),
        json!({"server_group_id": "nope"}),
        json!({"colour": "red"}),
        json!({"id": "bad id!"}),
        json!({"session_count": -1}),
    ] {
        let r = gw.send("POST", "/_sim/servers", &[], Some(&bad.to_string())).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "SIM.0400"), "{bad}");
    }
}

#[tokio::test]
async fn fail_updates_marks_a_server_to_fail() {
    let gw = Gw::start().await;
    gw.pause().await;
    let ids = gw.idle_ids(2).await;
    gw.sim_post("/_sim/servers", json!({"id": ids[0], "fail_updates": true})).await;
    let job = gw.submit_ok(&[&ids[0], &ids[1]]).await;
    gw.advance(10_000).await;
    let detail = gw.job(&job).await;
    let statuses: Vec<&str> = detail["sub_jobs"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["FAILED", "SUCCESS"]);
}

#[tokio::test]
async fn the_clock_moves_forward_offsets_and_pauses() {
    let gw = Gw::start().await;
    let t0 = gw.sim_get("/_sim/clock").await["now_ms"].as_u64().unwrap();
    let paused = gw.sim_post("/_sim/clock", json!({"paused": true})).await;
    assert_eq!(paused["paused"], true);
    let moved = gw.sim_post("/_sim/clock", json!({"advance_ms": 3_600_000})).await;
    let t1 = moved["now_ms"].as_u64().unwrap();
    assert!(t1 >= t0 + 3_600_000 && t1 < t0 + 3_700_000);
    assert_eq!(gw.sim_get("/_sim/clock").await["now_ms"].as_u64().unwrap(), t1, "paused");
    assert!(moved["offset_ms"].as_i64().unwrap() >= 3_590_000);
    assert_eq!(moved["sdk_date"].as_str().unwrap().len(), 16);
    let offset = gw.sim_post("/_sim/clock", json!({"offset_ms": 86_400_000})).await;
    assert!((offset["offset_ms"].as_i64().unwrap() - 86_400_000).abs() < 1_000);
    let resumed = gw.sim_post("/_sim/clock", json!({"paused": false, "offset_ms": 0})).await;
    assert_eq!(resumed["paused"], false);
    assert!(resumed["offset_ms"].as_i64().unwrap().abs() < 1_000);
    let r = gw.send("POST", "/_sim/clock", &[], Some(r#"{"advance_ms": -5}"#)).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn reset_restores_the_seeded_world() {
    let gw = Gw::start().await;
    let before: Vec<Value> = gw.all_servers().await;
    let id = gw.idle_ids(1).await.remove(0);
    gw.submit_ok(&[&id]).await;
    gw.sim_post("/_sim/servers", json!({"name": XSS})).await;
    gw.sim_post("/_sim/faults", json!({"p429": 0.5})).await;
    gw.sim_post("/_sim/clock", json!({"advance_ms": 7_200_000, "paused": true})).await;

    let reset = gw.sim_post("/_sim/reset", json!({})).await;
    assert_eq!(reset["settings"]["servers"], 240);
    assert!(gw.ledger().await.is_empty());
    let faults = gw.sim_get("/_sim/faults").await;
    assert_eq!(faults["config"]["p429"], 0.0);
    let clock = gw.sim_get("/_sim/clock").await;
    assert!(clock["offset_ms"].as_i64().unwrap().abs() < 1_000 && clock["paused"] == false);
    let after: Vec<Value> = gw.all_servers().await;
    let key = |v: &Vec<Value>| v.iter().map(|s| (s["id"].clone(), s["name"].clone(), s["job_id"].clone())).collect::<Vec<_>>();
    assert_eq!(key(&before), key(&after));

    // With overrides, for the soak test's bigger world.
    let big = gw.sim_post("/_sim/reset", json!({"servers": 2000, "groups": 6, "job_ms": 500, "seed": 3})).await;
    assert_eq!(big["settings"]["servers"], 2000);
    assert_eq!(gw.list("limit=1").await["count"], 2000);
    assert_eq!(gw.get(&api("app-server-groups")).await.json()["count"], 6);
    gw.sim_post("/_sim/reset", Value::Null).await;
    assert_eq!(gw.list("limit=1").await["count"], 240, "a reset without overrides goes back to the command line's");
    for bad in [json!({"servers": 100_001}), json!({"groups": 0}), json!({"sub_job_failure_rate": 2}), json!({"planets": 1})] {
        let r = gw.send("POST", "/_sim/reset", &[], Some(&bad.to_string())).await;
        assert_eq!(r.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn ledger_since_state_and_settings() {
    let gw = Gw::start().await;
    let ids = gw.idle_ids(3).await;
    for id in &ids {
        gw.submit_ok(&[id]).await;
    }
    let tail = gw.sim_get("/_sim/ledger?since=1").await;
    let tail = tail.as_array().unwrap();
    assert_eq!(tail.len(), 2);
    assert_eq!((tail[0]["seq"].as_u64(), tail[0]["ids"].clone()), (Some(1), json!([ids[1]])));
    assert!(tail[0]["at"].as_str().unwrap().ends_with('Z') && tail[0]["request_id"].as_str().unwrap().len() == 36);
    assert!(gw.sim_get("/_sim/ledger?since=99").await.as_array().unwrap().is_empty());
    assert_eq!(gw.send("GET", "/_sim/ledger?since=x", &[], None).await.status, 400);

    let state = gw.sim_get("/_sim/state").await;
    assert_eq!((state["servers"].as_u64(), state["ledger"]["applied"].as_u64()), (Some(240), Some(3)));
    assert!(state["by_vm_status"]["ACTIVE"].as_u64().unwrap() > 200);

    let settings = gw.sim_post("/_sim/settings", json!({"job_ms": 100, "latency_ms": 0})).await;
    assert_eq!(settings["job_ms"], 100);
    assert_eq!(gw.send("POST", "/_sim/settings", &[], Some(r#"{"sub_job_failure_rate": -1}"#)).await.status, 400);
    let index = gw.sim_get("/_sim/").await;
    assert!(index["endpoints"].is_object());
    let r = gw.send("GET", "/_sim/nothing-here", &[], None).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "SIM.0404"));
}

#[tokio::test]
async fn cross_origin_writes_are_refused() {
    let gw = Gw::start().await;
    let r = gw.send("POST", "/_sim/reset", &[("Origin", "https://evil.example")], Some("{}")).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "GATEWAY.0403"));
    let own = gw.base.clone();
    assert_eq!(gw.send("POST", "/_sim/reset", &[("Origin", own.as_str())], Some("{}")).await.status, 200);
    let r = gw
        .send("PATCH", &api("app-servers/actions/batch-maint"), &[("Origin", "http://localhost:1"), ("X-Auth-Token", TOKEN)], Some("{}"))
        .await;
    assert_eq!(r.status, 403);
}
