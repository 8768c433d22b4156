//! `/_sim/`: the test-control API, simulator mode only. No credential is needed (the
//! gateway listens on loopback by default), and nothing here is slowed or faulted.

use crate::error::{codes, ApiError};
use crate::sim::commands::{ServerSeed, SettingsChange, TsviJobTiming};
use crate::sim::faults::FaultConfig;
use crate::sim::state::Settings;
use crate::sim::Simulator;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/_sim", get(index))
        .route("/_sim/", get(index))
        .route("/_sim/state", get(state))
        .route("/_sim/ledger", get(ledger))
        .route("/_sim/faults", get(get_faults).post(set_faults))
        .route("/_sim/clock", get(get_clock).post(set_clock))
        .route("/_sim/reset", post(reset))
        .route("/_sim/servers", post(servers))
        .route("/_sim/settings", get(get_settings).post(set_settings))
        .route("/_sim/{*rest}", axum::routing::any(unknown))
        .with_state(sim)
}

/// Reads a JSON body; an empty body or `null` is the default value.
fn read<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.trim_ascii().is_empty() || body.trim_ascii() == b"null" {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::sim_bad_request(format!("The body is not what this endpoint takes: {e}.")))
}

async fn unknown() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, codes::SIM_NOT_FOUND, "No such test-control endpoint; GET /_sim/ lists them.")
}

async fn index() -> Json<Value> {
    Json(json!({
        "endpoints": {
            "GET /_sim/state": "a summary of the world, the clock, the faults and the ledger",
            "GET /_sim/ledger?since=N": "every batch-update-tsvi request received, in order",
            "GET|POST /_sim/faults": "{latency_ms, p429, p500, p503, p_reset, p_applied_then_500, retry_after_s, seed}",
            "GET|POST /_sim/clock": "{advance_ms, offset_ms, paused}",
            "POST /_sim/reset": "{seed, servers, groups, job_ms, sub_job_failure_rate, session_step_ms}, all optional",
            "POST /_sim/servers": "{id, name, machine_name, description, server_group_id, session_count, maintain_status, vm_status, ip_addr, fail_updates} or a list of them",
            "GET|POST /_sim/settings": "{job_ms, sub_job_failure_rate, session_step_ms, latency_ms, rate_limit}; the answer also has longest_job_ms",
        }
    }))
}

async fn state(State(sim): State<Arc<Simulator>>) -> Json<Value> {
    let now = sim.now_ms();
    let mut summary = sim.world().summary(now);
    let (entries, applied, dropped) = {
        let ledger = sim.ledger();
        (ledger.len(), ledger.applied(), ledger.dropped())
    };
    let faults = sim.faults();
    if let Some(object) = summary.as_object_mut() {
        object.insert("clock".into(), json!(sim.clock.reading()));
        object.insert("latency_ms".into(), json!(sim.base_latency_ms()));
        object.insert("faults".into(), json!({ "config": faults.config(), "injected": faults.counts() }));
        object.insert("ledger".into(), json!({ "entries": entries, "applied": applied, "dropped": dropped }));
    }
    Json(summary)
}

async fn ledger(State(sim): State<Arc<Simulator>>, RawQuery(raw): RawQuery) -> Result<Json<Value>, ApiError> {
    let since = match crate::api::query::Query::parse(raw.as_deref()).text("since") {
        Some(text) => text.parse::<usize>().map_err(|_| ApiError::sim_bad_request("since must be a whole number ≥ 0"))?,
        None => 0,
    };
    let ledger = sim.ledger();
    Ok(Json(json!(ledger.since(since).collect::<Vec<_>>())))
}

async fn get_faults(State(sim): State<Arc<Simulator>>) -> Json<Value> {
    let faults = sim.faults();
    Json(json!({ "config": faults.config(), "injected": faults.counts() }))
}

/// Replaces the whole fault configuration: fields left out are 0 (`retry_after_s`: 1).
async fn set_faults(State(sim): State<Arc<Simulator>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let config: FaultConfig = read(&body)?;
    config.validate().map_err(ApiError::sim_bad_request)?;
    let mut faults = sim.faults();
    faults.set(config);
    Ok(Json(json!({ "config": faults.config(), "injected": faults.counts() })))
}

async fn get_clock(State(sim): State<Arc<Simulator>>) -> Json<Value> {
    Json(json!(sim.clock.reading()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    /// Sets the simulated time to wall time plus this.
    offset_ms: Option<i64>,
    /// Then jumps forward by this.
    advance_ms: Option<u64>,
    /// Then stops or restarts the flow of time.
    paused: Option<bool>,
}

async fn set_clock(State(sim): State<Arc<Simulator>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let request: ClockRequest = read(&body)?;
    if let Some(offset) = request.offset_ms {
        sim.clock.set_offset(offset);
    }
    if let Some(advance) = request.advance_ms {
        sim.clock.advance(advance);
    }
    if let Some(paused) = request.paused {
        sim.clock.set_paused(paused);
    }
    Ok(Json(json!(sim.clock.reading())))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    seed: Option<u64>,
    servers: Option<usize>,
    groups: Option<usize>,
    job_ms: Option<u64>,
    sub_job_failure_rate: Option<f64>,
    session_step_ms: Option<u64>,
}

/// Back to the seeded initial state; the fields given replace the command line's settings
/// for this world only (a later reset without them goes back to the command line's).
async fn reset(State(sim): State<Arc<Simulator>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let r: ResetRequest = read(&body)?;
    let base = sim.initial_settings().clone();
    let settings = Settings {
        seed: r.seed.unwrap_or(base.seed),
        servers: r.servers.unwrap_or(base.servers),
        groups: r.groups.unwrap_or(base.groups),
        job_ms: r.job_ms.unwrap_or(base.job_ms),
        sub_job_failure_rate: r.sub_job_failure_rate.unwrap_or(base.sub_job_failure_rate),
        session_step_ms: r.session_step_ms.unwrap_or(base.session_step_ms),
    };
    settings.check().map_err(ApiError::sim_bad_request)?;
    sim.reset(settings.clone());
    Ok(Json(json!({ "settings": settings, "clock": sim.clock.reading() })))
}

async fn servers(State(sim): State<Arc<Simulator>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let value: Value = read(&body)?;
    let seeds: Vec<ServerSeed> = match value {
        Value::Array(list) => list.into_iter().map(serde_json::from_value).collect::<Result<_, _>>(),
        Value::Null => Ok(Vec::new()),
        single => serde_json::from_value(single).map(|s| vec![s]),
    }
    .map_err(|e| ApiError::sim_bad_request(format!("Each server must be an object with known fields: {e}.")))?;
    let now = sim.now_ms();
    let mut world = sim.world_mut();
    let mut changed = Vec::with_capacity(seeds.len());
    for seed in seeds {
        let index = world.upsert_server(seed, now).map_err(ApiError::sim_bad_request)?;
        changed.push(index);
    }
    let views: Vec<_> = changed.into_iter().map(|i| world.server_view(i, now)).collect();
    Ok(Json(json!(views)))
}

fn settings_view(sim: &Simulator) -> Value {
    let world = sim.world();
    json!({
        "job_ms": world.settings.job_ms,
        "longest_job_ms": TsviJobTiming::new(world.settings.job_ms).longest_ms(),
        "sub_job_failure_rate": world.settings.sub_job_failure_rate,
        "session_step_ms": world.settings.session_step_ms,
        "latency_ms": sim.base_latency_ms(),
        "rate_limit": sim.rate_limit(),
    })
}

async fn get_settings(State(sim): State<Arc<Simulator>>) -> Json<Value> {
    Json(settings_view(&sim))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsRequest {
    job_ms: Option<u64>,
    sub_job_failure_rate: Option<f64>,
    session_step_ms: Option<u64>,
    latency_ms: Option<u64>,
    /// Requests per second per credential; 0 turns the limit off.
    rate_limit: Option<u32>,
}

/// Changes how new jobs run and how fast sessions move, without resetting the world.
async fn set_settings(State(sim): State<Arc<Simulator>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let r: SettingsRequest = read(&body)?;
    if r.latency_ms.is_some_and(|l| l > 60_000) {
        return Err(ApiError::sim_bad_request("latency_ms must be at most 60000"));
    }
    let change = SettingsChange { job_ms: r.job_ms, sub_job_failure_rate: r.sub_job_failure_rate, session_step_ms: r.session_step_ms };
    let now = sim.now_ms();
    sim.world_mut().change_settings(&change, now).map_err(ApiError::sim_bad_request)?;
    if let Some(latency) = r.latency_ms {
        sim.set_base_latency_ms(latency);
    }
    if let Some(rate) = r.rate_limit {
        sim.set_rate_limit(rate);
    }
    Ok(Json(settings_view(&sim)))
}
