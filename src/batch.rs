//! Splitting a selection of servers into batch-update-tsvi calls.

use crate::validate::{Issue, MAX_BATCH_ITEMS};
use serde::Serialize;

/// An id that was left out because it had already appeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedDuplicate {
    pub id: String,
    /// Where the repeat stood in the input.
    pub index: usize,
    /// Where the id was kept.
    pub first_index: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchPlan {
    pub batches: Vec<Vec<String>>,
    pub duplicates: Vec<DroppedDuplicate>,
}

/// The batch size to use, or why it cannot be used.
pub fn check_batch_size(size: Option<f64>) -> Result<usize, Issue> {
    match size {
        None => Ok(MAX_BATCH_ITEMS),
        Some(n) if n.fract() == 0.0 && (1.0..=MAX_BATCH_ITEMS as f64).contains(&n) => Ok(n as usize),
        Some(_) => {
            Err(Issue::new("/batchSize", "batchSize.out_of_range", format!("batchSize must be a whole number from 1 to {MAX_BATCH_ITEMS}")))
        }
    }
}

/// Drops repeated ids (keeping the first) and splits the rest into chunks of `batch_size`,
/// in input order.
pub fn plan_batches(ids: &[String], batch_size: usize) -> BatchPlan {
    let batch_size = batch_size.clamp(1, MAX_BATCH_ITEMS);
    let mut first_seen: crate::hash::HashMap<&str, usize> = crate::hash::HashMap::default();
    let mut unique = Vec::with_capacity(ids.len());
    let mut duplicates = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        match first_seen.get(id.as_str()) {
            Some(&first_index) => duplicates.push(DroppedDuplicate { id: id.clone(), index, first_index }),
            None => {
                first_seen.insert(id, index);
                unique.push(id.clone());
            }
        }
    }
    BatchPlan { batches: unique.chunks(batch_size).map(<[String]>::to_vec).collect(), duplicates }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("s{i}")).collect()
    }

    #[test]
    fn splits_into_chunks_of_at_most_the_batch_size() {
        let plan = plan_batches(&ids(45), 20);
        let sizes: Vec<usize> = plan.batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [20, 20, 5]);
        assert_eq!(plan.batches[2][4], "s44");
        assert!(plan.duplicates.is_empty());
        assert_eq!(plan_batches(&ids(3), 1).batches.len(), 3);
        assert!(plan_batches(&[], 20).batches.is_empty());
    }

    #[test]
    fn drops_duplicates_keeping_the_first() {
        let input: Vec<String> = ["a", "b", "a", "c", "b", "a"].iter().map(|s| s.to_string()).collect();
        let plan = plan_batches(&input, 2);
        assert_eq!(plan.batches, vec![vec!["a".to_string(), "b".into()], vec!["c".into()]]);
        assert_eq!(
            plan.duplicates,
            vec![
                DroppedDuplicate { id: "a".into(), index: 2, first_index: 0 },
                DroppedDuplicate { id: "b".into(), index: 4, first_index: 1 },
                DroppedDuplicate { id: "a".into(), index: 5, first_index: 0 },
            ]
        );
    }

    #[test]
    fn batch_size_bounds() {
        assert_eq!(check_batch_size(None), Ok(20));
        assert_eq!(check_batch_size(Some(1.0)), Ok(1));
        assert_eq!(check_batch_size(Some(20.0)), Ok(20));
        for bad in [0.0, 21.0, 2.5, -1.0, f64::NAN] {
            assert_eq!(check_batch_size(Some(bad)).unwrap_err().code, "batchSize.out_of_range");
        }
    }
}
