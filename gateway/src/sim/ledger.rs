//! Every batch-update-tsvi request the simulator received, in order, for tests to check that
//! no server was applied twice and nothing was lost (`GET /_sim/ledger`).

use super::commands::AppliedItem;
use serde::Serialize;
use std::collections::VecDeque;
use workspace_tsvi::validate::MAX_BATCH_ITEMS;

/// `--ledger-max`: how many entries are kept by default.
pub const DEFAULT_LEDGER_MAX: usize = 100_000;

/// The entries of the authenticated batch-update-tsvi requests, oldest first, at most `max`
/// of them: past it the oldest are dropped (and counted). Entries hold ids, never bodies.
#[derive(Debug)]
pub struct Ledger {
    entries: VecDeque<LedgerEntry>,
    max: usize,
    next_seq: usize,
    dropped: usize,
}

impl Ledger {
    pub fn new(max: usize) -> Self {
        Ledger { entries: VecDeque::new(), max, next_seq: 0, dropped: 0 }
    }

    /// Appends an entry and gives it the next `seq`.
    pub fn push(&mut self, mut entry: LedgerEntry) {
        if self.max == 0 {
            self.dropped += 1;
            return;
        }
        while self.entries.len() >= self.max {
            self.entries.pop_front();
            self.dropped += 1;
        }
        entry.seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push_back(entry);
    }

    /// The entries with `seq >= since`, in order.
    pub fn since(&self, since: usize) -> impl Iterator<Item = &LedgerEntry> {
        let first = self.entries.front().map_or(0, |e| e.seq);
        self.entries.iter().skip(since.saturating_sub(first))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries dropped because the ledger was full.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    pub fn applied(&self) -> usize {
        self.entries.iter().filter(|e| e.applied).count()
    }

    /// Empties the ledger and gives its memory back.
    pub fn clear(&mut self) {
        *self = Ledger::new(self.max);
    }

    /// The entries it has room for without growing (0 after `clear`).
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerEntry {
    /// Position in the ledger, from 0; `GET /_sim/ledger?since=N` starts there.
    pub seq: usize,
    /// Simulated time the request was answered, `2024-01-02T03:04:05.678Z`.
    pub at: String,
    pub at_ms: u64,
    pub request_id: String,
    /// The status answered; 0 when the connection was dropped without an answer.
    pub status: u16,
    /// The ids in the request body as far as it could be read: at most the 20 a batch may
    /// hold (a refused body may list more; see `ids_omitted`).
    pub ids: Vec<String>,
    /// How many more ids the refused body listed than `ids` keeps.
    #[serde(skip_serializing_if = "is_zero")]
    pub ids_omitted: usize,
    /// Whether a job was created: true exactly when the servers will be updated.
    pub applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The injected fault, if any: 429, 500, 503, reset, applied_then_500, applied_then_reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    /// Applied entries: each server's requested and effective `enable`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<AppliedItem>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// At most [`MAX_BATCH_ITEMS`] ids, and how many were left out.
pub fn capped_ids(mut ids: Vec<String>) -> (Vec<String>, usize) {
    let omitted = ids.len().saturating_sub(MAX_BATCH_ITEMS);
    ids.truncate(MAX_BATCH_ITEMS);
    ids.shrink_to_fit();
    (ids, omitted)
}

/// What the batch handler tells the ledger, as a response extension.
#[derive(Debug, Clone, Default)]
pub struct LedgerNote {
    pub job_id: Option<String>,
    pub items: Vec<AppliedItem>,
    pub fault: Option<&'static str>,
}

/// Best-effort ids from a batch-update-tsvi body, for entries of requests that were refused.
pub fn ids_in_body(body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    value
        .get("items")
        .and_then(|items| items.as_array())
        .map(|items| items.iter().filter_map(|item| item.get("id")?.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_leniently() {
        assert_eq!(ids_in_body(br#"{"items":[{"id":"a","enable":true},{"id":7},{"id":"b"}]}"#), ["a", "b"]);
        assert!(ids_in_body(b"{not json").is_empty());
        assert!(ids_in_body(br#"{"items":{}}"#).is_empty());
    }

    fn entry(id: &str) -> LedgerEntry {
        LedgerEntry {
            seq: 99,
            at: String::new(),
            at_ms: 0,
            request_id: id.into(),
            status: 200,
            ids: Vec::new(),
            ids_omitted: 0,
            applied: false,
            job_id: None,
            fault: None,
            items: Vec::new(),
        }
    }

    #[test]
    fn keeps_the_newest_entries_up_to_its_bound() {
        let mut ledger = Ledger::new(3);
        for n in 0..5 {
            ledger.push(entry(&n.to_string()));
        }
        assert_eq!((ledger.len(), ledger.dropped()), (3, 2));
        let seqs = |since| ledger.since(since).map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(seqs(0), [2, 3, 4]);
        assert_eq!(seqs(3), [3, 4]);
        assert_eq!(seqs(9), Vec::<usize>::new());
        ledger.clear();
        assert_eq!((ledger.len(), ledger.capacity(), ledger.dropped()), (0, 0, 0));
        ledger.push(entry("x"));
        assert_eq!(ledger.since(0).next().map(|e| e.seq), Some(0), "seq restarts after a clear");
    }

    #[test]
    fn caps_the_ids_of_an_entry() {
        let ids: Vec<String> = (0..25).map(|n| n.to_string()).collect();
        let (kept, omitted) = capped_ids(ids);
        assert_eq!((kept.len(), omitted), (MAX_BATCH_ITEMS, 5));
        assert_eq!(capped_ids(vec!["a".into()]), (vec!["a".to_string()], 0));
    }
}
