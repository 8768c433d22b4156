//! The command line. The flag names are a contract: tests, benchmarks and `make demo` use them.

use crate::auth::Credentials;
use crate::config::*;
use crate::proxy::{ProxyConfig, DEFAULT_TIMEOUT_MS};
use crate::sim::state::{Settings, DEFAULT_SESSION_STEP_MS, MAX_GROUPS, MAX_SERVERS};
use clap::builder::TypedValueParser;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use workspace_tsvi::config::{check_endpoint, is_project_id, region_endpoint, REGIONS};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "tsvi-gateway",
    version,
    about = "Local gateway for workspace-tsvi: a faithful Workspace APP simulator (default), or a signing proxy to a real region (--upstream/--region); serves the admin page and the package either way.",
    after_help = "Proxy mode signs with HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID and HUAWEICLOUD_SDK_SECURITY_TOKEN from the environment."
)]
pub struct Cli {
    /// Address to listen on; port 0 picks a free one (the bound address is printed).
    #[arg(long, value_name = "ADDR:PORT", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Project id of the simulated project (32 hex digits).
    #[arg(long, value_name = "ID", default_value = DEFAULT_PROJECT_ID)]
    pub project_id: String,

    /// X-Auth-Token the simulator accepts.
    #[arg(long, value_name = "TOKEN", default_value = DEFAULT_TOKEN)]
    pub token: String,

    /// Access key (AK) the simulator accepts for SDK-HMAC-SHA256.
    #[arg(long, value_name = "AK", default_value = DEFAULT_AK)]
    pub ak: String,

    /// Secret key (SK) of --ak.
    #[arg(long, value_name = "SK", default_value = DEFAULT_SK)]
    pub sk: String,

    /// An X-Auth-Token that may only read: writes answer 403.
    #[arg(long, value_name = "TOKEN")]
    pub readonly_token: Option<String>,

    /// Seed of the simulated data and of the fault draws.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Number of simulated servers (up to 100000).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SERVERS,
          value_parser = clap::value_parser!(u32).range(0..=MAX_SERVERS as i64).map(|n| n as usize))]
    pub servers: usize,

    /// Number of simulated server groups.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_GROUPS,
          value_parser = clap::value_parser!(u32).range(1..=MAX_GROUPS as i64).map(|n| n as usize))]
    pub groups: usize,

    /// How long one server's TSVI update plus reboot takes, in simulated milliseconds.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_JOB_MS)]
    pub job_ms: u64,

    /// Milliseconds added to every API answer.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,

    /// Requests per second per credential (token, or AK of a signed call); past it, 429 APIG.0308. 0 is off.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub rate_limit: u32,

    /// Share of servers whose TSVI update fails, from 0 to 1.
    #[arg(long, value_name = "F", default_value_t = 0.0, value_parser = parse_rate)]
    pub sub_job_failure_rate: f64,

    /// Proxy mode: forward /v1 and /v2 to this endpoint (https://host, or http:// on loopback).
    #[arg(long, value_name = "URL", conflicts_with = "region")]
    pub upstream: Option<String>,

    /// Proxy mode: forward /v1 and /v2 to the Workspace APP endpoint of this region.
    #[arg(long, value_name = "R")]
    pub region: Option<String>,

    /// Proxy mode: how long to wait for the upstream, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TIMEOUT_MS)]
    pub upstream_timeout_ms: u64,

    /// A request head must arrive within this many milliseconds (idle keep-alive connections close after it too).
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_HEAD_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub head_timeout_ms: u64,

    /// Connections served at once; past it, new connections are answered 503 and closed.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    pub max_connections: usize,

    /// Largest API request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_API_BODY)]
    pub max_api_body: usize,

    /// Largest /_sim/ request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_SIM_BODY)]
    pub max_sim_body: usize,

    /// Most batch-update-tsvi requests the simulator's ledger keeps (the oldest go first).
    #[arg(long, value_name = "N", default_value_t = crate::sim::ledger::DEFAULT_LEDGER_MAX)]
    pub ledger_max: usize,

    /// Directory of the page, served at /.
    #[arg(long, value_name = "DIR", default_value_os_t = default_www())]
    pub www: PathBuf,

    /// Directory of the package, served at /pkg/.
    #[arg(long, value_name = "DIR", default_value_os_t = default_pkg())]
    pub pkg: PathBuf,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err("must be a number from 0 to 1".into()),
    }
}

impl Cli {
    /// The upstream of proxy mode, if one was asked for.
    pub fn upstream(&self) -> Result<Option<String>, String> {
        if let Some(region) = &self.region {
            let endpoint = region_endpoint(region).ok_or_else(|| {
                let known: Vec<&str> = REGIONS.iter().map(|(id, _)| *id).collect();
                format!("unknown region {region:?}; known regions: {}", known.join(", "))
            })?;
            return Ok(Some(endpoint.to_owned()));
        }
        match &self.upstream {
            Some(url) => check_endpoint(url, false).map(Some).map_err(|issue| format!("--upstream: {}", issue.message)),
            None => Ok(None),
        }
    }

    /// The configuration to run; proxy mode reads its credentials from the environment.
    pub fn into_config(self) -> Result<GatewayConfig, String> {
        let mode = match self.upstream()? {
            Some(upstream) => Mode::Proxy(ProxyConfig::from_env(upstream, self.upstream_timeout_ms)?),
            None => {
                if !is_project_id(&self.project_id) {
                    return Err("--project-id must be 32 hexadecimal digits".into());
                }
                if self.token.is_empty() || self.ak.is_empty() || self.sk.is_empty() {
                    return Err("--token, --ak and --sk must not be empty".into());
                }
                Mode::Simulator(SimulatorConfig {
                    credentials: Credentials {
                        project_id: self.project_id.to_ascii_lowercase(),
                        token: self.token,
                        readonly_token: self.readonly_token.filter(|t| !t.is_empty()),
                        ak: self.ak,
                        sk: self.sk,
                    },
                    settings: Settings {
                        seed: self.seed,
                        servers: self.servers,
                        groups: self.groups,
                        job_ms: self.job_ms,
                        sub_job_failure_rate: self.sub_job_failure_rate,
                        session_step_ms: DEFAULT_SESSION_STEP_MS,
                    },
                    latency_ms: self.latency_ms,
                    rate_limit: self.rate_limit,
                })
            }
        };
        Ok(GatewayConfig {
            listen: self.listen,
            www: self.www,
            pkg: self.pkg,
            mode,
            limits: Limits {
                head_timeout_ms: self.head_timeout_ms,
                max_connections: self.max_connections,
                max_api_body: self.max_api_body,
                max_sim_body: self.max_sim_body,
                ledger_max: self.ledger_max,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("tsvi-gateway").chain(args.iter().copied()))
    }

    #[test]
    fn defaults() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.listen.to_string(), "127.0.0.1:8780");
        assert_eq!((cli.servers, cli.groups, cli.job_ms), (240, 4, 3000));
        assert_eq!(cli.clone().into_config().unwrap().limits, Limits::default());
        assert!(is_project_id(&cli.project_id));
        assert!(matches!(cli.into_config().unwrap().mode, Mode::Simulator(_)));
    }

    #[test]
    fn bounds_are_enforced() {
        assert!(parse(&["--servers", "100000"]).is_ok());
        assert!(parse(&["--servers", "100001"]).is_err());
        assert!(parse(&["--sub-job-failure-rate", "1.5"]).is_err());
        assert!(parse(&["--upstream", "https://a", "--region", "cn-north-4"]).is_err());
        assert!(parse(&["--project-id", "nope"]).unwrap().into_config().is_err());
        assert!(parse(&["--max-connections", "0"]).is_err());
        assert!(parse(&["--head-timeout-ms", "0"]).is_err());
        let limits =
            parse(&["--max-connections", "8", "--head-timeout-ms", "300", "--ledger-max", "5"]).unwrap().into_config().unwrap().limits;
        assert_eq!((limits.max_connections, limits.head_timeout_ms, limits.ledger_max), (8, 300, 5));
    }

    #[test]
    fn regions_and_upstreams() {
        assert_eq!(
            parse(&["--region", "cn-north-4"]).unwrap().upstream().unwrap().as_deref(),
            Some("https://appstream.cn-north-4.myhuaweicloud.com")
        );
        assert!(parse(&["--region", "mars-1"]).unwrap().upstream().unwrap_err().contains("cn-north-4"));
        assert_eq!(parse(&["--upstream", "http://127.0.0.1:9"]).unwrap().upstream().unwrap().as_deref(), Some("http://127.0.0.1:9"));
        assert!(parse(&["--upstream", "http://example.com"]).unwrap().upstream().is_err());
    }
}
