//! Every `#[wasm_bindgen]` export. This module only converts values between JS and the core
//! modules and decides nothing: the rules live in `validate`, `batch`, `sign`, `client` and
//! `rollout`.
//!
//! - [`convert`]: all JS <-> Rust value conversion (input readers, options, answers, errors);
//! - [`functions`]: the free functions;
//! - [`client`]: the `Client` class;
//! - [`sign_io`]: `signRequest`'s few-crossing reads and result;
//! - `rollout`: the rollout engine's exports (feature `rollout`).

mod client;
mod convert;
mod functions;
#[cfg(feature = "rollout")]
mod rollout;
mod sign_io;

use wasm_bindgen::prelude::*;

// The declarations of every type the exports name: hand-kept files, checked by
// tests/consumers against values the module really produces. The rollout engine's types
// are in their own file, left out of the lean build (`workspace-tsvi/client`) with the engine.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("workspace-tsvi.d.ts");
#[cfg(feature = "rollout")]
#[wasm_bindgen(typescript_custom_section)]
const ROLLOUT_TYPES: &'static str = include_str!("rollout.d.ts");
