//! What a split is made of: the dimensions (attributes) rules are keyed on, the keys
//! of each indexable condition, numbered once for the whole policy, and the index a
//! split node builds from its keyed children.

use std::hash::Hash;
use std::ops::Range;

use ipnet::IpNet;

use crate::check::host_pattern::HostPattern;
use crate::check::identity_glob::IdentityGlob;
use crate::check::path_pattern::PathPattern;
use crate::check::{CheckedPolicy, Cond, CondTest, Keyed};
use crate::compile::hash::FxHashMap;
use crate::compile::index::{
    CidrIndex, Dim, HostIndex, IdentityIndex, Index, MethodIndex, PathTrie, PortIndex, ValueIndex,
    text,
};
use crate::compile::{NodeId, to_u32};

/// One key of a condition, borrowed from the checked policy.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key<'p> {
    Method(&'p str),
    Identity(&'p IdentityGlob),
    Path(&'p PathPattern),
    Host(&'p HostPattern),
    Port((u16, u16)),
    Source(&'p IpNet),
    Bytes(&'p [u8]),
}

/// What makes two keys of one dimension the same key (same subtree): the text of the
/// pattern as written (with its kind), borrowed, so that comparing keys allocates
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum KeyId<'p> {
    Text(u8, &'p str),
    Port((u16, u16)),
    Net(IpNet),
    Bytes(&'p [u8]),
}

impl<'p> Key<'p> {
    /// The key as the dump shows it and [`Index::children`] lists it.
    pub(crate) fn text(&self) -> String {
        match *self {
            Key::Method(m) => text::method(m),
            Key::Identity(g) => text::identity(g),
            Key::Path(p) => text::path_pattern(p),
            Key::Host(h) => text::host(h),
            Key::Port(r) => text::port(r),
            Key::Source(n) => text::net(n),
            Key::Bytes(b) => text::bytes(b),
        }
    }

    fn id(&self) -> KeyId<'p> {
        match *self {
            Key::Method(m) => KeyId::Text(0, m),
            Key::Identity(g) => match g {
                IdentityGlob::Exact(s) => KeyId::Text(0, s),
                IdentityGlob::PrefixOneSegment(p) => KeyId::Text(1, p),
                IdentityGlob::PrefixAny(p) => KeyId::Text(2, p),
                IdentityGlob::General { glob, .. } => KeyId::Text(3, glob),
            },
            Key::Path(p) => KeyId::Text(0, p.text()),
            Key::Host(h) => match h {
                HostPattern::Exact(n) => KeyId::Text(0, n),
                HostPattern::Suffix(s) => KeyId::Text(1, s),
                HostPattern::Any => KeyId::Text(2, ""),
            },
            Key::Port(r) => KeyId::Port(r),
            Key::Source(n) => KeyId::Net(*n),
            Key::Bytes(b) => KeyId::Bytes(b),
        }
    }
}

/// The dimension a condition offers, if it can be indexed; its keys are appended to
/// `out`.
pub(crate) fn keys<'p>(cond: &'p Cond, out: &mut Vec<Key<'p>>) -> Option<Dim<'p>> {
    if cond.negated {
        return None;
    }
    Some(match &cond.test {
        CondTest::Method(ms) => {
            out.extend(ms.iter().map(|m| Key::Method(m)));
            Dim::Method
        }
        CondTest::Identity(gs) => {
            out.extend(gs.iter().map(Key::Identity));
            Dim::Identity
        }
        CondTest::Path(ps) => {
            out.extend(ps.iter().map(Key::Path));
            Dim::Path
        }
        CondTest::Host(hs) => {
            out.extend(hs.iter().map(Key::Host));
            Dim::Host
        }
        CondTest::Port(rs) => {
            out.extend(rs.iter().map(|r| Key::Port(*r)));
            Dim::Port
        }
        CondTest::Source(ns) => {
            out.extend(ns.iter().map(Key::Source));
            Dim::Source
        }
        CondTest::Header(keyed) => {
            let Keyed::Values(vs) = &keyed.test else {
                return None;
            };
            out.extend(vs.iter().map(|v| Key::Bytes(v)));
            Dim::Header(&keyed.name)
        }
        CondTest::Attr(keyed) => {
            let Keyed::Values(vs) = &keyed.test else {
                return None;
            };
            out.extend(vs.iter().map(|v| Key::Bytes(v)));
            Dim::Attr(&keyed.name)
        }
        _ => return None,
    })
}

/// A condition of a rule that an index can look up.
pub(super) struct Keyable {
    /// Its dimension, as a position in [`Keys::dims`].
    pub(super) dim: u32,
    pub(super) cond: usize,
    /// Where its keys are in [`Keys::keys`] (and their numbers in
    /// [`Keys::key_ids`]).
    pub(super) keys: Range<usize>,
}

/// Every rule's indexable conditions and their keys, numbered once for the whole
/// policy (in flat tables rather than a list per rule and per condition: a large
/// policy has tens of thousands of them).
pub(super) struct Keys<'p> {
    /// Every dimension some rule is keyed on, numbered in first-seen order.
    pub(super) dims: Vec<Dim<'p>>,
    /// Every rule's indexable conditions, rule after rule.
    pub(super) keyable: Vec<Keyable>,
    /// Per rule, where its entries are in `keyable`.
    pub(super) keyable_at: Vec<Range<usize>>,
    /// The keys of the entries of `keyable`.
    pub(super) keys: Vec<Key<'p>>,
    /// For each key, the number of its [`KeyId`] (keys with the same id are the same
    /// key of a split).
    pub(super) key_ids: Vec<u32>,
    /// How many distinct key numbers there are.
    pub(super) distinct: usize,
}

impl<'p> Keys<'p> {
    /// Collects and numbers the keys of every rule of `policy`.
    pub(super) fn collect(policy: &'p CheckedPolicy) -> Keys<'p> {
        let n = policy.rules.len();
        let conditions: usize = policy.conditions.len();
        let mut dims = Vec::new();
        // Numbers for dimensions and key ids, in first-seen order.
        let mut dim_ids: FxHashMap<Dim<'p>, u32> = FxHashMap::default();
        let mut key_numbers: FxHashMap<KeyId<'p>, u32> = FxHashMap::default();
        let mut keyable = Vec::with_capacity(conditions);
        let mut keyable_at = Vec::with_capacity(n);
        let mut all_keys = Vec::with_capacity(conditions.saturating_mul(2));
        let mut key_ids = Vec::with_capacity(conditions.saturating_mul(2));
        for rule in &policy.rules {
            let first = keyable.len();
            for (cond, c) in policy.conditions(rule).iter().enumerate() {
                let start = all_keys.len();
                if let Some(dim) = keys(c, &mut all_keys) {
                    let next = to_u32(dims.len());
                    let dim = *dim_ids.entry(dim).or_insert_with(|| {
                        dims.push(dim);
                        next
                    });
                    // INVARIANT: `start` was the length of `all_keys` before `keys`
                    // appended to it.
                    for key in all_keys.get(start..).unwrap_or_default() {
                        let next = to_u32(key_numbers.len());
                        key_ids.push(*key_numbers.entry(key.id()).or_insert(next));
                    }
                    keyable.push(Keyable {
                        dim,
                        cond,
                        keys: start..all_keys.len(),
                    });
                }
            }
            keyable_at.push(first..keyable.len());
        }
        Keys {
            dims,
            keyable,
            keyable_at,
            keys: all_keys,
            key_ids,
            distinct: key_numbers.len(),
        }
    }
}

/// The index of a split on `dim` whose children are `children`, or `None` if a key
/// is not of the dimension's kind or comes twice (never, by construction: the builder
/// then makes a leaf instead, since a child left out of the index would drop its
/// rules from the tree).
pub(super) fn make_index(dim: Dim<'_>, children: Vec<(Key<'_>, NodeId)>) -> Option<Index> {
    let index = try_make_index(dim, &children);
    debug_assert!(
        index.is_some(),
        "a key of another kind, or twice, in a split on {dim}"
    );
    index
}

fn try_make_index(dim: Dim<'_>, children: &[(Key<'_>, NodeId)]) -> Option<Index> {
    // The keys of the dimension's kind, each with its child; `None` if a key is of
    // another kind (fail the split, never skip the child).
    macro_rules! keys_of {
        ($kind:ident) => {
            children
                .iter()
                .map(|&(key, child)| match key {
                    Key::$kind(k) => Some((k, child)),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?
        };
    }
    Some(match dim {
        Dim::Method => Index::Method(MethodIndex::build(keys_of!(Method)).ok()?),
        Dim::Identity => Index::Identity(IdentityIndex::build(keys_of!(Identity)).ok()?),
        // Laid out flat once every pattern is known.
        Dim::Path => Index::Path(Box::new(PathTrie::build(keys_of!(Path)))),
        Dim::Host => Index::Host(HostIndex::build(keys_of!(Host)).ok()?),
        Dim::Port => Index::Port(PortIndex {
            entries: keys_of!(Port).into_boxed_slice(),
        }),
        Dim::Source => {
            let mut index = Box::<CidrIndex>::default();
            for (n, child) in keys_of!(Source) {
                index.insert(n, child).ok()?;
            }
            Index::Source(index)
        }
        Dim::Header(name) => Index::Header(name.into(), ValueIndex::build(keys_of!(Bytes)).ok()?),
        Dim::Attr(name) => Index::Attr(name.into(), ValueIndex::build(keys_of!(Bytes)).ok()?),
    })
}
