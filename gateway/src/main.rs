//! `tsvi-gateway`: see `--help` and gateway/README.md.

use clap::Parser;
use std::process::ExitCode;
use tsvi_gateway::cli::Cli;
use tsvi_gateway::config::{DEFAULT_AK, DEFAULT_SK, DEFAULT_TOKEN};
use tsvi_gateway::{GatewayConfig, Mode};

/// A credential is printed only when it is the built-in demo value.
fn shown(value: &str, default: &str, flag: &str) -> String {
    if value == default {
        value.to_owned()
    } else {
        format!("(set by {flag})")
    }
}

fn banner(config: &GatewayConfig, url: &str) {
    match &config.mode {
        Mode::Simulator(s) => {
            let c = &s.credentials;
            let st = &s.settings;
            println!(
                "tsvi-gateway {}: simulator, {} servers in {} groups (seed {})",
                env!("CARGO_PKG_VERSION"),
                st.servers,
                st.groups,
                st.seed
            );
            println!("  page:           {url}/");
            println!("  project id:     {}", c.project_id);
            println!("  token:          {}   (X-Auth-Token)", shown(&c.token, DEFAULT_TOKEN, "--token"));
            println!("  AK / SK:        {} / {}", c.ak, shown(&c.sk, DEFAULT_SK, "--sk"));
            if c.ak != DEFAULT_AK {
                println!("                  (AK set by --ak)");
            }
            println!(
                "  read-only:      {}",
                if c.readonly_token.is_some() { "a read-only token is set (--readonly-token)" } else { "none" }
            );
            println!("  test control:   {url}/_sim/");
            println!("  job: {} ms per server, failure rate {}, latency {} ms", st.job_ms, st.sub_job_failure_rate, s.latency_ms);
        }
        Mode::Proxy(p) => {
            println!("tsvi-gateway {}: proxy to {}", env!("CARGO_PKG_VERSION"), p.upstream);
            println!("  page:           {url}/   (connect with auth \"the gateway signs\")");
            println!("  signing as AK:  {}… from HUAWEICLOUD_SDK_AK", p.credentials.ak.chars().take(4).collect::<String>());
            println!("  project id:     {}", p.project_id.as_deref().unwrap_or("(HUAWEICLOUD_SDK_PROJECT_ID not set)"));
        }
    }
    if !config.www.join("index.html").is_file() {
        println!("  note: {} has no index.html yet; / answers 404", config.www.display());
    }
    if !config.listen.ip().is_loopback() {
        println!("  warning: listening beyond loopback; anyone who can reach {url} can use it");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.into_config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("tsvi-gateway: {message}");
            return ExitCode::from(2);
        }
    };
    let mut gateway = match tsvi_gateway::start(config.clone()).await {
        Ok(gateway) => gateway,
        Err(e) => {
            eprintln!("tsvi-gateway: cannot listen on {}: {e}", config.listen);
            return ExitCode::from(1);
        }
    };
    let url = gateway.url();
    println!("listening on {url}");
    banner(&config, &url);
    tokio::select! {
        _ = gateway.wait() => ExitCode::from(1),
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
