//! The binary itself: flags, the printed address, exit codes.

use crate::common::*;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tsvi-gateway");

#[tokio::test]
async fn help_lists_every_flag() {
    let out = Command::new(BIN).arg("--help").output().await.unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--project-id",
        "--token",
        "--ak",
        "--sk",
        "--readonly-token",
        "--seed",
        "--servers",
        "--groups",
        "--job-ms",
        "--latency-ms",
        "--sub-job-failure-rate",
        "--upstream",
        "--region",
        "--www",
        "--pkg",
        "--rate-limit",
        "--head-timeout-ms",
        "--max-connections",
        "--max-api-body",
        "--max-sim-body",
        "--ledger-max",
        "--help",
    ] {
        assert!(help.contains(flag), "{flag} in --help");
    }
}

#[tokio::test]
async fn prints_the_bound_address_and_serves() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--servers", "12", "--seed", "9", "--token", "cli-test-token", "--sk", "cli-secret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let url = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push(line.clone());
            if let Some(url) = line.strip_prefix("listening on ") {
                return url.to_owned();
            }
        }
        panic!("no address printed: {printed:?}");
    })
    .await
    .expect("starts within 20 s");
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");
    // The banner follows; the user's own secrets are not printed.
    for _ in 0..4 {
        if let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_secs(2), lines.next_line()).await {
            printed.push(line);
        }
    }
    let banner = printed.join("\n");
    assert!(banner.contains(PROJECT) && !banner.contains("cli-secret") && !banner.contains("cli-test-token"), "{banner}");

    let page =
        reqwest::Client::new().get(format!("{url}{}", api("app-servers"))).header("X-Auth-Token", "cli-test-token").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page: serde_json::Value = serde_json::from_str(&page.text().await.unwrap()).unwrap();
    assert_eq!(page["count"], 12);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn bad_flags_exit_with_status_2() {
    for args in [
        vec!["--project-id", "not-hex"],
        vec!["--servers", "100001"],
        vec!["--sub-job-failure-rate", "2"],
        vec!["--region", "mars-1"],
        vec!["--upstream", "http://example.com"],
        vec!["--upstream", "https://a.example", "--region", "cn-north-4"],
    ] {
        let out = Command::new(BIN).args(&args).env_remove("HUAWEICLOUD_SDK_AK").output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--region", "cn-north-4"])
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HUAWEICLOUD_SDK_AK"));
}
