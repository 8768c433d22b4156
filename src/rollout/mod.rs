//! Safe rollouts of batch-update-tsvi: plans in waves that respect each server group's
//! `maxUnavailable`, retries that never reboot a server twice, and a report that can resume.

mod join;
pub mod plan;
pub mod report;
pub mod retry;
pub mod run;

use crate::hash::HashMap;
use std::cell::OnceCell;

/// Positions of items by id, built on first use, so that lookups in reports of tens of
/// thousands of servers stay constant-time. It is not data: serde skips it, and it never makes
/// two values unequal. The lists it indexes are never resized after they are built; a stale
/// hit is still caught by checking the id.
#[derive(Debug, Clone, Default)]
pub struct IdIndex(OnceCell<HashMap<String, usize>>);

impl PartialEq for IdIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl IdIndex {
    pub fn position<T>(&self, items: &[T], id_of: impl Fn(&T) -> &str, id: &str) -> Option<usize> {
        let map = self.0.get_or_init(|| items.iter().enumerate().map(|(i, item)| (id_of(item).to_owned(), i)).collect());
        match map.get(id) {
            Some(&i) if items.get(i).is_some_and(|item| id_of(item) == id) => Some(i),
            _ => items.iter().position(|item| id_of(item) == id),
        }
    }
}

use crate::client::Client;
use crate::error::Error;
use crate::transport::Transport;
use plan::{plan_rollout, GroupState, Plan, RolloutOptions, ServerState};

/// Groups read at once while planning.
const GROUPS_AT_ONCE: usize = 8;

/// Plans a rollout of `servers`, reading each of their groups with ShowServerGroup: the only
/// call that returns the `ip_virtual` every server of the group will be set to.
pub async fn plan_with_groups<T: Transport>(client: &Client<T>, servers: &[ServerState], options: &RolloutOptions) -> Result<Plan, Error> {
    let mut group_ids: Vec<&str> = servers.iter().filter_map(|s| s.server_group_id.as_deref()).collect();
    crate::order::sort_dedup(&mut group_ids);
    // GROUPS_AT_ONCE lanes, each reading its share one after another: a page planning 8 groups
    // waited 8 round trips when they were read in turn.
    let lanes = (0..GROUPS_AT_ONCE.min(group_ids.len())).map(|lane| {
        let mine: Vec<&str> = group_ids.iter().copied().skip(lane).step_by(GROUPS_AT_ONCE).collect();
        async move {
            let mut read = Vec::with_capacity(mine.len());
            for id in mine {
                read.push(client.show_server_group::<GroupState>(id, None).await?.value);
            }
            Ok::<_, Error>(read)
        }
    });
    let mut groups = Vec::with_capacity(group_ids.len());
    for lane in join::join_all(lanes).await {
        groups.extend(lane?);
    }
    Ok(plan_rollout(servers, &groups, options))
}

#[cfg(test)]
mod tests {
    use super::IdIndex;

    #[test]
    fn the_index_finds_ids_and_survives_a_stale_list() {
        let index = IdIndex::default();
        let mut items = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(index.position(&items, |s| s, "b"), Some(1));
        assert_eq!(index.position(&items, |s| s, "z"), None);
        items.swap(0, 2); // the index is now stale: the id check catches it
        assert_eq!(index.position(&items, |s| s, "c"), Some(0));
        assert_eq!(index, IdIndex::default(), "never makes two values unequal");
    }
}
