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
}

impl GatewayConfig {
    /// A simulator on a free loopback port, serving the workspace's `www/` and `pkg/`.
    pub fn simulator(sim: SimulatorConfig) -> Self {
        GatewayConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            www: default_www(),
            pkg: default_pkg(),
            mode: Mode::Simulator(sim),
        }
    }

    /// A proxy on a free loopback port.
    pub fn proxy(proxy: ProxyConfig) -> Self {
        GatewayConfig {
            mode: Mode::Proxy(proxy),
            ..Self::simulator(SimulatorConfig::default())
        }
    }
}
