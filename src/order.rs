//! One stable sort for the whole crate. `slice::sort*` is compiled anew for every element type
//! and comparator (2 to 4 KB of wasm each, 37 copies in the lean module); this merge sort of
//! indices is compiled once, and the generic wrappers around it are a few lines each.

use std::cmp::Ordering;

/// Runs sorted by insertion before merging: short inputs (headers, query keys) need no scratch.
const RUN: usize = 16;

/// The stable sorted order of `len` items under `compare` (which compares two items by index):
/// a permutation of `0..len`, equal items in their original order.
pub fn stable_order(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    for run in order.chunks_mut(RUN) {
        for end in 1..run.len() {
            let mut at = end;
            while at > 0 && compare(run[at - 1], run[at]) == Ordering::Greater {
                run.swap(at - 1, at);
                at -= 1;
            }
        }
    }
    if len <= RUN {
        return order;
    }
    let mut merged = vec![0; len];
    let mut width = RUN;
    while width < len {
        for (pair, out) in order.chunks(2 * width).zip(merged.chunks_mut(2 * width)) {
            let (left, right) = pair.split_at(width.min(pair.len()));
            let (mut l, mut r) = (0, 0);
            for slot in out.iter_mut() {
                // The right item goes first only when strictly smaller: that keeps the sort stable.
                let take_right = match (left.get(l), right.get(r)) {
                    (Some(&a), Some(&b)) => compare(b, a) == Ordering::Less,
                    (None, _) => true,
                    (_, None) => false,
                };
                *slot = if take_right { right.get(r).copied() } else { left.get(l).copied() }.unwrap_or(0);
                if take_right {
                    r += 1;
                } else {
                    l += 1;
                }
            }
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Sorts `items` stably by `compare`.
pub fn sort_by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    let order = stable_order(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.iter().filter_map(|&i| slots.get_mut(i).and_then(Option::take)));
}

/// Distinct values kept in a sorted set by insertion before falling back to the merge sort.
const FEW: usize = 32;

/// Sorts `items` and removes repeats (the usual set of ids, in order). Usually few values repeat
/// many times (the groups of 5,000 servers, a request's header names): those go into a sorted
/// set by binary search, a few comparisons each; past `FEW` distinct values, the merge sort.
pub fn sort_dedup<T: Ord>(items: &mut Vec<T>) {
    let mut unique: Vec<T> = Vec::new();
    let mut rest = items.drain(..);
    for item in rest.by_ref() {
        if let Err(at) = unique.binary_search(&item) {
            unique.insert(at, item);
            if unique.len() > FEW {
                break;
            }
        }
    }
    unique.extend(rest);
    *items = unique;
    if items.len() > FEW {
        sort_by(items, T::cmp);
        items.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pseudo-random (key, original position) pairs with many repeated keys.
    fn sample(len: usize, keys: u64, seed: u64) -> Vec<(u64, usize)> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..len)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 33) % keys, i)
            })
            .collect()
    }

    #[test]
    fn same_order_as_the_std_stable_sort() {
        for len in [0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 100, 257, 1000, 5000] {
            for keys in [1, 2, 7, 1000] {
                let mut ours = sample(len, keys, len as u64 * 31 + keys);
                let mut theirs = ours.clone();
                sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
                theirs.sort_by_key(|a| a.0);
                assert_eq!(ours, theirs, "len {len}, {keys} keys");
            }
        }
    }

    #[test]
    fn order_is_a_stable_permutation() {
        let items = sample(300, 5, 9);
        let order = stable_order(items.len(), &mut |a, b| items[a].0.cmp(&items[b].0));
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..300).collect::<Vec<_>>());
        for pair in order.windows(2) {
            let (a, b) = (items[pair[0]], items[pair[1]]);
            assert!(a.0 < b.0 || (a.0 == b.0 && a.1 < b.1), "{a:?} before {b:?}");
        }
    }

    #[test]
    fn sort_dedup_sorts_and_drops_repeats() {
        let mut ids = vec!["b", "a", "c", "a", "b"];
        sort_dedup(&mut ids);
        assert_eq!(ids, ["a", "b", "c"]);
        // Few distinct values among many, and more distinct values than the sorted set takes.
        for (len, keys) in [(0, 1), (5000, 4), (500, FEW as u64), (500, FEW as u64 + 1), (3000, 2000)] {
            let mut ours: Vec<u64> = sample(len, keys, keys).into_iter().map(|(key, _)| key).collect();
            let mut theirs = ours.clone();
            sort_dedup(&mut ours);
            theirs.sort_unstable();
            theirs.dedup();
            assert_eq!(ours, theirs, "len {len}, {keys} keys");
        }
    }
}
