use crate::common::*;
use serde_json::Value;
use std::collections::HashSet;

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_default_page_has_ten_realistic_servers() {
    let gw = Gw::start().await;
    let r = gw.get(&api("app-servers")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.request_id().len(), 36);
    let page = r.json();
    assert_eq!(page["count"], 240);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    let s = &items[0];
    for field in [
        "id",
        "name",
        "machine_name",
        "server_group_id",
        "server_group_name",
        "status",
        "vm_status",
        "create_time",
        "os_type",
        "availability_zone",
    ] {
        assert!(s[field].is_string(), "{field} in {s}");
    }
    assert!(s["flavor"]["id"].is_string());
    assert!(s["maintain_status"].is_boolean() && s["session_count"].is_u64());
    assert!(s["host_address"][0]["addr"].as_str().unwrap().starts_with("10."));
    assert_eq!(s["host_address"][0]["OS-EXT-IPS:type"], "fixed");
    assert!(s.get("ip_virtual").is_none(), "AppServer has no virtual-IP field");
    let id = s["id"].as_str().unwrap();
    assert!(id.len() == 36 && id.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
}

#[tokio::test]
async fn pages_cover_every_server_once_in_id_order() {
    let gw = Gw::start().await;
    let all = gw.all_servers().await;
    let listed: Vec<&str> = all.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 240);
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "sorted by id, no duplicates");
    let page = gw.list("limit=100&offset=200").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 40);
    let past = gw.list("limit=5&offset=240").await;
    assert_eq!((past["count"].as_u64(), past["items"].as_array().unwrap().len()), (Some(240), 0));
    assert_eq!(listed[..3], ids(&gw.list("limit=3").await)[..]);
}

#[tokio::test]
async fn the_world_is_a_function_of_the_seed() {
    let a = Gw::with(|c| c.settings.seed = 7).await;
    let b = Gw::with(|c| c.settings.seed = 7).await;
    let c = Gw::with(|c| c.settings.seed = 8).await;
    let names = |v: Vec<Value>| v.iter().map(|s| (s["id"].clone(), s["name"].clone())).collect::<Vec<_>>();
    let (na, nb, nc) = (names(a.all_servers().await), names(b.all_servers().await), names(c.all_servers().await));
    assert_eq!(na, nb);
    assert_ne!(na, nc);
}

#[tokio::test]
async fn the_world_has_every_kind_of_server() {
    let gw = Gw::start().await;
    let all = gw.all_servers().await;
    let count = |pred: &dyn Fn(&Value) -> bool| all.iter().filter(|s| pred(s)).count();
    assert!(count(&|s| s["vm_status"] == "ACTIVE") > 200, "most are ACTIVE");
    assert!(count(&|s| s["vm_status"] == "SHUTOFF") >= 5);
    assert!(count(&|s| s["maintain_status"] == true) >= 1);
    assert!(count(&|s| s["job_status"] == "RUNNING") >= 1, "a few have a job running");
    assert!(count(&|s| s["task_status"] == "updating_tsvi_failed") >= 1);
    assert!(count(&|s| s["session_count"] == 0) >= 10 && count(&|s| s["session_count"].as_u64() > Some(0)) >= 100);
}

#[tokio::test]
async fn limit_and_offset_are_checked() {
    let gw = Gw::start().await;
    for query in ["limit=0", "limit=101", "limit=abc", "limit=1.5", "offset=-1", "offset=x", "maintain_status=yes", "scaling_auto_create=1"]
    {
        let r = gw.get(&format!("{}?{query}", api("app-servers"))).await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.error_code(), "WKS.0400");
        let param = query.split('=').next().unwrap();
        assert!(r.error_msg().contains(param), "the message names {param}: {}", r.error_msg());
    }
    assert_eq!(gw.list("limit=100&offset=0").await["items"].as_array().unwrap().len(), 100);
    assert_eq!(gw.list("limit=1").await["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_filter_works() {
    let gw = Gw::start().await;
    let all = gw.all_servers().await;
    let sample = &all[17];

    let group = sample["server_group_id"].as_str().unwrap();
    let in_group = gw.list(&format!("limit=100&server_group_id={group}")).await;
    let expected = all.iter().filter(|s| s["server_group_id"] == group).count();
    assert_eq!(in_group["count"], expected);
    assert!(in_group["items"].as_array().unwrap().iter().all(|s| s["server_group_id"] == group));
    assert_eq!(gw.list("server_group_id=no-such-group").await["count"], 0);

    let name = sample["name"].as_str().unwrap();
    let by_name = gw.list(&format!("server_name={}", &name[name.len() - 6..].to_uppercase())).await;
    assert!(ids(&by_name).contains(&sample["id"].as_str().unwrap().to_owned()), "partial, case-insensitive");

    let machine = sample["machine_name"].as_str().unwrap();
    let by_machine = gw.list(&format!("machine_name={}", &machine[2..])).await;
    assert!(ids(&by_machine).contains(&sample["id"].as_str().unwrap().to_owned()));

    let ip = sample["host_address"][0]["addr"].as_str().unwrap();
    let by_ip = gw.list(&format!("ip_addr={ip}")).await;
    assert!(by_ip["items"].as_array().unwrap().iter().all(|s| s["host_address"][0]["addr"].as_str().unwrap().contains(ip)));
    assert!(ids(&by_ip).contains(&sample["id"].as_str().unwrap().to_owned()));

    let by_id = gw.list(&format!("server_id={}", sample["id"].as_str().unwrap())).await;
    assert_eq!((by_id["count"].as_u64(), ids(&by_id)), (Some(1), vec![sample["id"].as_str().unwrap().to_owned()]));
    assert_eq!(gw.list("server_id=nope").await["count"], 0);

    let maint = gw.list("limit=100&maintain_status=true").await;
    assert_eq!(maint["count"], all.iter().filter(|s| s["maintain_status"] == true).count());
    let not_maint = gw.list("maintain_status=false").await;
    assert_eq!(maint["count"].as_u64().unwrap() + not_maint["count"].as_u64().unwrap(), 240);

    let auto = gw.list("limit=100&scaling_auto_create=true").await;
    assert_eq!(auto["count"], all.iter().filter(|s| s["scaling_auto_create"] == true).count());

    let combined = gw.list(&format!("limit=100&server_group_id={group}&maintain_status=false")).await;
    assert_eq!(combined["count"], all.iter().filter(|s| s["server_group_id"] == group && s["maintain_status"] == false).count());

    let spaced = gw.list("server_name=%20no%20such%20name").await;
    assert_eq!(spaced["count"], 0);
}

#[tokio::test]
async fn show_server_and_unknown_ids() {
    let gw = Gw::start().await;
    let first = gw.list("limit=1").await["items"][0].clone();
    let id = first["id"].as_str().unwrap();
    let shown = gw.server(id).await;
    assert_eq!(shown["id"], id);
    assert_eq!(shown["name"], first["name"]);
    assert!(shown["addresses"].is_object(), "ShowServer adds the detail fields");
    let r = gw.get(&api("app-servers/00000000-0000-4000-8000-000000000000")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "WKS.0404");
    let ids: HashSet<String> = gw.all_servers().await.iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.contains(id));
}

#[tokio::test]
async fn unknown_apis_and_unknown_projects() {
    let gw = Gw::start().await;
    let r = gw.get(&api("no-such-resource")).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "APIGW.0101"));
    let r = gw.send("GET", &api("no-such-resource"), &[], None).await;
    assert_eq!(r.status, 404, "an API that does not exist is refused before authentication");
    let r = gw.get("/v1/ffffffffffffffffffffffffffffffff/app-servers").await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "WKS.0404"));
    assert!(r.error_msg().contains("project"));
}
