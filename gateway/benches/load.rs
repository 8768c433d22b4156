//! Issue 9, item 5: the gateway under slow and greedy clients. Starts the release
//! `tsvi-gateway` (2,000 servers, the default limits: 10 s head timeout, 1,024 connections),
//! then measures:
//!
//! 1. 400 keep-alive clients doing ListServers (`limit=100`) while 400 slow clients hold
//!    partial request heads: the ListServers latencies (p50, p99), failures, and how many
//!    slow clients were still held. (a) each client makes one call a second (the clients'
//!    starts spread over that second), 400 calls/s offered; (b) each client calls back to back, which saturates the 2 cores it shares with
//!    the gateway;
//! 2. on a fresh gateway, 5,000 slow clients at once (past the cap), then a new client every
//!    100 ms: how long until one is answered 200 again, counted from the flood's start.
//!
//! `make bench`, or `CARGO_PROFILE_BENCH_PANIC=unwind cargo bench -p workspace-tsvi-gateway --bench load`.
//! `LOAD_REQUESTS` (default 20) sets the ListServers calls per client.

#[path = "support/load.rs"]
mod load;

#[path = "support/spawn.rs"]
mod spawn;

use spawn::{start_gateway, PROJECT, TOKEN};
use std::time::Duration;

#[tokio::main]
async fn main() {
    let requests: usize = std::env::var("LOAD_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);

    let (mut child, addr) = start_gateway(2000).await;
    for (label, pause) in
        [("1a. each client one call a second", Duration::from_secs(1)), ("1b. each client back to back (saturated)", Duration::ZERO)]
    {
        let plan = load::LoadPlan {
            addr,
            token: TOKEN.into(),
            project_id: PROJECT.into(),
            clients: 400,
            slow_clients: 400,
            requests_per_client: requests,
            pause,
            limit: 100,
        };
        let report = load::run(&plan).await.expect("load runs");
        println!(
            "{label}: 400 clients x {requests} ListServers (limit=100 of 2,000 servers) beside 400 slow clients: \
             p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} answered 200, {} failed; {:.0} calls/s over {:.1} s; \
             slow clients still held at the end: {}/400",
            report.quantile(0.5),
            report.quantile(0.99),
            report.quantile(1.0),
            report.latencies_ms.len(),
            report.failures,
            report.latencies_ms.len() as f64 / report.elapsed.as_secs_f64(),
            report.elapsed.as_secs_f64(),
            report.slow_still_open,
        );
    }
    child.kill().await.ok();

    let (mut child, addr) = start_gateway(2000).await;
    let flood = load::flood(&load::FloodPlan {
        addr,
        token: TOKEN.into(),
        project_id: PROJECT.into(),
        slow_clients: 5_000,
        give_up_after: Duration::from_secs(60),
    })
    .await
    .expect("flood runs");
    match flood.recovered_after {
        Some(after) => println!(
            "2. 5,000 slow clients at once (cap 1,024, head timeout 10 s): {} partial heads sent in {:.1} s; \
             a new client was answered 200 again {:.1} s after the flood began ({} probes refused before)",
            flood.opened,
            flood.arrival.as_secs_f64(),
            after.as_secs_f64(),
            flood.probes_refused
        ),
        None => println!("2. 5,000 slow clients: NOT answered again within 60 s ({flood:?})"),
    }
    child.kill().await.ok();
}
