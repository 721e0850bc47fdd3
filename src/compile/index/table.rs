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

/// One occupied slot.
#[derive(Debug)]
struct Slot<V> {
    hash: u64,
    key: Box<str>,
    value: V,
}

/// Strings to values (the host index: to subtrees).
///
/// INVARIANT: `slots.len()` is a power of two (or 0) and more than twice `len`, so
/// every probe sequence reaches an empty slot, and a probe position masked with
/// `slots.len() - 1` is always a slot.
#[derive(Debug)]
pub(crate) struct StrTable<V> {
    slots: Vec<Option<Slot<V>>>,
    len: usize,
}

impl<V> Default for StrTable<V> {
    fn default() -> StrTable<V> {
        StrTable {
            slots: Vec::new(),
            len: 0,
        }
    }
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

impl<V> StrTable<V> {
    /// The first slot to probe for `hash` (the high bits: the multiply mixes upward).
    fn home(&self, hash: u64) -> usize {
        let mask = self.slots.len().wrapping_sub(1);
        (hash >> 32) as usize & mask
    }

    /// Maps `key` to `value`, unless `key` is already mapped: then `value` is given
    /// back and the table is unchanged.
    pub(crate) fn insert(&mut self, key: &str, value: V) -> Result<(), V> {
        if (self.len + 1) * 2 >= self.slots.len() {
            self.grow();
        }
        let h = hash(key.as_bytes());
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.home(h);
        // INVARIANT (see the type): `at` is always a slot, and the loop ends at an
        // empty one; were it not, the value would be given back, never dropped.
        while let Some(slot) = self.slots.get_mut(at) {
            match slot {
                Some(s) if s.hash == h && *s.key == *key => return Err(value),
                Some(_) => at = (at + 1) & mask,
                None => {
                    *slot = Some(Slot {
                        hash: h,
                        key: key.into(),
                        value,
                    });
                    self.len += 1;
                    return Ok(());
                }
            }
        }
        Err(value)
    }

    /// Doubles the table (at least 8 slots) and moves every entry to its new slot.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(8);
        let old = std::mem::replace(&mut self.slots, (0..size).map(|_| None).collect());
        let mask = size - 1;
        for slot in old.into_iter().flatten() {
            let mut at = self.home(slot.hash);
            // INVARIANT: there are more empty slots than entries, and `at` is masked.
            while let Some(Some(_)) = self.slots.get(at) {
                at = (at + 1) & mask;
            }
            if let Some(empty) = self.slots.get_mut(at) {
                *empty = Some(slot);
            }
        }
    }

    /// The value of `key`, if any.
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        if self.len == 0 {
            return None;
        }
        let h = hash(key.as_bytes());
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.home(h);
        // INVARIANT (see the type): `at` is always a slot, and the loop ends at an
        // empty one.
        while let Some(Some(slot)) = self.slots.get(at) {
            if slot.hash == h && bytes_eq(slot.key.as_bytes(), key.as_bytes()) {
                return Some(&slot.value);
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Every key and its value, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.slots.iter().flatten().map(|s| (&*s.key, &s.value))
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
            assert_eq!(table.insert(k, i), Ok(()));
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(table.get(k), Some(&i), "{k}");
        }
        for missing in ["svc1.ns1.svcx", "abcdefg", "b", "svc300.ns6.svc"] {
            assert_eq!(table.get(missing), None, "{missing}");
        }
        assert_eq!(table.iter().count(), keys.len());
        // A key is mapped once: a second value is given back, the first kept.
        assert_eq!(table.insert("a", 9999), Err(9999));
        assert_eq!(table.get("a"), Some(&(keys.len() - 4)));
    }
}
