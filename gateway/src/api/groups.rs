//! ListServerGroups and ShowServerGroup (reference §3, §4). Only ShowServerGroup returns
//! `ip_virtual`, as on the real service.

use crate::api::query::Query;
use crate::error::{quote, ApiError};
use crate::sim::filters::GroupFilter;
use crate::sim::Simulator;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use std::sync::Arc;
use workspace_tsvi::model::{ListServerGroupsResponse, ServerGroup};

pub async fn list_groups(State(sim): State<Arc<Simulator>>, RawQuery(raw): RawQuery) -> Result<Json<ListServerGroupsResponse>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let (offset, limit) = (q.offset()?, q.limit()?);
    let filter = GroupFilter {
        server_group_name: q.text("server_group_name"),
        server_group_id: q.text("server_group_id"),
        app_type: q.text("app_type"),
        tags: q.text("tags"),
        enterprise_project_id: q.text("enterprise_project_id"),
        is_secondary_server_group: q.boolean("is_secondary_server_group")?,
    };
    if let Some(app_type) = &filter.app_type {
        if app_type != "SESSION_DESKTOP_APP" && app_type != "COMMON_APP" {
            return Err(ApiError::bad_request(format!(
                "The parameter app_type must be SESSION_DESKTOP_APP or COMMON_APP, not {}.",
                quote(app_type)
            )));
        }
    }
    let (count, items) = sim.world().list_groups(&filter, offset, limit);
    Ok(Json(ListServerGroupsResponse { count: count as u32, items }))
}

pub async fn show_group(State(sim): State<Arc<Simulator>>, Path((_, id)): Path<(String, String)>) -> Result<Json<ServerGroup>, ApiError> {
    let world = sim.world();
    let index = world.group_index(&id).ok_or_else(|| ApiError::not_found(format!("The server group {} does not exist.", quote(&id))))?;
    Ok(Json(world.group_view(index, true)))
}
