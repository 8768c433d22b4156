//! The load of issue 9, item 5, shared by `benches/load.rs` (`make bench`) and a tiny-size
//! test in `tests/it/hardening.rs`:
//!
//! - [`run`]: `clients` keep-alive connections doing ListServers, one request after another
//!   with `pause` between, while `slow_clients` connections hold partial request heads. A
//!   latency runs from writing the request to the last byte of the answer (the connection is
//!   made beforehand, untimed);
//! - [`flood`]: `slow_clients` connections with partial heads opened at once, then a fresh
//!   probe connection every 100 ms until one is answered 200.
//!
//! The client speaks HTTP/1.1 on raw sockets (no pool, no client library) so that what is
//! measured is the gateway, and so that the slow clients can stop in the middle of a head.

#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub addr: SocketAddr,
    pub token: String,
    pub project_id: String,
    pub clients: usize,
    pub slow_clients: usize,
    pub requests_per_client: usize,
    /// Between one client's answer and its next request.
    pub pause: Duration,
    /// ListServers `limit`.
    pub limit: usize,
}

#[derive(Debug, Default)]
pub struct LoadReport {
    /// Every ListServers answer that was a 200, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// ListServers calls that failed (not a 200, or a broken connection).
    pub failures: usize,
    /// Slow clients that were holding their partial head when the listing ended.
    pub slow_still_open: usize,
    pub elapsed: Duration,
}

impl LoadReport {
    /// The `q` quantile of the latencies (0.5 the median, 0.99 the p99).
    pub fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return f64::NAN;
        }
        sorted[((sorted.len() - 1) as f64 * q).round() as usize]
    }
}

/// A partial head: a request line and the start of a header, never finished.
fn partial_head(addr: SocketAddr) -> Vec<u8> {
    format!("GET /config.json HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").into_bytes()
}

/// Opens a slow client; `None` when the gateway refused or closed it at once.
async fn open_slow(addr: SocketAddr) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    stream.write_all(&partial_head(addr)).await.ok()?;
    Some(stream)
}

/// Whether a slow client's connection is still open (nothing to read yet).
fn still_open(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 1];
    matches!(stream.try_read(&mut buf), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

/// Reads one answer: its status and the length of its body.
async fn read_answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<(u16, usize)> {
    buf.clear();
    let mut chunk = [0u8; 64 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or(io::ErrorKind::InvalidData)?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or(io::ErrorKind::InvalidData)?;
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok((status, length))
}

fn list_request(plan: &LoadPlan, offset: usize) -> Vec<u8> {
    format!(
        "GET /v1/{}/app-servers?limit={}&offset={offset} HTTP/1.1\r\nHost: {}\r\nX-Auth-Token: {}\r\n\r\n",
        plan.project_id, plan.limit, plan.addr, plan.token
    )
    .into_bytes()
}

/// One listing client: keep-alive, reconnecting after a failure.
async fn list_client(plan: LoadPlan, n: usize) -> (Vec<f64>, usize) {
    let mut latencies = Vec::with_capacity(plan.requests_per_client);
    let mut failures = 0;
    // Connecting is not part of a ListServers call: the first connection is made untimed.
    let mut stream: Option<TcpStream> = match TcpStream::connect(plan.addr).await {
        Ok(s) => s.set_nodelay(true).ok().map(|_| s),
        Err(_) => None,
    };
    let mut buf = Vec::new();
    // Paced clients start spread over one pause, as independent users would, not in lockstep.
    tokio::time::sleep(plan.pause.mul_f64(n as f64 / plan.clients.max(1) as f64)).await;
    for i in 0..plan.requests_per_client {
        let request = list_request(&plan, ((n * 31 + i * 7) % 10) * plan.limit);
        let started = Instant::now();
        let outcome = async {
            if stream.is_none() {
                let s = TcpStream::connect(plan.addr).await?;
                s.set_nodelay(true)?;
                stream = Some(s);
            }
            let s = stream.as_mut().ok_or(io::ErrorKind::NotConnected)?;
            s.write_all(&request).await?;
            read_answer(s, &mut buf).await
        }
        .await;
        match outcome {
            Ok((200, _)) => latencies.push(started.elapsed().as_secs_f64() * 1000.0),
            _ => {
                failures += 1;
                stream = None;
            }
        }
        if !plan.pause.is_zero() {
            tokio::time::sleep(plan.pause).await;
        }
    }
    (latencies, failures)
}

pub async fn run(plan: &LoadPlan) -> io::Result<LoadReport> {
    let mut slow = Vec::with_capacity(plan.slow_clients);
    for _ in 0..plan.slow_clients {
        if let Some(stream) = open_slow(plan.addr).await {
            slow.push(stream);
        }
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..plan.clients).map(|n| tokio::spawn(list_client(plan.clone(), n))).collect();
    let mut report = LoadReport::default();
    for task in tasks {
        let (latencies, failures) = task.await.map_err(io::Error::other)?;
        report.latencies_ms.extend(latencies);
        report.failures += failures;
    }
    report.elapsed = started.elapsed();
    report.slow_still_open = slow.iter().filter(|s| still_open(s)).count();
    Ok(report)
}

#[derive(Debug, Clone)]
pub struct FloodPlan {
    pub addr: SocketAddr,
    pub token: String,
    pub project_id: String,
    pub slow_clients: usize,
    /// The probe gives up after this.
    pub give_up_after: Duration,
}

#[derive(Debug, Default)]
pub struct FloodReport {
    /// Slow clients whose partial head was sent on an open connection.
    pub opened: usize,
    /// How long opening them all took.
    pub arrival: Duration,
    /// From the first slow client's arrival to the first probe answered 200.
    pub recovered_after: Option<Duration>,
    /// Probes answered otherwise (503 past the cap) or not at all.
    pub probes_refused: usize,
}

pub async fn flood(plan: &FloodPlan) -> io::Result<FloodReport> {
    let started = Instant::now();
    let opening: Vec<_> = (0..plan.slow_clients).map(|_| tokio::spawn(open_slow(plan.addr))).collect();
    let mut slow = Vec::with_capacity(plan.slow_clients);
    for task in opening {
        if let Some(stream) = task.await.map_err(io::Error::other)? {
            slow.push(stream);
        }
    }
    let mut report = FloodReport { opened: slow.len(), arrival: started.elapsed(), ..Default::default() };
    let probe = LoadPlan {
        addr: plan.addr,
        token: plan.token.clone(),
        project_id: plan.project_id.clone(),
        clients: 1,
        slow_clients: 0,
        requests_per_client: 1,
        pause: Duration::ZERO,
        limit: 10,
    };
    let mut buf = Vec::new();
    while started.elapsed() < plan.give_up_after {
        let answered = tokio::time::timeout(Duration::from_secs(2), async {
            let mut stream = TcpStream::connect(plan.addr).await?;
            stream.write_all(&list_request(&probe, 0)).await?;
            read_answer(&mut stream, &mut buf).await
        })
        .await;
        if let Ok(Ok((200, _))) = answered {
            report.recovered_after = Some(started.elapsed());
            break;
        }
        report.probes_refused += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(slow);
    Ok(report)
}
