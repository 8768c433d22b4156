//! ListServers, ShowServer and batch-maint (reference §2, §6, §6.1).

use super::{issues_error, parse_json};
use crate::api::query::Query;
use crate::error::ApiError;
use crate::sim::commands::id_list;
use crate::sim::filters::ServerFilter;
use crate::sim::Simulator;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use std::sync::Arc;
use workspace_tsvi::json::Value;
use workspace_tsvi::model::{AppServer, ListServersResponse};
use workspace_tsvi::validate::validate_maint_request;

pub async fn list_servers(State(sim): State<Arc<Simulator>>, RawQuery(raw): RawQuery) -> Result<Json<ListServersResponse>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let (offset, limit) = (q.offset()?, q.limit()?);
    let filter = ServerFilter {
        server_group_id: q.text("server_group_id"),
        server_name: q.text("server_name"),
        machine_name: q.text("machine_name"),
        ip_addr: q.text("ip_addr"),
        server_id: q.text("server_id"),
        maintain_status: q.boolean("maintain_status")?,
        scaling_auto_create: q.boolean("scaling_auto_create")?,
    };
    let now = sim.now_ms();
    let (count, items) = sim.world().list_servers(&filter, offset, limit, now);
    Ok(Json(ListServersResponse { count: count as u32, items }))
}

pub async fn show_server(State(sim): State<Arc<Simulator>>, Path((_, id)): Path<(String, String)>) -> Result<Json<AppServer>, ApiError> {
    let now = sim.now_ms();
    let world = sim.world();
    let index = world
        .by_id
        .get(&id)
        .copied()
        .ok_or_else(|| ApiError::not_found(format!("The server {} does not exist.", crate::error::quote(&id))))?;
    Ok(Json(world.server_detail(index, now)))
}

pub async fn batch_maint(State(sim): State<Arc<Simulator>>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let value = parse_json(&body)?;
    let issues = validate_maint_request(&value);
    if !issues.is_empty() {
        return Err(issues_error(&issues));
    }
    let ids: Vec<String> = match value.get("items") {
        Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    };
    let on = matches!(value.get("maintain_status"), Some(Value::Bool(true)));
    let now = sim.now_ms();
    match sim.world_mut().set_maintenance(&ids, on, now) {
        Ok(()) => Ok(Json(serde_json::json!({}))),
        Err(unknown) => {
            Err(ApiError::not_found(format!("The servers {} do not exist in this project; nothing was changed.", id_list(&unknown))))
        }
    }
}
