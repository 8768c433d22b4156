//! ListServers latency with 100,000 servers: starts `tsvi-gateway --servers 100000` on a
//! free loopback port, then times 200 requests of `limit=100` at offsets spread over the
//! whole list, each from sending to the last byte of the body, over one keep-alive
//! connection. Prints the median and the 95th percentile. `cargo bench -p
//! workspace-tsvi-gateway`; the bar is a median under 5 ms.

#[path = "support/spawn.rs"]
mod spawn;

use spawn::{start_gateway, PROJECT, TOKEN};
use std::time::Instant;

const SERVERS: usize = 100_000;
const REQUESTS: usize = 200;
const WARMUP: usize = 20;

struct Series {
    name: &'static str,
    millis: Vec<f64>,
    bytes: usize,
}

impl Series {
    fn report(mut self) {
        self.millis.sort_by(f64::total_cmp);
        let at = |q: f64| self.millis[((self.millis.len() - 1) as f64 * q).round() as usize];
        let mean = self.millis.iter().sum::<f64>() / self.millis.len() as f64;
        println!(
            "{:<34} n={} median={:.3} ms  p95={:.3} ms  mean={:.3} ms  min={:.3} ms  max={:.3} ms  ({} KB per page)",
            self.name,
            self.millis.len(),
            at(0.5),
            at(0.95),
            mean,
            at(0.0),
            at(1.0),
            self.bytes / self.millis.len() / 1024
        );
    }
}

async fn time(client: &reqwest::Client, base: &str, name: &'static str, query: impl Fn(usize) -> String) -> Series {
    let mut series = Series { name, millis: Vec::with_capacity(REQUESTS), bytes: 0 };
    for i in 0..WARMUP + REQUESTS {
        let url = format!("{base}/v1/{PROJECT}/app-servers?{}", query(i));
        let started = Instant::now();
        let response = client.get(&url).header("X-Auth-Token", TOKEN).send().await.expect("answer");
        assert_eq!(response.status(), 200, "{url}");
        let body = response.bytes().await.expect("body");
        let elapsed = started.elapsed();
        if i >= WARMUP {
            series.millis.push(elapsed.as_secs_f64() * 1000.0);
            series.bytes += body.len();
        }
    }
    series
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let started = Instant::now();
    let (mut child, addr) = start_gateway(SERVERS).await;
    let base = format!("http://{addr}");
    println!("tsvi-gateway with {SERVERS} servers up in {:.0} ms at {base}", started.elapsed().as_secs_f64() * 1000.0);

    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("client");
    let pages = SERVERS / 100;
    let unfiltered = time(&client, &base, "ListServers limit=100", |i| format!("limit=100&offset={}", (i * 379 % pages) * 100)).await;
    let groups: serde_json::Value = serde_json::from_str(
        &client
            .get(format!("{base}/v1/{PROJECT}/app-server-groups"))
            .header("X-Auth-Token", TOKEN)
            .send()
            .await
            .expect("groups")
            .text()
            .await
            .expect("body"),
    )
    .expect("JSON");
    let group = groups["items"][0]["id"].as_str().expect("a group").to_owned();
    let filtered = time(&client, &base, "ListServers limit=100, by group", move |i| {
        format!("limit=100&offset={}&server_group_id={group}", (i * 37 % 100) * 100)
    })
    .await;
    let by_name = time(&client, &base, "ListServers limit=100, name filter", |i| format!("limit=100&server_name=aps-{:02}", i % 100)).await;

    unfiltered.report();
    filtered.report();
    by_name.report();
    child.kill().await.ok();
}
