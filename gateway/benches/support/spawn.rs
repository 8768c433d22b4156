//! Starts the release `tsvi-gateway` on a free loopback port for a bench, and keeps draining
//! its output so that it never blocks on a full pipe.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const TOKEN: &str = "bench-token";
pub const PROJECT: &str = "0a1b2c3d4e5f40718293a4b5c6d7e8f9";

/// The gateway on the simulator with `servers` servers, and the address it listens on.
pub async fn start_gateway(servers: usize) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsvi-gateway"))
        .args(["--listen", "127.0.0.1:0", "--servers", &servers.to_string(), "--token", TOKEN, "--project-id", PROJECT])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the gateway binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("listening on http://") {
                return url.parse().expect("an address");
            }
        }
        panic!("the gateway printed no address");
    })
    .await
    .expect("the gateway is up within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}
