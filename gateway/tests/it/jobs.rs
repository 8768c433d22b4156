use crate::common::*;
use serde_json::Value;

async fn sub_jobs(gw: &Gw, query: &str) -> Resp {
    gw.get(&format!("{}?{query}", api("app-server-sub-jobs"))).await
}

#[tokio::test]
async fn list_sub_jobs_filters_and_pages() {
    let gw = Gw::start().await;
    gw.pause().await;
    let ids = gw.idle_ids(25).await;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let first = gw.submit_ok(&refs[..20]).await;
    let second = gw.submit_ok(&refs[20..]).await;

    let mine = sub_jobs(&gw, &format!("job_type=UPDATE_SERVER_TSVI&job_id={first}&limit=100")).await.json();
    assert_eq!(mine["count"], 20);
    let items = mine["items"].as_array().unwrap();
    assert!(items.iter().all(|s| s["job_id"] == first.as_str()
        && s["job_type"] == "UPDATE_SERVER_TSVI"
        && s["status"] == "WAITING"
        && s["project_id"] == PROJECT));
    let servers: Vec<&str> = items.iter().map(|s| s["job_resource_info"]["resource_id"].as_str().unwrap()).collect();
    assert_eq!(servers, refs[..20]);

    let page = sub_jobs(&gw, &format!("job_id={first}&limit=5&offset=15")).await.json();
    assert_eq!((page["count"].as_u64(), page["items"].as_array().unwrap().len()), (Some(20), 5));
    assert_eq!(page["items"][4]["job_resource_info"]["resource_id"], refs[19]);

    // Without a job id: this run's jobs and the ones from before the gateway started.
    let tsvi = sub_jobs(&gw, "job_type=UPDATE_SERVER_TSVI&limit=100").await.json();
    assert!(tsvi["count"].as_u64().unwrap() > 25);
    let all_types = sub_jobs(&gw, "limit=100").await.json();
    assert!(all_types["count"].as_u64().unwrap() > tsvi["count"].as_u64().unwrap(), "no job_type lists every type");
    let agent = sub_jobs(&gw, "job_type=UPGRADE_ACCESS_AGENT&limit=100").await.json();
    assert!(agent["items"].as_array().unwrap().iter().all(|s| s["job_type"] == "UPGRADE_ACCESS_AGENT"));

    gw.advance(10_000).await;
    let done = sub_jobs(&gw, &format!("job_id={second}&status=SUCCESS")).await.json();
    assert_eq!(done["count"], 5);
    assert_eq!(sub_jobs(&gw, &format!("job_id={second}&status=RUNNING")).await.json()["count"], 0);
    let failed_before = sub_jobs(&gw, "job_type=UPDATE_SERVER_TSVI&status=FAILED&limit=100").await.json();
    let failed: Vec<&Value> = failed_before["items"].as_array().unwrap().iter().collect();
    assert!(!failed.is_empty() && failed.iter().all(|s| s["error_code"].is_string() && s["end_time"].is_string()));
    assert_eq!(sub_jobs(&gw, "job_id=12345").await.json()["count"], 0);
}

#[tokio::test]
async fn list_sub_jobs_rejects_bad_parameters() {
    let gw = Gw::start().await;
    for bad in ["job_type=REBOOT_EVERYTHING", "status=DONE", "limit=0", "limit=101", "offset=-1"] {
        let r = sub_jobs(&gw, bad).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "WKS.0400"), "{bad}");
    }
}

#[tokio::test]
async fn show_job_detail_and_unknown_jobs() {
    let gw = Gw::start().await;
    let r = gw.get(&format!("/v2/{PROJECT}/job/575768277444198400")).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "WKS.0404"));
    let r = gw.get("/v2/ffffffffffffffffffffffffffffffff/job/1").await;
    assert_eq!(r.status, 404);
    let busy = gw.all_servers().await.into_iter().find(|s| s["job_status"] == "RUNNING").unwrap();
    let job = gw.job(busy["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "RUNNING");
    assert_eq!(job["sub_jobs"][0]["job_resource_info"]["resource_id"], busy["id"]);
}
