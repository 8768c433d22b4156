//! Every batch-update-tsvi request the simulator received, in order, for tests to check that
//! no server was applied twice and nothing was lost (`GET /_sim/ledger`).

use super::state::AppliedItem;
use serde::Serialize;

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
    /// The ids in the request body as far as it could be read.
    pub ids: Vec<String>,
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
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.get("id")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_leniently() {
        assert_eq!(
            ids_in_body(br#"{"items":[{"id":"a","enable":true},{"id":7},{"id":"b"}]}"#),
            ["a", "b"]
        );
        assert!(ids_in_body(b"{not json").is_empty());
        assert!(ids_in_body(br#"{"items":{}}"#).is_empty());
    }
}
