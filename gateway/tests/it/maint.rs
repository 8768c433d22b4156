use crate::common::*;
use serde_json::json;

const STEP: u64 = 20_000;

#[tokio::test]
async fn maintenance_drains_sessions_one_by_one() {
    let gw = Gw::start().await;
    gw.pause().await;
    let id = gw.idle_ids(1).await.remove(0);
    gw.sim_post("/_sim/servers", json!({"id": id, "session_count": 3})).await;
    assert_eq!(gw.server(&id).await["session_count"], 3);

    let r = gw.maint(&[&id], true).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(gw.server(&id).await["maintain_status"], true);
    let listed = gw.list(&format!("maintain_status=true&server_id={id}")).await;
    assert_eq!(listed["count"], 1);

    let mut counts = vec![gw.server(&id).await["session_count"].as_u64().unwrap()];
    for _ in 0..4 {
        gw.advance(STEP).await;
        counts.push(gw.server(&id).await["session_count"].as_u64().unwrap());
    }
    assert_eq!(counts, [3, 2, 1, 0, 0], "no new sessions, one ends per step");

    // Lifted: sessions come back, one per step, up to the server's level.
    assert_eq!(gw.maint(&[&id], false).await.status, 200);
    assert_eq!(gw.server(&id).await["maintain_status"], false);
    gw.advance(2 * STEP).await;
    assert_eq!(gw.server(&id).await["session_count"], 2);
    gw.advance(10 * STEP).await;
    assert_eq!(gw.server(&id).await["session_count"], 3);
}

#[tokio::test]
async fn the_session_step_can_be_changed() {
    let gw = Gw::start().await;
    gw.pause().await;
    gw.sim_post("/_sim/settings", json!({"session_step_ms": 1000})).await;
    let id = gw.idle_ids(1).await.remove(0);
    gw.sim_post("/_sim/servers", json!({"id": id, "session_count": 5, "maintain_status": true})).await;
    gw.advance(2_500).await;
    assert_eq!(gw.server(&id).await["session_count"], 3);
}

#[tokio::test]
async fn batch_maint_checks_its_body_and_ids() {
    let gw = Gw::start().await;
    let id = gw.idle_ids(1).await.remove(0);
    let path = api("app-servers/actions/batch-maint");
    for (body, code) in [
        ("nope".to_string(), "JSON"),
        (json!({"items": [], "maintain_status": true}).to_string(), "items.count"),
        (json!({"items": [id], "maintain_status": "yes"}).to_string(), "maintain_status.not_boolean"),
        (json!({"items": [id]}).to_string(), "maintain_status.missing"),
        (json!({"items": [id, id], "maintain_status": true}).to_string(), "id.duplicate"),
        (json!({"items": [{"id": id}], "maintain_status": true}).to_string(), "id.not_string"),
        (json!({"items": [id], "maintain_status": true, "force": true}).to_string(), "body.unknown_field"),
        (json!({"items": (0..21).map(|i| format!("s{i}")).collect::<Vec<_>>(), "maintain_status": true}).to_string(), "items.count"),
    ] {
        let r = gw.patch(&path, &body).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "WKS.0400"), "{body}");
        assert!(r.error_msg().contains(code), "{code}: {}", r.error_msg());
    }
    let r = gw.maint(&[&id, "00000000-0000-4000-8000-00000000dead"], true).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "WKS.0404"));
    assert_eq!(gw.server(&id).await["maintain_status"], false, "nothing changed");
    let r = gw.send("POST", &path, &[("X-Auth-Token", TOKEN)], Some("{}")).await;
    assert_eq!(r.status, 405);
    assert!(gw.ledger().await.is_empty(), "the ledger is for batch-update-tsvi only");
}
