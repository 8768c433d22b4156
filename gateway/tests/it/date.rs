//! The simulator's `Date` header follows its own clock, `/_sim/clock` offset included.

use crate::common::*;
use serde_json::json;
use workspace_tsvi::sign::{sdk_date_from_unix, unix_from_sdk_date};

/// Milliseconds since the epoch of an IMF-fixdate (`Tue, 02 Jan 2024 03:04:05 GMT`).
fn parse_http_date(text: &str) -> u64 {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let parts: Vec<&str> = text.split(' ').collect();
    assert_eq!(parts.len(), 6, "IMF-fixdate: {text}");
    assert_eq!(parts[5], "GMT", "{text}");
    let month = MONTHS.iter().position(|m| *m == parts[2]).expect("month") + 1;
    let sdk = format!("{}{month:02}{}T{}Z", parts[3], parts[1], parts[4].replace(':', ""));
    unix_from_sdk_date(&sdk).unwrap_or_else(|| panic!("not a date: {text}")) * 1000
}

async fn date_of(gw: &Gw, path: &str) -> u64 {
    let r = gw.get(path).await;
    let dates: Vec<_> = r.headers.get_all("date").iter().collect();
    assert_eq!(dates.len(), 1, "exactly one Date header on {path}");
    parse_http_date(dates[0].to_str().expect("ascii"))
}

#[tokio::test]
async fn the_date_header_follows_the_simulated_clock() {
    let gw = Gw::start().await;
    for offset_min in [20i64, -20, 0] {
        let clock = gw.sim_post("/_sim/clock", json!({"offset_ms": offset_min * 60_000, "paused": true})).await;
        let now = clock["now_ms"].as_u64().expect("now_ms");
        for path in [api("app-servers").as_str(), "/_sim/state", "/config.json", "/no-such-file"] {
            let date = date_of(&gw, path).await;
            assert_eq!(date, now / 1000 * 1000, "{path} at offset {offset_min} min");
        }
        // An error answer too.
        let r = gw.send("GET", &api("app-servers"), &[], None).await;
        assert_eq!(r.status, 401);
        assert_eq!(parse_http_date(r.header("date").expect("Date")), now / 1000 * 1000);
    }
}

#[tokio::test]
async fn signatures_are_checked_against_the_simulated_clock() {
    let gw = Gw::start().await;
    for offset_min in [20i64, -20] {
        gw.sim_post("/_sim/clock", json!({"offset_ms": offset_min * 60_000})).await;
        let wall = sdk_date_from_unix(tsvi_gateway::sim::clock::wall_ms() / 1000);
        let r = gw.signed("GET", &api("app-servers"), &[], "", SK, Some(&wall)).await;
        assert_eq!(r.status, 401, "a wall-clock date is 20 minutes off: {}", r.body);
        assert!(r.error_msg().contains("15 minutes"), "{}", r.body);
        // The date the answer carries is the one to sign with.
        let server_date = parse_http_date(r.header("date").expect("Date"));
        let r = gw.signed("GET", &api("app-servers"), &[], "", SK, Some(&sdk_date_from_unix(server_date / 1000))).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}
