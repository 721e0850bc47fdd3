//! A small, fast hasher for the tree's lookup tables.
//!
//! The tables are built from the policy (trusted) and only read with request values,
//! so a request cannot grow a chain: flooding resistance buys nothing here, speed does.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hash map keyed with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The multiply-rotate hash used by rustc (`FxHasher`), over 8-byte words.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (slot, b) in word.iter_mut().zip(rest) {
                *slot = *b;
            }
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The state, mixed by [`finish`]: a table takes its bucket from the low bits,
    /// and the multiply alone leaves them zero for keys with trailing zero bits (a
    /// CIDR table's `10.1.0.0`, whose low 16 bits are zero, put every `/16` of a
    /// table in the buckets whose low 16 bits are zero).
    fn finish(&self) -> u64 {
        finish(self.hash)
    }
}

/// Mixes every bit of `h` into every other (MurmurHash3's 64-bit finalizer), so that
/// both the high bits a table probes from and the low bits it keeps as a tag depend on
/// the whole key. Without it, keys that differ only in their last bytes (identities
/// `…/sa/svc1234`, which the last word holds in its high bytes) differ only in the
/// top bits of the multiply-rotate hash: thousands of them fell on a few hundred home
/// slots with equal tags, and each lookup probed a long run comparing keys.
#[inline]
pub(crate) fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The multiply-rotate hash of `bytes`, started from `seed`, for the tables that are
/// only read with request values (the path trie's literal children: the seed is the
/// parent node). Words of 8 bytes; the last partial word is read as the last 8 bytes
/// (overlapping the one before) when there are that many, so no byte loop runs for
/// segments of 8 bytes or more. The length is mixed in first, so keys that only differ
/// in what the overlap reads twice still hash apart.
#[inline]
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let add = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(SEED);
    let mut h = add(seed, bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        h = add(h, u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
    }
    if chunks.remainder().is_empty() {
        return finish(h);
    }
    let last = match bytes.len().checked_sub(8).and_then(|at| bytes.get(at..)) {
        Some(tail) => u64::from_le_bytes(tail.try_into().unwrap_or([0; 8])),
        None => {
            let mut word = [0u8; 8];
            for (slot, b) in word.iter_mut().zip(bytes) {
                *slot = *b;
            }
            u64::from_le_bytes(word)
        }
    };
    finish(add(h, last))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::*;

    /// Keys with many trailing zero bits (the networks of one prefix length in a CIDR
    /// table) land on different buckets: a table takes them from the low bits.
    #[test]
    fn networks_spread_over_the_low_bits() {
        let build = BuildHasherDefault::<FxHasher>::default();
        for prefix in [8u32, 16, 24] {
            let keys: HashSet<u32> = (0..1024u32)
                .map(|i| i.wrapping_mul(2_654_435_761) << (32 - prefix))
                .collect();
            let buckets: HashSet<u64> = keys.iter().map(|k| build.hash_one(k) & 1023).collect();
            assert!(
                buckets.len() * 2 > keys.len(),
                "/{prefix}: {} keys in {} of 1024 buckets",
                keys.len(),
                buckets.len()
            );
        }
    }
}
