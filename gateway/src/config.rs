//! What a gateway runs with, whether from the command line or from a test.

use crate::auth::Credentials;
use crate::proxy::ProxyConfig;
use crate::sim::state::{Settings, DEFAULT_SESSION_STEP_MS};
use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8780";
pub const DEFAULT_PROJECT_ID: &str = "0a1b2c3d4e5f40718293a4b5c6d7e8f9";
pub const DEFAULT_TOKEN: &str = "demo-token";
pub const DEFAULT_AK: &str = "DEMOAKSIMULATOR00001";
pub const DEFAULT_SK: &str = "demo-secret-key-for-the-simulator-only";
pub const DEFAULT_SERVERS: usize = 240;
pub const DEFAULT_GROUPS: usize = 4;
pub const DEFAULT_JOB_MS: u64 = 3000;

/// A request head (request line and headers) must arrive within this, counted from the
/// connection's start or the end of the previous answer; an idle keep-alive connection is
/// closed after it too.
pub const DEFAULT_HEAD_TIMEOUT_MS: u64 = 10_000;
/// Connections served at once; past it, a new connection is answered 503 and closed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// API request bodies (a 20-item batch is under 2 KB).
pub const DEFAULT_MAX_API_BODY: usize = 64 * 1024;
/// `/_sim/` request bodies.
pub const DEFAULT_MAX_SIM_BODY: usize = 2 * 1024 * 1024;
/// A request head larger than this is refused with 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// A request target longer than this is refused with 414.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// How much a gateway lets its clients take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub head_timeout_ms: u64,
    pub max_connections: usize,
    pub max_api_body: usize,
    pub max_sim_body: usize,
    /// Simulator: the ledger's entries.
    pub ledger_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            head_timeout_ms: DEFAULT_HEAD_TIMEOUT_MS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_api_body: DEFAULT_MAX_API_BODY,
            max_sim_body: DEFAULT_MAX_SIM_BODY,
            ledger_max: crate::sim::ledger::DEFAULT_LEDGER_MAX,
        }
    }
}

/// `www/` and `pkg/` of the workspace this binary was built in.
pub fn default_www() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../www"))
}

pub fn default_pkg() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../pkg"))
}

#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    pub credentials: Credentials,
    pub settings: Settings,
    pub latency_ms: u64,
    /// Requests per second per credential; 0 is off.
    pub rate_limit: u32,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            credentials: Credentials {
                project_id: DEFAULT_PROJECT_ID.into(),
                token: DEFAULT_TOKEN.into(),
                readonly_token: None,
                ak: DEFAULT_AK.into(),
                sk: DEFAULT_SK.into(),
            },
            settings: Settings {
                seed: 1,
                servers: DEFAULT_SERVERS,
                groups: DEFAULT_GROUPS,
                job_ms: DEFAULT_JOB_MS,
                sub_job_failure_rate: 0.0,
                session_step_ms: DEFAULT_SESSION_STEP_MS,
            },
            latency_ms: 0,
            rate_limit: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Mode {
    Simulator(SimulatorConfig),
    Proxy(ProxyConfig),
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub listen: SocketAddr,
    pub www: PathBuf,
    pub pkg: PathBuf,
    pub mode: Mode,
    pub limits: Limits,
}

impl GatewayConfig {
    /// A simulator on a free loopback port, serving the workspace's `www/` and `pkg/`.
    pub fn simulator(sim: SimulatorConfig) -> Self {
        GatewayConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            www: default_www(),
            pkg: default_pkg(),
            mode: Mode::Simulator(sim),
            limits: Limits::default(),
        }
    }

    /// A proxy on a free loopback port.
    pub fn proxy(proxy: ProxyConfig) -> Self {
        GatewayConfig { mode: Mode::Proxy(proxy), ..Self::simulator(SimulatorConfig::default()) }
    }
}
