//! The crate's hash maps and sets, with a fixed multiply-rotate hasher instead of std's SipHash
//! and `RandomState` (which weigh about 1.3 KB of wasm and hash more slowly).
//!
//! Hash flooding: the keys are server, group and job ids, from the service and from the
//! caller's own input, held in one caller's process for one call or one run (a few thousand
//! entries). Ids chosen to collide could only slow the caller's own process, not a server
//! shared with others; the gateway, a server, keeps std's keyed hasher.

use std::hash::{BuildHasherDefault, Hasher};

pub type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<IdHasher>>;
pub type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<IdHasher>>;

/// FxHash's step on 64-bit words, with a final mix so that the top bits (which the table's
/// control bytes use) depend on every input bit.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in chunks.by_ref() {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        let h = self.0;
        (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash_of(value: impl Hash) -> u64 {
        BuildHasherDefault::<IdHasher>::default().hash_one(value)
    }

    #[test]
    fn ids_that_differ_anywhere_hash_apart() {
        // Same length, one byte apart at each position; and prefixes of one another.
        let base = "4f9c2a1e-0b7d-4c3a-9e21-7a0c5d3b8f60";
        let mut hashes: Vec<u64> = (0..base.len())
            .map(|i| {
                let mut id = base.as_bytes().to_vec();
                id[i] ^= 1;
                hash_of(String::from_utf8(id).unwrap_or_default())
            })
            .collect();
        hashes.extend((0..base.len()).map(|n| hash_of(&base[..n])));
        hashes.push(hash_of(base));
        let count = hashes.len();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), count);
    }

    #[test]
    fn sequential_ids_spread_over_the_control_bits() {
        // hashbrown keys its control bytes on the top 7 bits: sequential ids must not share them.
        let mut top: Vec<u64> = (0..1000).map(|i| hash_of(format!("srv-{i:05}")) >> 57).collect();
        top.sort_unstable();
        top.dedup();
        assert!(top.len() > 100, "only {} of 128 top-bit values", top.len());
    }

    #[test]
    fn maps_and_sets_work_as_std_s() {
        let mut map: HashMap<String, usize> = HashMap::default();
        for i in 0..5000 {
            map.insert(format!("s{i}"), i);
        }
        assert_eq!(map.len(), 5000);
        assert!((0..5000).all(|i| map.get(&format!("s{i}")) == Some(&i)));
        let set: HashSet<&str> = ["a", "b", "a"].into_iter().collect();
        assert_eq!(set.len(), 2);
    }
}
