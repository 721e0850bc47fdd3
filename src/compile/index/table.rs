//! The hash table of the indexes whose keys are strings: host names and `*.suffix`
//! suffixes, exact identities and identity directories, header and attribute values.
//!
//! A general hash map hashes the key through the `Hash` trait (which adds a
//! terminator), probes in groups, keeps each key in an allocation of its own and
//! compares keys with `memcmp`: a lookup reads the control bytes, the bucket and the
//! key's allocation, three cache lines or more, and on a stream spread over a large
//! policy each of them misses. This table is built once and only read, and is one
//! allocation of 8-byte words: first the slots, plain records of 16 bytes (four to a
//! cache line: the key's hash, its kind and length, where its bytes are, its child),
//! then the keys' bytes, each from a word boundary and zero-padded to a whole word.
//! Open addressing with linear probing, at most half full; a probe compares the
//! slot's hash and length before any byte, and the key a word at a time, inline. A
//! lookup that finds its key reads the slot's line and the key's line, and one that
//! finds nothing, usually only the slot's.
//!
//! A key has a *kind* (0 or 1), so that one table holds two maps whose keys may be the
//! same bytes (exact host names and suffixes; exact identities and directories): a
//! key is found only under its own kind.

use crate::compile::NodeId;
use crate::compile::hash::hash_bytes;

/// A slot's `meta` when the slot is empty (a key's meta is its length, below 2³¹ − 1,
/// with its kind in the top bit).
const EMPTY: u32 = u32::MAX;
/// The kind's bit in a slot's `meta`.
const KIND_BIT: u32 = 1 << 31;

/// Keys (with a kind) to subtrees.
///
/// INVARIANT: `slots` is 0 or a power of two, more than twice the number of keys;
/// `words` holds `2 * slots` words of slots (slot `i` at `2i` and `2i + 1`), then the
/// keys, each from the word a slot names and zero-padded to a whole word. So every
/// probe sequence reaches an empty slot, and a probe position masked with
/// `slots - 1` is always a slot. A position out of range (never, for a table
/// [`KeyTable::build`] made) reads as an empty slot or a key that differs: a lookup
/// then finds nothing, and [`get`](Self::get) says so rather than guess.
#[derive(Debug, Default)]
pub(crate) struct KeyTable {
    words: Box<[u64]>,
    slots: u32,
    /// Bit `k` set when some key is of kind `k`.
    kinds: u8,
}

/// One slot, unpacked from its two words: the low 32 bits of the key's hash (the
/// home slot comes from the high bits), its length and kind (or [`EMPTY`]), the word
/// its bytes start at, and its child.
#[derive(Clone, Copy, Debug)]
struct Slot {
    tag: u32,
    meta: u32,
    start: u32,
    child: u32,
}

impl Slot {
    fn pack(self) -> [u64; 2] {
        [
            u64::from(self.tag) | u64::from(self.meta) << 32,
            u64::from(self.start) | u64::from(self.child) << 32,
        ]
    }

    fn unpack(first: u64, second: u64) -> Slot {
        Slot {
            tag: first as u32,
            meta: (first >> 32) as u32,
            start: second as u32,
            child: (second >> 32) as u32,
        }
    }
}

/// The hash of a key of `kind`: [`hash_bytes`] (words of 8 bytes, the length mixed
/// in, the result finished so that the probe start and the tag both depend on every
/// byte) seeded with the kind, so a key hashes apart from the same bytes of the other
/// kind.
#[inline]
fn hash(kind: u8, key: &[u8]) -> u64 {
    hash_bytes(u64::from(kind), key)
}

/// The bytes of `bytes` (at most 8) as a little-endian word, zero-padded.
#[inline]
fn last_word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    for (slot, b) in word.iter_mut().zip(bytes) {
        *slot = *b;
    }
    u64::from_le_bytes(word)
}

/// Does `key` equal the stored key `words` (its bytes zero-padded to whole words, at
/// least as many words as `key` needs)? A word at a time, inline.
#[inline]
fn key_eq(words: &[u64], key: &[u8]) -> bool {
    let mut chunks = key.chunks_exact(8);
    let mut stored = words.iter();
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if stored.next() != Some(&word) {
            return false;
        }
    }
    let rest = chunks.remainder();
    rest.is_empty() || stored.next() == Some(&last_word(rest))
}

/// How many words a key of `len` bytes takes.
fn words_for(len: usize) -> usize {
    len.div_ceil(8)
}

impl KeyTable {
    /// The table of `entries` (kind, key, child), or the child of a key that comes
    /// twice (with the same kind), or of a key too long to store (2³¹ bytes or more).
    pub(crate) fn build<'k>(
        entries: impl IntoIterator<Item = (u8, &'k [u8], NodeId)>,
    ) -> Result<KeyTable, NodeId> {
        let entries: Vec<(u8, &[u8], NodeId)> = entries.into_iter().collect();
        if entries.is_empty() {
            return Ok(KeyTable::default());
        }
        let slots = (entries.len() * 2 + 1).next_power_of_two();
        let key_words: usize = entries.iter().map(|(_, k, _)| words_for(k.len())).sum();
        let mut words = vec![0u64; slots * 2];
        for at in 0..slots {
            let empty = Slot {
                tag: 0,
                meta: EMPTY,
                start: 0,
                child: 0,
            };
            let [a, b] = empty.pack();
            if let Some(pair) = words.get_mut(at * 2..at * 2 + 2) {
                pair.copy_from_slice(&[a, b]);
            }
        }
        words.reserve_exact(key_words);
        let mask = slots - 1;
        let kinds = entries.iter().fold(0, |all, e| all | 1 << e.0.min(1));
        let Ok(slot_count) = u32::try_from(slots) else {
            return Err(entries.first().map_or(NodeId::EMPTY, |e| e.2));
        };
        for (kind, key, child) in entries {
            let len = u32::try_from(key.len()).ok().filter(|&l| l < KIND_BIT - 1);
            let (Some(len), Ok(start)) = (len, u32::try_from(words.len())) else {
                return Err(child);
            };
            let meta = len | if kind == 0 { 0 } else { KIND_BIT };
            let h = hash(kind, key);
            let mut at = (h >> 32) as usize & mask;
            // INVARIANT (see the type): `at` is always a slot, and the loop ends at an
            // empty one; were it not, the child is given back, never dropped.
            loop {
                let Some(&[first, second]) = words.get(at * 2..at * 2 + 2) else {
                    return Err(child);
                };
                let slot = Slot::unpack(first, second);
                if slot.meta == EMPTY {
                    break;
                }
                if slot.tag == h as u32 && slot.meta == meta && stored_eq(&words, slot, key) {
                    return Err(child);
                }
                at = (at + 1) & mask;
            }
            let [a, b] = Slot {
                tag: h as u32,
                meta,
                start,
                child: child.0,
            }
            .pack();
            if let Some(pair) = words.get_mut(at * 2..at * 2 + 2) {
                pair.copy_from_slice(&[a, b]);
            }
            let mut chunks = key.chunks_exact(8);
            for chunk in &mut chunks {
                words.push(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
            }
            if !chunks.remainder().is_empty() {
                words.push(last_word(chunks.remainder()));
            }
        }
        Ok(KeyTable {
            words: words.into_boxed_slice(),
            slots: slot_count,
            kinds,
        })
    }

    /// The child of `key` of `kind`, if any.
    #[inline]
    pub(crate) fn get(&self, kind: u8, key: &[u8]) -> Option<NodeId> {
        if self.slots == 0 {
            return None;
        }
        let h = hash(kind, key);
        let meta = key.len() as u32 | if kind == 0 { 0 } else { KIND_BIT };
        if key.len() >= (KIND_BIT - 1) as usize {
            return None;
        }
        let mask = self.slots as usize - 1;
        let mut at = (h >> 32) as usize & mask;
        // INVARIANT (see the type): `at` is always a slot, and the loop ends at an
        // empty one.
        while let Some(&[first, second]) = self.words.get(at * 2..at * 2 + 2) {
            let slot = Slot::unpack(first, second);
            if slot.meta == EMPTY {
                return None;
            }
            if slot.tag == h as u32 && slot.meta == meta && stored_eq(&self.words, slot, key) {
                return Some(NodeId(slot.child));
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Is there a key of `kind`? (A caller may skip looking up what it would find
    /// none of.)
    #[inline]
    pub(crate) fn has_kind(&self, kind: u8) -> bool {
        self.kinds & 1 << kind.min(1) != 0
    }

    /// Every key (kind, bytes) and its child, in no particular order: for the dump and
    /// the validation of a tree.
    pub(crate) fn entries(&self) -> Vec<(u8, Vec<u8>, NodeId)> {
        let mut out = Vec::new();
        for pair in self
            .words
            .get(..self.slots as usize * 2)
            .unwrap_or_default()
            .chunks_exact(2)
        {
            let slot = match pair {
                &[first, second] => Slot::unpack(first, second),
                _ => continue,
            };
            if slot.meta == EMPTY {
                continue;
            }
            let len = (slot.meta & !KIND_BIT) as usize;
            let start = slot.start as usize;
            let words = self
                .words
                .get(start..start + words_for(len))
                .unwrap_or_default();
            let mut key: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            key.truncate(len);
            let kind = u8::from(slot.meta & KIND_BIT != 0);
            out.push((kind, key, NodeId(slot.child)));
        }
        out
    }
}

/// Does the key `slot` names (in `words`) equal `key`? (Their lengths are equal: the
/// slot's meta was compared first.)
#[inline]
fn stored_eq(words: &[u64], slot: Slot, key: &[u8]) -> bool {
    let start = slot.start as usize;
    words
        .get(start..start + words_for(key.len()))
        .is_some_and(|stored| key_eq(stored, key))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::collections::hash_map::Entry;

    use proptest::prelude::*;

    use super::*;

    /// Keys that differ only in their last bytes, as the exact identities of a
    /// policy do, each find their slot within a few probes (they used to share a few
    /// hundred home slots and equal tags: a lookup probed hundreds of slots).
    #[test]
    fn keys_that_differ_at_the_end_spread_over_the_table() {
        let keys: Vec<(u8, Vec<u8>)> = (0..10_000)
            .map(|i| {
                (
                    0,
                    format!("spiffe://prod.example.com/ns/ns{}/sa/svc{i:05}", i % 8).into_bytes(),
                )
            })
            .collect();
        let t = table(&keys);
        let mask = t.slots as usize - 1;
        let mut total = 0;
        let mut longest = 0;
        let mut tags = std::collections::HashSet::new();
        for (kind, key) in &keys {
            let h = hash(*kind, key);
            tags.insert(h as u32);
            let home = (h >> 32) as usize & mask;
            let mut at = home;
            let mut probes = 1;
            loop {
                let slot = Slot::unpack(t.words[at * 2], t.words[at * 2 + 1]);
                if slot.tag == h as u32 && stored_eq(&t.words, slot, key) {
                    break;
                }
                at = (at + 1) & mask;
                probes += 1;
            }
            total += probes;
            longest = longest.max(probes);
        }
        let mean = total as f64 / keys.len() as f64;
        assert!(mean < 2.0, "mean probes {mean}");
        assert!(longest < 40, "longest probe run {longest}");
        assert!(tags.len() > 9_900, "{} distinct tags", tags.len());
    }

    fn table(keys: &[(u8, Vec<u8>)]) -> KeyTable {
        let entries = keys
            .iter()
            .enumerate()
            .map(|(i, (kind, k))| (*kind, k.as_slice(), NodeId(i as u32)));
        KeyTable::build(entries).unwrap_or_else(|c| panic!("key {} twice", c.0))
    }

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        assert_eq!(KeyTable::default().get(0, b"a"), None);
        let keys: Vec<(u8, Vec<u8>)> = (0..300)
            .map(|i| format!("svc{i}.ns{}.svc", i % 7))
            .chain(["", "a", "ab", "abcdefgh", "abcdefghi"].map(String::from))
            .map(|k| (0, k.into_bytes()))
            .chain([(1, b"a".to_vec()), (1, Vec::new())])
            .collect();
        let t = table(&keys);
        for (i, (kind, k)) in keys.iter().enumerate() {
            assert_eq!(t.get(*kind, k), Some(NodeId(i as u32)), "{k:?}");
        }
        for missing in [
            "svc1.ns1.svcx",
            "abcdefg",
            "b",
            "svc300.ns6.svc",
            "abcdefgh\0",
        ] {
            assert_eq!(t.get(0, missing.as_bytes()), None, "{missing}");
        }
        assert_eq!(t.get(1, b"ab"), None);
        assert_eq!(t.entries().len(), keys.len());
        // A key is mapped once per kind: a second child is given back.
        let twice = [
            (0, &b"a"[..], NodeId(1)),
            (1, b"a", NodeId(2)),
            (0, b"a", NodeId(3)),
        ];
        assert_eq!(KeyTable::build(twice).err(), Some(NodeId(3)));
    }

    /// Keys from a small alphabet, so that random keys share prefixes, differ only in
    /// their last bytes, or only in their length (a key and the same key with a zero
    /// byte more: the padding of the stored words is zero).
    fn key() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop::sample::select(vec![b'a', b'b', b'.', 0u8, 0xff]),
            0..20,
        )
    }

    proptest! {
        #[test]
        fn finds_exactly_what_a_map_finds(
            stored in prop::collection::vec((0u8..2, key()), 0..40),
            probes in prop::collection::vec((0u8..2, key()), 0..40),
        ) {
            let mut map = HashMap::new();
            let mut entries = Vec::new();
            for (i, (kind, k)) in stored.iter().enumerate() {
                if let Entry::Vacant(slot) = map.entry((*kind, k.clone())) {
                    slot.insert(NodeId(i as u32));
                    entries.push((*kind, k.as_slice(), NodeId(i as u32)));
                }
            }
            let t = KeyTable::build(entries).unwrap_or_else(|c| panic!("key {} twice", c.0));
            // Every stored key, each one with a byte more, a byte less, and its last
            // byte changed, and random keys.
            let mut all: Vec<(u8, Vec<u8>)> = probes;
            for (kind, k) in &stored {
                all.push((*kind, k.clone()));
                all.push((1 - *kind, k.clone()));
                let mut longer = k.clone();
                longer.push(0);
                all.push((*kind, longer));
                if let Some((_, shorter)) = k.split_last() {
                    all.push((*kind, shorter.to_vec()));
                    let mut changed = k.clone();
                    if let Some(last) = changed.last_mut() {
                        *last ^= 1;
                    }
                    all.push((*kind, changed));
                }
            }
            for (kind, k) in &all {
                prop_assert_eq!(t.get(*kind, k), map.get(&(*kind, k.clone())).copied());
            }
            let mut listed: Vec<(u8, Vec<u8>, u32)> =
                t.entries().into_iter().map(|(kind, k, c)| (kind, k, c.0)).collect();
            listed.sort();
            let mut expected: Vec<(u8, Vec<u8>, u32)> =
                map.into_iter().map(|((kind, k), c)| (kind, k, c.0)).collect();
            expected.sort();
            prop_assert_eq!(listed, expected);
        }
    }
}
