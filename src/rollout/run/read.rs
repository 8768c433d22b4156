//! Reading servers for the engine: one call each for a few, their groups' listings for many.
//!
//! Invariant: reads are retried only by the client's read policy (never wrapped in a second
//! loop here, so attempts do not multiply), and a server the service says does not exist is
//! told apart from one that could not be read.

use super::Runner;
use crate::error::Error;
use crate::hash::{HashMap, HashSet};
use crate::json::Value;
use crate::rollout::join::join_all;
use crate::rollout::plan::ServerState;
use crate::transport::Transport;

/// Above this many servers, they are read by listing their groups, not one call each.
const LIST_INSTEAD_OF_SHOW: usize = 100;
/// Groups listed at once, each `PAGES_AT_ONCE` pages at a time: at most
/// [`crate::client::MAX_PAGE_CONCURRENCY`] calls in flight. One group after another, the
/// re-read at the start of a 10,000-server run (40 groups) waited out 80 round trips.
const GROUPS_AT_ONCE: usize = 4;
const PAGES_AT_ONCE: usize = 4;
/// Servers read one call each at once: a whole batch (20) in one round trip.
const SHOWS_AT_ONCE: usize = crate::validate::MAX_BATCH_ITEMS;

impl<T: Transport> Runner<'_, T> {
    /// Reads servers; `None` inside means the service says it does not exist, a missing key
    /// means it could not be read. Many servers are read by listing their groups (100 a page)
    /// rather than one call each.
    pub(super) async fn read_servers(&self, ids: &[String]) -> HashMap<String, Option<ServerState>> {
        let mut out = HashMap::default();
        let mut one_by_one: Vec<&String> = ids.iter().collect();
        if ids.len() > LIST_INSTEAD_OF_SHOW {
            // Owned ids: the same set type the rest of the engine uses (one copy in the wasm).
            let wanted: HashSet<String> = ids.iter().cloned().collect();
            let mut groups: Vec<String> = {
                let report = self.report.borrow();
                ids.iter().filter_map(|id| report.plan.snapshot_of(id)?.server_group_id.clone()).collect()
            };
            crate::order::sort_dedup(&mut groups);
            // GROUPS_AT_ONCE lanes, each listing its share of the groups one after another.
            let lanes = (0..GROUPS_AT_ONCE.min(groups.len())).map(|lane| {
                let mine: Vec<&String> = groups.iter().skip(lane).step_by(GROUPS_AT_ONCE).collect();
                let wanted = &wanted;
                async move {
                    let mut found = Vec::new();
                    for group in mine {
                        let filter = Value::Object(vec![("server_group_id".into(), Value::String(group.clone()))]);
                        // Each page is retried by the client's read policy.
                        let listing = self.client.list_all_servers::<ServerState>(Some(&filter), PAGES_AT_ONCE, None, &|_, _| {}).await;
                        found.extend(listing.map(|page| page.items).unwrap_or_default().into_iter().filter(|s| wanted.contains(&s.id)));
                    }
                    found
                }
            });
            for server in join_all(lanes).await.into_iter().flatten() {
                out.insert(server.id.clone(), Some(server));
            }
            // Those not listed (gone, moved to another group, or on a page that failed) are
            // asked one by one.
            one_by_one.retain(|id| !out.contains_key(*id));
        }
        for chunk in one_by_one.chunks(SHOWS_AT_ONCE) {
            // Read straight into the few fields the engine uses, not the whole AppServer.
            let reads =
                chunk.iter().map(|id| async move { (id.to_string(), Self::read(self.client.show_server::<ServerState>(id, None).await)) });
            for (id, result) in join_all(reads).await {
                match result {
                    Ok(server) => {
                        out.insert(id, Some(server));
                    }
                    Err(Error::Api(api)) if api.status == 404 => {
                        out.insert(id, None);
                    }
                    Err(_) => {}
                }
            }
        }
        out
    }

    /// The value of a read (a GET). The client already retries reads on anything that may
    /// pass (429, 5xx, timeouts, network errors) under its read policy, so the engine does not
    /// wrap them in a second loop: attempts would multiply. A plain function on the awaited
    /// result, not an async wrapper: one state machine less per answer type in the wasm.
    pub(super) fn read<R>(answer: Result<crate::client::Answer<R>, Error>) -> Result<R, Error> {
        answer.map(|answer| answer.value)
    }
}
