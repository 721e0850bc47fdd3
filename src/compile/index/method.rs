//! Method table: a short list of methods, each leading to a subtree.

use crate::bytes::read_word;
use crate::check::path_pattern::bytes_eq;
use crate::compile::NodeId;

use super::text;

/// A method, inline: its first 8 bytes (zero-padded) as a word, its length, its child.
/// Four to a cache line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    head: u64,
    len: u32,
    child: NodeId,
}

/// Methods and their subtrees.
///
/// When every method is one of the [`KNOWN`] ones (they are, in most policies), the
/// index is a child per known method, inline (it is read with the split's index, no
/// other line): the request's method is numbered by comparing one word, without
/// reading memory. Otherwise policies still name few distinct methods, so a linear
/// scan beats hashing; and methods are short, so each is held inline in its entry
/// (no pointer per method to follow): a scan compares one word and a length per
/// method, and reads one cache line for up to four methods. The bytes past the eighth
/// of a longer method are in `tails`, in entry order.
#[derive(Debug)]
pub(crate) enum MethodIndex {
    /// The child of each of the [`KNOWN`] methods, or [`NONE`].
    Known([u32; KNOWN.len()]),
    Listed {
        entries: Box<[Entry]>,
        tails: Box<[u8]>,
    },
}

/// The methods a [`MethodIndex::Known`] has a child for: RFC 9110's and `PATCH`.
const KNOWN: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// No child, in a [`MethodIndex::Known`].
const NONE: u32 = u32::MAX;

/// The position of `method` in [`KNOWN`], if it is one: its first word and length
/// compared with constants, no memory read.
#[inline]
fn known(method: &[u8]) -> Option<usize> {
    #[allow(
        clippy::indexing_slicing,
        reason = "evaluated at compile time, where an index out of bounds is a build error"
    )]
    const fn word(m: &str) -> u64 {
        let bytes = m.as_bytes();
        let mut word = 0u64;
        let mut i = 0;
        while i < bytes.len() && i < 8 {
            word |= (bytes[i] as u64) << (8 * i);
            i += 1;
        }
        word
    }
    #[allow(
        clippy::indexing_slicing,
        reason = "evaluated at compile time, where an index out of bounds is a build error"
    )]
    const WORDS: [u64; KNOWN.len()] = {
        let mut words = [0u64; KNOWN.len()];
        let mut i = 0;
        while i < KNOWN.len() {
            words[i] = word(KNOWN[i]);
            i += 1;
        }
        words
    };
    // Every known method is shorter than 8 bytes, and a method has no zero byte (it
    // is made of token bytes): the zero-padded word tells its length too. The length
    // is compared all the same, so the position is exact for any bytes.
    if method.len() >= 8 {
        return None;
    }
    let w = head(method);
    let at = WORDS.iter().position(|&k| k == w)?;
    KNOWN
        .get(at)
        .is_some_and(|k| k.len() == method.len())
        .then_some(at)
}

/// The first 8 bytes of `method` as a word, zero-padded.
#[inline]
fn head(method: &[u8]) -> u64 {
    match method.get(..8) {
        Some(word) => read_word(word),
        None => {
            let mut word = [0u8; 8];
            for (slot, b) in word.iter_mut().zip(method) {
                *slot = *b;
            }
            u64::from_le_bytes(word)
        }
    }
}

impl MethodIndex {
    /// The table of `methods` and their children, or the child of a method too long
    /// to store. (A method that came twice would have both its children visited.)
    pub(crate) fn build<'m>(
        methods: impl IntoIterator<Item = (&'m str, NodeId)>,
    ) -> Result<MethodIndex, NodeId> {
        let methods: Vec<(&str, NodeId)> = methods.into_iter().collect();
        if let Some(index) = Self::known(&methods) {
            return Ok(index);
        }
        let mut entries: Vec<Entry> = Vec::new();
        let mut tails = Vec::new();
        for (method, child) in methods {
            let Ok(len) = u32::try_from(method.len()) else {
                return Err(child);
            };
            entries.push(Entry {
                head: head(method.as_bytes()),
                len,
                child,
            });
            tails.extend_from_slice(method.as_bytes().get(8..).unwrap_or_default());
        }
        Ok(MethodIndex::Listed {
            entries: entries.into_boxed_slice(),
            tails: tails.into_boxed_slice(),
        })
    }

    /// The index of `methods` as a [`MethodIndex::Known`], if they are all known,
    /// each once, and no child is [`NONE`].
    fn known(methods: &[(&str, NodeId)]) -> Option<MethodIndex> {
        let mut children = [NONE; KNOWN.len()];
        for &(method, child) in methods {
            let slot = children.get_mut(known(method.as_bytes())?)?;
            if *slot != NONE || child.0 == NONE {
                return None;
            }
            *slot = child.0;
        }
        Some(MethodIndex::Known(children))
    }

    #[inline]
    pub(crate) fn for_each(&self, method: &str, f: &mut impl FnMut(NodeId)) {
        match self {
            MethodIndex::Known(children) => {
                let child = known(method.as_bytes()).and_then(|at| children.get(at));
                if let Some(&child) = child.filter(|&&c| c != NONE) {
                    f(NodeId(child));
                }
            }
            MethodIndex::Listed { entries, tails } => Self::scan(entries, tails, method, f),
        }
    }

    fn scan(entries: &[Entry], tails: &[u8], method: &str, f: &mut impl FnMut(NodeId)) {
        let bytes = method.as_bytes();
        let word = head(bytes);
        let len = bytes.len();
        // Where the tail of the next long method starts in `tails`.
        let mut tail = 0;
        for entry in entries {
            let entry_len = entry.len as usize;
            if entry.head == word && entry_len == len {
                let matched = len <= 8
                    || tails
                        .get(tail..tail + (len - 8))
                        .is_some_and(|t| bytes_eq(t, bytes.get(8..).unwrap_or_default()));
                if matched {
                    f(entry.child);
                }
            }
            tail += entry_len.saturating_sub(8);
        }
    }

    /// The methods and their children.
    fn methods(&self) -> Vec<(String, NodeId)> {
        let (entries, tails) = match self {
            MethodIndex::Known(children) => {
                let known = KNOWN.iter().zip(children);
                let known = known.filter(|&(_, &c)| c != NONE);
                return known.map(|(m, &c)| (m.to_string(), NodeId(c))).collect();
            }
            MethodIndex::Listed { entries, tails } => (entries, tails),
        };
        let mut tail = 0;
        entries
            .iter()
            .map(move |entry| {
                let len = entry.len as usize;
                let mut bytes = entry.head.to_le_bytes().to_vec();
                bytes.truncate(len);
                let rest = len.saturating_sub(8);
                bytes.extend_from_slice(tails.get(tail..tail + rest).unwrap_or_default());
                tail += rest;
                (String::from_utf8_lossy(&bytes).into_owned(), entry.child)
            })
            .collect()
    }

    /// The child of `method`, if any (for tests).
    #[cfg(test)]
    pub(crate) fn child(&self, method: &str) -> Option<NodeId> {
        let mut found = None;
        self.for_each(method, &mut |c| found = Some(c));
        found
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        out.extend(
            self.methods()
                .into_iter()
                .map(|(m, child)| (text::method(&m), child)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_method_exactly() {
        let methods = [
            "GET",
            "POST",
            "PROPFIND",
            "VERSION-CONTROL",
            "VERSION-CONTROX",
            "BASELINE-CONTROL",
            "",
        ];
        let index = MethodIndex::build(
            methods
                .iter()
                .enumerate()
                .map(|(i, m)| (*m, NodeId(i as u32))),
        )
        .unwrap();
        for (i, m) in methods.iter().enumerate() {
            assert_eq!(index.child(m), Some(NodeId(i as u32)), "{m}");
        }
        for missing in [
            "GE",
            "GETS",
            "PROPFINDX",
            "VERSION-CONTRO",
            "VERSION-CONTROLS",
            "get",
        ] {
            assert_eq!(index.child(missing), None, "{missing}");
        }
        let mut children = Vec::new();
        index.children(&mut children);
        let keys: Vec<String> = children.into_iter().map(|(k, _)| k).collect();
        let expected: Vec<String> = methods.iter().map(|m| text::method(m)).collect();
        assert_eq!(keys, expected);
    }

    #[test]
    fn known_methods_are_held_inline_and_found_exactly() {
        let index = MethodIndex::build(
            KNOWN
                .iter()
                .enumerate()
                .map(|(i, m)| (*m, NodeId(i as u32))),
        )
        .unwrap();
        assert!(matches!(index, MethodIndex::Known(_)));
        for (i, m) in KNOWN.iter().enumerate() {
            assert_eq!(index.child(m), Some(NodeId(i as u32)), "{m}");
        }
        for missing in [
            "GE", "GETS", "GET\0", "get", "", "PATCHES", "OPTIONSX", "PROPFIND",
        ] {
            assert_eq!(index.child(missing), None, "{missing}");
        }
        let some = MethodIndex::build([("PUT", NodeId(3)), ("GET", NodeId(1))]).unwrap();
        assert!(matches!(some, MethodIndex::Known(_)));
        assert_eq!(some.child("GET"), Some(NodeId(1)));
        assert_eq!(some.child("HEAD"), None);
        let mut children = Vec::new();
        some.children(&mut children);
        assert_eq!(
            children,
            [
                (text::method("GET"), NodeId(1)),
                (text::method("PUT"), NodeId(3))
            ]
        );
        // One unknown method: the general list.
        let listed = MethodIndex::build([("GET", NodeId(1)), ("PURGE", NodeId(2))]).unwrap();
        assert!(matches!(listed, MethodIndex::Listed { .. }));
        assert_eq!(listed.child("PURGE"), Some(NodeId(2)));
    }
}
