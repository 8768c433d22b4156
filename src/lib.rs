//! workspace-tsvi: change the virtual session IP (TSVI) of Huawei Cloud Workspace APP servers
//! in batches, safely, from Rust, Node and the browser.
//!
//! Data flows one way: input is validated ([`validate`], [`config`]), split into batches
//! ([`batch`]), signed ([`sign`]) and sent through a [`transport::Transport`] by the
//! [`client::Client`]. Everything but `bindings` and `fetch` is plain Rust that tests natively.

pub mod backoff;
pub mod batch;
pub mod client;
pub mod config;
pub mod error;
mod hash;
pub mod json;
pub mod model;
pub mod order;
pub mod pacing;
#[cfg(feature = "rollout")]
pub mod rollout;
pub mod sign;
pub mod text;
pub mod transport;
pub mod url_parts;
pub mod validate;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
mod js_value;

pub use client::Client;
pub use config::ClientConfig;
pub use error::{ApiError, Error};
