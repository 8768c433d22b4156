use crate::common::*;
use serde_json::{json, Value};

const BATCH: &str = "app-servers/actions/batch-update-tsvi";

#[tokio::test]
async fn malformed_batches_are_400_and_change_nothing() {
    let gw = Gw::start().await;
    let ids = gw.idle_ids(2).await;
    let (a, b) = (ids[0].as_str(), ids[1].as_str());
    let many: Vec<Value> = (0..21).map(|i| json!({"id": format!("srv-{i}"), "enable": true})).collect();
    let cases: Vec<(String, &str)> = vec![
        ("{not json".into(), "JSON"),
        ("[]".into(), "body.not_object"),
        ("{}".into(), "items.missing"),
        (json!({"items": []}).to_string(), "items.empty"),
        (json!({"items": many}).to_string(), "items.too_many"),
        (json!({"items": [{"id": a, "enable": true}, {"id": a, "enable": true}]}).to_string(), "id.duplicate"),
        (json!({"items": [{"id": a, "enable": true}], "dry_run": true}).to_string(), "body.unknown_field"),
        (json!({"items": [{"id": a, "enable": true, "force": 1}]}).to_string(), "item.unknown_field"),
        (json!({"items": [{"id": a, "enable": "true"}]}).to_string(), "enable.not_boolean"),
        (json!({"items": [{"id": 7, "enable": true}]}).to_string(), "id.not_string"),
        (json!({"items": [{"id": b}]}).to_string(), "enable.missing"),
        (json!({"items": "x"}).to_string(), "items.not_array"),
    ];
    for (body, code) in &cases {
        let r = gw.patch(&api(BATCH), body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.error_code(), "WKS.0400");
        assert!(r.error_msg().contains(code), "{code} in {}", r.error_msg());
    }
    let ledger = gw.ledger().await;
    assert_eq!(ledger.len(), cases.len(), "every request is in the ledger");
    assert!(ledger.iter().all(|e| e["status"] == 400 && e["applied"] == false));
    assert_eq!(ledger[5]["ids"], json!([a, a]), "the ids of a refused body are recorded as sent");
    assert!(gw.server(a).await.get("task_status").is_none());
}

#[tokio::test]
async fn an_unknown_id_fails_the_whole_batch_with_404() {
    let gw = Gw::start().await;
    let ids = gw.idle_ids(2).await;
    let before = gw.server(&ids[0]).await;
    let r = gw.submit(&[&ids[0], "00000000-0000-4000-8000-00000000dead", &ids[1]]).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "WKS.0404"));
    assert!(r.error_msg().contains("00000000-0000-4000-8000-00000000dead") && r.error_msg().contains("nothing was applied"));
    let ledger = gw.ledger().await;
    assert_eq!((ledger[0]["status"].as_u64(), ledger[0]["applied"].as_bool()), (Some(404), Some(false)));
    assert_eq!(gw.server(&ids[0]).await["job_id"], before["job_id"], "nothing applied");
    assert!(gw.server(&ids[1]).await.get("task_status").is_none());
}

#[tokio::test]
async fn other_methods_are_405_with_a_json_body() {
    let gw = Gw::start().await;
    for method in ["GET", "POST", "PUT", "DELETE"] {
        let r = gw.send(method, &api(BATCH), &[("X-Auth-Token", TOKEN)], Some("{}")).await;
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.error_code(), "WKS.0405");
        assert_eq!(r.header("allow"), Some("PATCH"));
    }
    let r = gw.send("POST", &api("app-servers"), &[("X-Auth-Token", TOKEN)], Some("{}")).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET")));
    assert!(gw.ledger().await.is_empty(), "only PATCH requests are batch-update-tsvi requests");
}

#[tokio::test]
async fn a_server_with_a_running_job_makes_the_batch_409() {
    let gw = Gw::start().await;
    gw.pause().await;
    let ids = gw.idle_ids(3).await;
    let job = gw.submit_ok(&[&ids[0]]).await;
    let r = gw.submit(&[&ids[1], &ids[0]]).await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "WKS.0409"));
    assert!(r.error_msg().contains(&ids[0]) && r.error_msg().contains(&job));
    assert!(gw.server(&ids[1]).await.get("task_status").is_none(), "nothing applied");

    // A job that was already running when the gateway started.
    let busy = gw.all_servers().await.into_iter().find(|s| s["job_status"] == "RUNNING" && s["job_id"] != job.as_str()).unwrap();
    let r = gw.submit(&[&ids[2], busy["id"].as_str().unwrap()]).await;
    assert_eq!(r.status, 409);

    let ledger = gw.ledger().await;
    let statuses: Vec<(u64, bool)> = ledger.iter().map(|e| (e["status"].as_u64().unwrap(), e["applied"].as_bool().unwrap())).collect();
    assert_eq!(statuses, [(200, true), (409, false), (409, false)]);

    // Once the job is over, the server takes a new one.
    gw.advance(10_000).await;
    gw.submit_ok(&[&ids[0], &ids[1]]).await;
}

#[tokio::test]
async fn a_job_runs_to_success_on_the_simulated_clock() {
    let gw = Gw::with(|c| c.settings.job_ms = 10_000).await;
    gw.pause().await;
    let ids = gw.idle_ids(5).await;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let before: Vec<Value> = futures_join(&gw, &refs).await;
    let job_id = gw.submit_ok(&refs).await;
    assert!(job_id.len() >= 18 && job_id.bytes().all(|b| b.is_ascii_digit()), "{job_id}");

    let job = gw.job(&job_id).await;
    assert_eq!(
        (job["status"].as_str(), job["job_type"].as_str(), job["sub_jobs_total"].as_u64()),
        (Some("WAITING"), Some("UPDATE_SERVER_TSVI"), Some(5))
    );
    assert!(job["sub_jobs"].as_array().unwrap().iter().all(|s| s["status"] == "WAITING"));
    for id in &ids {
        let s = gw.server(id).await;
        assert_eq!(
            (s["task_status"].as_str(), s["job_id"].as_str(), s["job_type"].as_str()),
            (Some("updating_tsvi"), Some(job_id.as_str()), Some("UPDATE_SERVER_TSVI"))
        );
        assert_eq!(s["job_status"], "WAITING");
        assert!(s["job_time"].is_string());
    }

    // Every sub-job starts within 0.3 × job_ms; the reboots run from 0.8 to 1.1 × job_ms.
    gw.advance(3_100).await;
    assert_eq!(gw.job(&job_id).await["status"], "RUNNING");
    let s = gw.server(&ids[0]).await;
    assert_eq!(
        (s["task_status"].as_str(), s["vm_status"].as_str(), s["job_status"].as_str()),
        (Some("updating_tsvi"), Some("ACTIVE"), Some("RUNNING"))
    );

    gw.advance(5_000).await; // 0.81 × job_ms
    for id in &ids {
        let s = gw.server(id).await;
        assert_eq!((s["vm_status"].as_str(), s["task_status"].as_str()), (Some("REBOOT"), Some("updating_tsvi")), "{s}");
        assert_eq!(s["session_count"], 0, "a reboot ends every session");
    }
    assert_eq!(gw.job(&job_id).await["status"], "RUNNING");

    gw.advance(5_000).await; // 1.31 × job_ms
    let job = gw.job(&job_id).await;
    assert_eq!(job["status"], "SUCCESS");
    assert!(job["end_time"].is_string());
    let subs = job["sub_jobs"].as_array().unwrap();
    assert!(subs.iter().all(|s| s["status"] == "SUCCESS" && s.get("error_code").is_none()));
    let resources: Vec<&str> = subs.iter().map(|s| s["job_resource_info"]["resource_id"].as_str().unwrap()).collect();
    assert_eq!(resources, refs);
    for (id, old) in ids.iter().zip(&before) {
        let s = gw.server(id).await;
        assert_eq!((s["vm_status"].as_str(), s["job_status"].as_str()), (Some("ACTIVE"), Some("SUCCESS")));
        assert!(s.get("task_status").is_none(), "the task is cleared: {s}");
        assert_eq!(s["session_count"], 0, "sessions come back one step at a time");
        assert_eq!(s["job_id"], job_id.as_str());
        assert_ne!(s["job_id"], old["job_id"]);
    }

    // The ledger and the sub-jobs record the requested and the effective enable.
    let ledger = gw.ledger().await;
    assert_eq!((ledger.len(), ledger[0]["applied"].as_bool(), ledger[0]["job_id"].as_str()), (1, Some(true), Some(job_id.as_str())));
    assert_eq!(ledger[0]["ids"], json!(refs));
    for (item, server) in ledger[0]["items"].as_array().unwrap().iter().zip(&before) {
        let group = gw.get(&api(&format!("app-server-groups/{}", server["server_group_id"].as_str().unwrap()))).await.json();
        assert_eq!(item["enable_requested"], true);
        assert_eq!(item["enable_effective"], group["ip_virtual"]["enable"], "the group decides");
    }
    let extend = subs[0]["job_resource_info"]["extend_params"].as_str().unwrap();
    let extend: Value = serde_json::from_str(extend).unwrap();
    assert_eq!(extend["enable_requested"], true);
}

async fn futures_join(gw: &Gw, ids: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for id in ids {
        out.push(gw.server(id).await);
    }
    out
}

#[tokio::test]
async fn a_failure_rate_fails_sub_jobs_with_error_codes() {
    let gw = Gw::with(|c| c.settings.sub_job_failure_rate = 1.0).await;
    gw.pause().await;
    let ids = gw.idle_ids(3).await;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let job_id = gw.submit_ok(&refs).await;
    gw.advance(1_000).await;
    assert_eq!(gw.job(&job_id).await["status"], "RUNNING");
    gw.advance(10_000).await;
    let job = gw.job(&job_id).await;
    assert_eq!(job["status"], "FAILED");
    for sub in job["sub_jobs"].as_array().unwrap() {
        assert_eq!(sub["status"], "FAILED");
        assert!(sub["error_code"].as_str().unwrap().starts_with("WKS."));
        assert!(!sub["error_message"].as_str().unwrap().is_empty());
    }
    for id in &ids {
        let s = gw.server(id).await;
        assert_eq!(
            (s["task_status"].as_str(), s["job_status"].as_str(), s["vm_status"].as_str()),
            (Some("updating_tsvi_failed"), Some("FAILED"), Some("ACTIVE"))
        );
    }
    // A failed server can be tried again.
    gw.sim_post("/_sim/settings", json!({"sub_job_failure_rate": 0.0})).await;
    let retry = gw.submit_ok(&refs).await;
    gw.advance(10_000).await;
    assert_eq!(gw.job(&retry).await["status"], "SUCCESS");
    assert!(gw.server(&ids[0]).await.get("task_status").is_none());
}

#[tokio::test]
async fn some_servers_fail_and_the_job_fails() {
    let gw = Gw::with(|c| c.settings.sub_job_failure_rate = 0.5).await;
    gw.pause().await;
    let ids = gw.idle_ids(20).await;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let job_id = gw.submit_ok(&refs).await;
    gw.advance(10_000).await;
    let job = gw.job(&job_id).await;
    let failed = job["sub_jobs"].as_array().unwrap().iter().filter(|s| s["status"] == "FAILED").count();
    assert!((2..=18).contains(&failed), "about half fail: {failed}");
    assert_eq!(job["status"], "FAILED");
}

#[tokio::test]
async fn a_server_in_error_state_fails_its_update() {
    let gw = Gw::start().await;
    gw.pause().await;
    let broken = gw.all_servers().await.into_iter().find(|s| s["vm_status"] == "ERROR").unwrap();
    let job_id = gw.submit_ok(&[broken["id"].as_str().unwrap()]).await;
    gw.advance(10_000).await;
    let sub = &gw.job(&job_id).await["sub_jobs"][0];
    assert_eq!((sub["status"].as_str(), sub["error_code"].as_str()), (Some("FAILED"), Some("WKS.1201")));
}
