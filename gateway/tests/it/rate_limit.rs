//! `--rate-limit N` and `/_sim/settings {"rate_limit": N}`: a bucket per credential, 429
//! `APIG.0308` with `Retry-After` past it, and the budget in `X-Apig-RateLimit-*`.

use crate::common::*;
use serde_json::json;

fn budget(r: &Resp) -> (Option<u64>, Option<u64>) {
    let number = |name: &str| r.header(name).map(|v| v.parse::<u64>().expect("a number"));
    (number("x-apig-ratelimit-limit"), number("x-apig-ratelimit-remaining"))
}

/// Calls until one is refused (a bucket of N refills at N per second, so N+1 quick calls
/// suffice unless the machine stalls; a few more keep the test honest on a busy machine).
async fn call_until_throttled(gw: &Gw, headers: &[(&str, &str)]) -> (Vec<Resp>, Resp) {
    let mut passed = Vec::new();
    for _ in 0..20 {
        let r = gw.send("GET", &api("app-servers?limit=1"), headers, None).await;
        if r.status == 429 {
            return (passed, r);
        }
        assert_eq!(r.status, 200, "{}", r.body);
        passed.push(r);
    }
    panic!("never throttled");
}

#[tokio::test]
async fn past_the_limit_calls_get_429_with_retry_after_and_the_budget() {
    let gw = Gw::with(|c| c.rate_limit = 2).await;
    let token = [("X-Auth-Token", TOKEN)];
    let (passed, refused) = call_until_throttled(&gw, &token).await;
    assert!(passed.len() >= 2, "the bucket starts full");
    assert_eq!(budget(&passed[0]), (Some(2), Some(1)));
    assert_eq!(budget(&passed[1]).1, Some(0));
    assert_eq!(passed[0].header("x-apig-ratelimit-user"), Some("remain:1,limit:2,time:1 second"));
    assert!(passed[0].header("x-apig-ratelimit-reset").is_some());

    assert_eq!(refused.error_code(), "APIG.0308");
    assert!(refused.error_msg().starts_with("The request is throttled"), "{}", refused.body);
    let retry_after: u64 = refused.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(budget(&refused), (Some(2), Some(0)));
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));

    // A signed call is another credential, with its own bucket.
    let signed = gw.signed("GET", &api("app-servers"), &[("limit", "1")], "", SK, None).await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert_eq!(budget(&signed), (Some(2), Some(1)));

    // A request without a valid credential is refused as such, never throttled or counted.
    for _ in 0..5 {
        let r = gw.send("GET", &api("app-servers"), &[("X-Auth-Token", "wrong")], None).await;
        assert_eq!(r.status, 401);
        assert_eq!(budget(&r), (None, None));
    }

    // After Retry-After the credential may call again.
    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    let again = gw.send("GET", &api("app-servers?limit=1"), &token, None).await;
    assert_eq!(again.status, 200, "{}", again.body);
}

#[tokio::test]
async fn the_limit_is_off_by_default_and_set_at_runtime() {
    let gw = Gw::start().await;
    let token = [("X-Auth-Token", TOKEN)];
    for _ in 0..30 {
        let r = gw.send("GET", &api("app-servers?limit=1"), &token, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(budget(&r), (None, None), "no budget headers when off");
    }
    assert_eq!(gw.sim_get("/_sim/settings").await["rate_limit"], 0);
    assert_eq!(gw.sim_post("/_sim/settings", json!({"rate_limit": 1})).await["rate_limit"], 1);
    let (passed, refused) = call_until_throttled(&gw, &token).await;
    assert!(!passed.is_empty());
    assert_eq!(refused.error_code(), "APIG.0308");

    // A throttled batch is in the ledger, refused and not applied.
    let ids = ["does-not-matter"];
    let r = gw.submit(&ids).await;
    assert_eq!(r.status, 429, "{}", r.body);
    let ledger = gw.ledger().await;
    let last = ledger.last().expect("an entry");
    assert_eq!((last["status"].as_u64(), last["applied"].as_bool()), (Some(429), Some(false)));
    assert_eq!(last["fault"], "rate_limit");

    gw.sim_post("/_sim/settings", json!({"rate_limit": 0})).await;
    let r = gw.send("GET", &api("app-servers?limit=1"), &token, None).await;
    assert_eq!((r.status, budget(&r)), (200, (None, None)));

    // A reset goes back to the command line's limit (off here).
    gw.sim_post("/_sim/settings", json!({"rate_limit": 5})).await;
    gw.sim_post("/_sim/reset", json!({})).await;
    assert_eq!(gw.sim_get("/_sim/settings").await["rate_limit"], 0);
    let bad = gw.send("POST", "/_sim/settings", &[], Some(r#"{"rate_limit": -1}"#)).await;
    assert_eq!(bad.status, 400);
}
