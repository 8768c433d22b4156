//! workspace-tsvi-gateway: the local gateway of workspace-tsvi.
//!
//! In simulator mode (the default) it answers the Workspace APP API the way the real service
//! does, from a deterministic simulated project, and offers a test-control API at `/_sim/`.
//! In proxy mode it forwards the API to a real region and signs the calls itself. In both
//! modes it serves the admin page (`www/`), the package (`pkg/`) and `/config.json`.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod conn;
pub mod error;
pub mod gate;
pub mod http;
pub mod proxy;
pub mod server;
pub mod sim;
pub mod sim_api;
pub mod static_files;

pub use config::{GatewayConfig, Mode, SimulatorConfig};
pub use server::{start, Gateway};
