use crate::common::*;

#[tokio::test]
async fn list_groups_pages_and_hides_ip_virtual() {
    let gw = Gw::start().await;
    let r = gw.get(&api("app-server-groups")).await;
    assert_eq!(r.status, 200);
    let page = r.json();
    assert_eq!(page["count"], 4);
    let groups = page["items"].as_array().unwrap();
    assert_eq!(groups.len(), 4);
    assert!(groups.iter().all(|g| g.get("ip_virtual").is_none()), "only ShowServerGroup returns ip_virtual");
    assert!(groups.iter().filter(|g| g["os_type"] == "Windows").count() >= 3, "mostly Windows");
    let total: u64 = groups.iter().map(|g| g["app_server_count"].as_u64().unwrap()).sum();
    assert_eq!(total, 240);

    let first = gw.get(&format!("{}?limit=1&offset=1", api("app-server-groups"))).await.json();
    assert_eq!((first["count"].as_u64(), first["items"][0]["id"].clone()), (Some(4), groups[1]["id"].clone()));
    for bad in ["limit=0", "limit=101", "offset=-3", "is_secondary_server_group=maybe", "app_type=GAME"] {
        let r = gw.get(&format!("{}?{bad}", api("app-server-groups"))).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "WKS.0400"), "{bad}");
    }
}

#[tokio::test]
async fn group_filters() {
    let gw = Gw::start().await;
    let groups = gw.get(&api("app-server-groups")).await.json()["items"].as_array().unwrap().clone();
    let name = groups[2]["name"].as_str().unwrap();
    let q = |query: String| {
        let gw = &gw;
        async move { gw.get(&format!("{}?{query}", api("app-server-groups"))).await.json() }
    };
    assert_eq!(q(format!("server_group_name={}", &name[..5])).await["items"][0]["name"], name);
    assert_eq!(q(format!("server_group_id={}", groups[1]["id"].as_str().unwrap())).await["count"], 1);
    let desktop = q("app_type=SESSION_DESKTOP_APP".into()).await;
    assert!(desktop["items"].as_array().unwrap().iter().all(|g| g["app_type"] == "SESSION_DESKTOP_APP"));
    assert_eq!(q("is_secondary_server_group=true".into()).await["count"], 0);
    assert_eq!(q("is_secondary_server_group=false".into()).await["count"], 4);
    assert_eq!(q("enterprise_project_id=0".into()).await["count"], 4);
    assert_eq!(q("enterprise_project_id=other".into()).await["count"], 0);
    assert_eq!(q("tags=department".into()).await["count"], 4);
}

#[tokio::test]
async fn show_group_has_ip_virtual() {
    let gw = Gw::start().await;
    let groups = gw.get(&api("app-server-groups")).await.json()["items"].as_array().unwrap().clone();
    let mut seen = Vec::new();
    for g in &groups {
        let shown = gw.get(&api(&format!("app-server-groups/{}", g["id"].as_str().unwrap()))).await;
        assert_eq!(shown.status, 200);
        let shown = shown.json();
        assert_eq!(shown["name"], g["name"]);
        seen.push(shown["ip_virtual"]["enable"].as_bool().expect("ip_virtual.enable"));
        assert!(shown["route_policy"].is_object());
    }
    assert!(seen.contains(&true) && seen.contains(&false), "{seen:?}");
    let r = gw.get(&api("app-server-groups/no-such-group")).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "WKS.0404"));
}
