//! A string table for the indexes that the request's value is looked up in once per
//! decision (the host's exact names).
//!
//! A general hash map hashes the key through the `Hash` trait (which adds a
//! terminator), probes in groups, and compares keys with `memcmp`; for the short
//! strings of a request, that plumbing costs more than the lookup itself. This table is
//! built once and only read: open addressing with linear probing, at most half full,
//! the full hash kept beside each key so that a probe compares one word before any
//! byte, and keys compared inline a word at a time.

use crate::check::path_pattern::bytes_eq;
use crate::compile::NodeId;

/// One occupied slot.
#[derive(Debug)]
struct Slot {
    hash: u64,
    key: Box<str>,
    child: NodeId,
}

/// Strings to subtrees.
///
/// INVARIANT: `slots.len()` is a power of two (or 0) and more than twice `len`, so
/// every probe sequence reaches an empty slot.
#[derive(Debug, Default)]
pub(crate) struct StrTable {
    slots: Vec<Option<Slot>>,
    len: usize,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Multiply-rotate over 8-byte words, as `FxHasher`; the last partial word is read as
/// the last 8 bytes (overlapping the one before) when the key has that many, so no
/// byte loop runs for names of 8 bytes or more. The length is mixed in, so keys that
/// only differ in what the overlap reads twice still hash apart.
#[inline]
fn hash(key: &[u8]) -> u64 {
    let add = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(SEED);
    let mut h = add(0, key.len() as u64);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        h = add(h, u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
    }
    if chunks.remainder().is_empty() {
        return h;
    }
    let last = match key.len().checked_sub(8).and_then(|at| key.get(at..)) {
        Some(tail) => u64::from_le_bytes(tail.try_into().unwrap_or([0; 8])),
        None => {
            let mut word = [0u8; 8];
            for (slot, b) in word.iter_mut().zip(key) {
                *slot = *b;
            }
            u64::from_le_bytes(word)
        }
    };
    add(h, last)
}

impl StrTable {
    /// The first slot to probe for `hash` (the high bits: the multiply mixes upward).
    fn home(&self, hash: u64) -> usize {
        let mask = self.slots.len().wrapping_sub(1);
        (hash >> 32) as usize & mask
    }

    /// Maps `key` to `child`, replacing what it mapped to before.
    pub(crate) fn insert(&mut self, key: &str, child: NodeId) {
        if (self.len + 1) * 2 >= self.slots.len() {
            self.grow();
        }
        let h = hash(key.as_bytes());
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.home(h);
        while let Some(slot) = self.slots.get_mut(at) {
            match slot {
                Some(s) if s.hash == h && *s.key == *key => {
                    s.child = child;
                    return;
                }
                Some(_) => at = (at + 1) & mask,
                None => {
                    *slot = Some(Slot {
                        hash: h,
                        key: key.into(),
                        child,
                    });
                    self.len += 1;
                    return;
                }
            }
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(8);
        let old = std::mem::replace(&mut self.slots, (0..size).map(|_| None).collect());
        self.len = 0;
        for slot in old.into_iter().flatten() {
            self.insert(&slot.key, slot.child);
        }
    }

    /// The child of `key`, if any.
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<NodeId> {
        if self.len == 0 {
            return None;
        }
        let h = hash(key.as_bytes());
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.home(h);
        // Ends at an empty slot, which the invariant guarantees.
        while let Some(Some(slot)) = self.slots.get(at) {
            if slot.hash == h && bytes_eq(slot.key.as_bytes(), key.as_bytes()) {
                return Some(slot.child);
            }
            at = (at + 1) & mask;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        let mut table = StrTable::default();
        assert_eq!(table.get("a"), None);
        let keys: Vec<String> = (0..300)
            .map(|i| format!("svc{i}.ns{}.svc", i % 7))
            .chain(["", "a", "ab", "abcdefgh", "abcdefghi"].map(String::from))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            table.insert(k, NodeId(i as u32));
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(table.get(k), Some(NodeId(i as u32)), "{k}");
        }
        for missing in ["svc1.ns1.svcx", "abcdefg", "b", "svc300.ns6.svc"] {
            assert_eq!(table.get(missing), None, "{missing}");
        }
        table.insert("a", NodeId(9999));
        assert_eq!(table.get("a"), Some(NodeId(9999)));
    }
}
