//! Every `#[wasm_bindgen]` export. This module only converts values between JS and the core
//! modules and decides nothing: the rules live in `validate`, `batch`, `sign`, `client` and
//! `rollout`.
//!
//! - [`convert`]: all JS <-> Rust value conversion (input readers, options, answers, errors);
//! - [`functions`]: the free functions;
//! - [`client`]: the `Client` class.

mod client;
mod convert;
mod functions;

use wasm_bindgen::prelude::*;

// The declarations of every type the exports name: one hand-kept file, checked by
// tests/consumers against values the module really produces.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("workspace-tsvi.d.ts");
