//! The per-attribute indexes a split node of the tree can use. Each maps a request's
//! value for one attribute to the subtrees whose rules can match it.

mod cidr;
mod host;
mod identity;
mod keyed;
mod method;
mod path;
mod port;
mod table;
pub(crate) mod text;

use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::Hash;

pub(crate) use cidr::CidrIndex;
pub(crate) use host::HostIndex;
pub(crate) use identity::IdentityIndex;
pub(crate) use keyed::ValueIndex;
pub(crate) use method::MethodIndex;
pub(crate) use path::PathTrie;
pub(crate) use port::PortIndex;

use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;
use crate::normalize::Normalized;

/// An attribute a split node can index (a *dimension* of the tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Dim<'a> {
    Method,
    Identity,
    Path,
    Host,
    Port,
    Source,
    /// A header, by its lower-case name.
    Header(&'a str),
    /// A caller attribute, by its key.
    Attr(&'a str),
}

impl fmt::Display for Dim<'_> {
    /// `method`, …, `header "x-tenant"`, `attr "tenant"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Method => f.write_str("method"),
            Dim::Identity => f.write_str("identity"),
            Dim::Path => f.write_str("path"),
            Dim::Host => f.write_str("host"),
            Dim::Port => f.write_str("port"),
            Dim::Source => f.write_str("source"),
            Dim::Header(name) => write!(f, "header {}", text::quoted(name.as_bytes())),
            Dim::Attr(key) => write!(f, "attr {}", text::quoted(key.as_bytes())),
        }
    }
}

/// One attribute's index: 48 bytes, the hot part of every kind inline (the tables
/// and method lists are one or two allocations each, reached from here; a split on
/// the common methods holds its children here), the large rare kinds (path tries,
/// CIDR tables) boxed. Aligned to a cache line, so that reading one reads one line.
#[derive(Debug)]
#[repr(align(64))]
pub(crate) enum Index {
    Method(MethodIndex),
    Identity(IdentityIndex),
    Path(Box<PathTrie>),
    Host(HostIndex),
    Port(PortIndex),
    Source(Box<CidrIndex>),
    /// Values of the header with this lower-case name; every line is looked up.
    Header(Box<str>, ValueIndex),
    /// The value of the attribute with this key.
    Attr(Box<str>, ValueIndex),
}

impl Index {
    /// Calls `f` with every child whose key matches the request, and with no other:
    /// leaves rely on it and do not re-check the condition a key came from (see
    /// [`LeafRule`](super::LeafRule)). A request without the attribute reaches no
    /// child: a test on a missing attribute is false.
    pub(crate) fn for_each(&self, r: &Normalized<'_>, f: &mut impl FnMut(NodeId)) {
        match self {
            Index::Method(index) => index.for_each(r.method, f),
            Index::Identity(index) => {
                if let Some(identity) = r.identity {
                    index.for_each(identity, r.identity_dir, f);
                }
            }
            Index::Path(trie) => trie.for_each(r.path, f),
            Index::Host(index) => {
                if let Some(host) = r.host {
                    index.for_each(host, f);
                }
            }
            Index::Port(index) => {
                if let Some(port) = r.port {
                    index.for_each(port, f);
                }
            }
            Index::Source(index) => {
                if let Some(source) = r.source {
                    index.for_each(source, f);
                }
            }
            Index::Header(name, index) => {
                for (n, v) in r.headers.iter() {
                    if n.eq_ignore_ascii_case(name) {
                        index.for_each(v, f);
                    }
                }
            }
            Index::Attr(key, index) => {
                for (k, v) in r.attrs.iter() {
                    if *k == &**key {
                        index.for_each(v.as_bytes(), f);
                    }
                }
            }
        }
    }

    /// The attribute this index looks up.
    pub(crate) fn dim(&self) -> Dim<'_> {
        match self {
            Index::Method(_) => Dim::Method,
            Index::Identity(_) => Dim::Identity,
            Index::Path(_) => Dim::Path,
            Index::Host(_) => Dim::Host,
            Index::Port(_) => Dim::Port,
            Index::Source(_) => Dim::Source,
            Index::Header(name, _) => Dim::Header(name),
            Index::Attr(name, _) => Dim::Attr(name),
        }
    }

    /// Every child with its key (as the functions of [`text`] write keys), sorted by
    /// key: for the dump and the validation of a tree, not for evaluation.
    pub(crate) fn children(&self) -> Vec<(String, NodeId)> {
        let mut children = Vec::new();
        match self {
            Index::Method(index) => index.children(&mut children),
            Index::Identity(index) => index.children(&mut children),
            Index::Path(trie) => trie.children(&mut Vec::new(), &mut children),
            Index::Host(index) => index.children(&mut children),
            Index::Port(index) => index.children(&mut children),
            Index::Source(index) => index.children(&mut children),
            Index::Header(_, index) | Index::Attr(_, index) => index.children(&mut children),
        }
        // Stable: children under equal keys (path patterns spelled differently) keep
        // their order.
        children.sort_by(|a, b| a.0.cmp(&b.0));
        children
    }
}

/// Puts `child` under `key` in `map`, unless the key already has a child: then
/// `child` is given back (replacing the first would drop its rules from the tree).
pub(crate) fn insert_new<K: Eq + Hash>(
    map: &mut FxHashMap<K, NodeId>,
    key: K,
    child: NodeId,
) -> Result<(), NodeId> {
    match map.entry(key) {
        Entry::Occupied(_) => Err(child),
        Entry::Vacant(slot) => {
            slot.insert(child);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_is_small() {
        // Every split reads its index: the tables' headers inline, the rest behind a
        // pointer (see the type).
        assert!(size_of::<Index>() <= 64, "{}", size_of::<Index>());
        assert_eq!(align_of::<Index>(), 64);
        assert_eq!(size_of::<crate::compile::LeafRule>(), 16);
        println!(
            "index {} method {} identity {} host {} value {}",
            size_of::<Index>(),
            size_of::<MethodIndex>(),
            size_of::<IdentityIndex>(),
            size_of::<HostIndex>(),
            size_of::<ValueIndex>()
        );
    }
}
