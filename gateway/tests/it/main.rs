//! Integration tests of the gateway: every endpoint and every error case, against gateways
//! started in-process on 127.0.0.1:0 (and the binary itself in `cli`). No test sleeps on
//! real time: the simulated clock is paused and advanced instead.

mod common;

mod auth;
mod batch;
mod cli;
mod date;
mod faults;
mod groups;
mod jobs;
mod maint;
mod proxy;
mod rate_limit;
mod servers;
mod sim_api;
mod static_files;
