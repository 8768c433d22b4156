//! Safe rollouts of batch-update-tsvi: plans in waves that respect each server group's
//! `maxUnavailable`, retries that never reboot a server twice, and a report that can resume.

pub mod plan;
pub mod retry;
pub mod report;
pub mod run;

use crate::client::Client;
use crate::error::Error;
use crate::transport::Transport;
use plan::{plan_rollout, GroupState, Plan, RolloutOptions, ServerState};

/// Plans a rollout of `servers`, reading each of their groups with ShowServerGroup: the only
/// call that returns the `ip_virtual` every server of the group will be set to.
pub async fn plan_with_groups<T: Transport>(client: &Client<T>, servers: &[ServerState], options: &RolloutOptions) -> Result<Plan, Error> {
    let mut group_ids: Vec<&str> = servers.iter().filter_map(|s| s.server_group_id.as_deref()).collect();
    group_ids.sort_unstable();
    group_ids.dedup();
    let mut groups = Vec::with_capacity(group_ids.len());
    for id in group_ids {
        groups.push(client.show_server_group::<GroupState>(id, None).await?.value);
    }
    Ok(plan_rollout(servers, &groups, options))
}
