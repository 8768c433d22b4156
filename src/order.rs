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

/// A map from text keys (group or server ids) to values, kept as one sorted vector: what the
/// engine needs of `BTreeMap<String, V>` (about 18 KB of wasm for its two value types), with
/// the same order, serde form (a map) and `Debug`. Lookups are binary searches.
#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<V>(Vec<(String, V)>);

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap(Vec::new())
    }
}

impl<V> SortedMap<V> {
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.find(key).ok().and_then(|i| self.0.get(i)).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.find(key).ok().and_then(|i| self.0.get_mut(i)).map(|(_, v)| v)
    }

    /// Sets `key` to `value` (keys inserted in order are appended: no shifting).
    pub fn insert(&mut self, key: String, value: V) {
        match self.find(&key) {
            Ok(i) => {
                if let Some(slot) = self.0.get_mut(i) {
                    slot.1 = value;
                }
            }
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<V> FromIterator<(String, V)> for SortedMap<V> {
    /// Like `BTreeMap`'s: in key order, the last value of a repeated key kept.
    fn from_iter<I: IntoIterator<Item = (String, V)>>(pairs: I) -> Self {
        let mut entries: Vec<(String, V)> = pairs.into_iter().collect();
        entries.reverse(); // the last of equal keys first, so that the stable sort keeps it first
        sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        SortedMap(entries)
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for SortedMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
impl<V> std::ops::Index<&str> for SortedMap<V> {
    type Output = V;
    fn index(&self, key: &str) -> &V {
        self.get(key).expect("no such key")
    }
}

impl<V: serde::Serialize> serde::Serialize for SortedMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, V: serde::Deserialize<'de>> serde::Deserialize<'de> for SortedMap<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<V>(std::marker::PhantomData<V>);
        impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for Entries<V> {
            type Value = SortedMap<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, V>()? {
                    entries.push(entry);
                }
                Ok(entries.into_iter().collect())
            }
        }
        deserializer.deserialize_map(Entries(std::marker::PhantomData))
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
    fn sorted_map_behaves_as_a_btree_map() {
        use std::collections::BTreeMap;
        let pairs: Vec<(String, u64)> = sample(400, 50, 3).into_iter().map(|(k, i)| (format!("g{k}"), i as u64)).collect();
        let ours: SortedMap<u64> = pairs.iter().cloned().collect();
        let theirs: BTreeMap<String, u64> = pairs.iter().cloned().collect();
        assert_eq!(ours.iter().collect::<Vec<_>>(), theirs.iter().collect::<Vec<_>>());
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        let (mut ours_inserted, mut theirs_inserted) = (SortedMap::default(), BTreeMap::new());
        for (k, v) in &pairs {
            ours_inserted.insert(k.clone(), *v);
            theirs_inserted.insert(k.clone(), *v);
        }
        assert_eq!(ours_inserted, ours);
        assert_eq!(ours.get("g7"), theirs.get("g7"));
        assert_eq!(ours.get("none"), None);
        ours_inserted.retain(|_, v| *v % 2 == 0);
        theirs_inserted.retain(|_, v| *v % 2 == 0);
        assert_eq!(ours_inserted.keys().collect::<Vec<_>>(), theirs_inserted.keys().collect::<Vec<_>>());
        if let Some(v) = ours_inserted.get_mut("g3") {
            *v += 1;
        }
        assert_eq!(ours_inserted.len(), theirs_inserted.len());
        let text = crate::json::to_string(&ours).unwrap_or_default();
        assert_eq!(text, crate::json::to_string(&theirs).unwrap_or_default());
        let back: SortedMap<u64> = crate::json::from_str(&text).unwrap();
        assert_eq!(back, ours);
        // A repeated key in the input: the last value wins, as in a BTreeMap.
        let repeated: SortedMap<u64> = crate::json::from_str(r#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(format!("{repeated:?}"), r#"{"a": 2, "b": 3}"#);
        assert!(crate::json::from_str::<SortedMap<u64>>("[1]").is_err());
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
