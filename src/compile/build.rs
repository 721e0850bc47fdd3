//! Building the tree: split the rules on the attribute that divides them best, recurse,
//! and stop at small leaves.
//!
//! A rule is *keyed* on an attribute when it has a plain (not negated) condition on it
//! whose values an index can look up: methods, identity globs, path patterns, host
//! patterns, ports, CIDR blocks, header or attribute values. A split node puts each
//! keyed rule under every key of that condition, and the others in a `rest` subtree
//! that every request visits. Since a leaf checks each of its rules in full, an index
//! only has to be complete (never miss a rule that could match); it need not be exact.

use std::collections::HashMap;
use std::hash::Hash;

use ipnet::IpNet;

use crate::check::host_pattern::HostPattern;
use crate::check::identity_glob::IdentityGlob;
use crate::check::path_pattern::PathPattern;
use crate::check::{CheckedPolicy, Cond, CondTest, Keyed};

use super::index::{
    CidrIndex, HostIndex, IdentityIndex, Index, MethodIndex, PathTrie, PortIndex, ValueIndex,
};
use super::{Node, NodeId};

/// A leaf holds at most this many rules unless no attribute divides them.
const LEAF_SIZE: usize = 4;

/// Rules are placed at most this many times per rule, over the whole tree (a rule with
/// several values sits under several keys); past it, subtrees become leaves.
const PLACEMENTS_PER_RULE: usize = 16;

/// An attribute a split node can index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Dim {
    Method,
    Identity,
    Path,
    Host,
    Port,
    Source,
    Header(Box<str>),
    Attr(Box<str>),
}

/// One key of a condition, borrowed from the checked policy.
#[derive(Clone, Copy, Debug)]
enum Key<'p> {
    Method(&'p str),
    Identity(&'p IdentityGlob),
    Path(&'p PathPattern),
    Host(&'p HostPattern),
    Port((u16, u16)),
    Source(&'p IpNet),
    Bytes(&'p [u8]),
}

/// What makes two keys the same key (same subtree).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum KeyId {
    Text(String),
    Port((u16, u16)),
    Net(IpNet),
    Bytes(Box<[u8]>),
}

impl Key<'_> {
    fn id(&self) -> KeyId {
        match self {
            Key::Method(m) => KeyId::Text((*m).to_string()),
            Key::Identity(g) => KeyId::Text(g.text()),
            Key::Path(p) => KeyId::Text(p.text().to_string()),
            Key::Host(h) => KeyId::Text(h.text()),
            Key::Port(r) => KeyId::Port(*r),
            Key::Source(n) => KeyId::Net(**n),
            Key::Bytes(b) => KeyId::Bytes((*b).into()),
        }
    }
}

/// The dimension and keys a condition offers, if it can be indexed.
fn keys(cond: &Cond) -> Option<(Dim, Vec<Key<'_>>)> {
    if cond.negated {
        return None;
    }
    Some(match &cond.test {
        CondTest::Method(ms) => (Dim::Method, ms.iter().map(|m| Key::Method(m)).collect()),
        CondTest::Identity(gs) => (Dim::Identity, gs.iter().map(Key::Identity).collect()),
        CondTest::Path(ps) => (Dim::Path, ps.iter().map(Key::Path).collect()),
        CondTest::Host(hs) => (Dim::Host, hs.iter().map(Key::Host).collect()),
        CondTest::Port(rs) => (Dim::Port, rs.iter().map(|r| Key::Port(*r)).collect()),
        CondTest::Source(ns) => (Dim::Source, ns.iter().map(Key::Source).collect()),
        CondTest::Header {
            name,
            test: Keyed::Values(vs),
        } => (
            Dim::Header(name.clone()),
            vs.iter().map(|v| Key::Bytes(v)).collect(),
        ),
        CondTest::Attr {
            name,
            test: Keyed::Values(vs),
        } => (
            Dim::Attr(name.clone()),
            vs.iter().map(|v| Key::Bytes(v)).collect(),
        ),
        _ => return None,
    })
}

pub(crate) struct Builder<'p> {
    policy: &'p CheckedPolicy,
    pub(crate) nodes: Vec<Node>,
    placements: usize,
    budget: usize,
}

/// How a candidate split would divide the rules.
struct Split<'p> {
    dim: Dim,
    /// Distinct keys in first-seen order, each with its rules (ascending).
    buckets: Vec<(Key<'p>, Vec<u32>)>,
    rest: Vec<u32>,
}

impl<'p> Builder<'p> {
    pub(crate) fn new(policy: &'p CheckedPolicy) -> Builder<'p> {
        let n = policy.rules.len();
        Builder {
            policy,
            nodes: Vec::new(),
            placements: 0,
            budget: n.saturating_mul(PLACEMENTS_PER_RULE).saturating_add(1024),
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(node);
        id
    }

    fn leaf(&mut self, rules: &[u32]) -> NodeId {
        self.placements += rules.len();
        self.push(Node::Leaf(rules.into()))
    }

    /// Builds the subtree for `rules` (ascending), never splitting again on `used`.
    pub(crate) fn build(&mut self, rules: &[u32], used: &[Dim]) -> NodeId {
        if rules.len() <= LEAF_SIZE || self.placements >= self.budget {
            return self.leaf(rules);
        }
        let Some(split) = self.best_split(rules, used) else {
            return self.leaf(rules);
        };
        let mut used = used.to_vec();
        used.push(split.dim.clone());
        let mut children = Vec::with_capacity(split.buckets.len());
        for (key, bucket) in &split.buckets {
            children.push((*key, self.build(bucket, &used)));
        }
        let rest = if split.rest.is_empty() {
            None
        } else {
            Some(self.build(&split.rest, &used))
        };
        let index = make_index(&split.dim, &children);
        self.push(Node::Split { index, rest })
    }

    /// The split that leaves the fewest rules to check on an average path, if it beats
    /// checking them all.
    fn best_split(&self, rules: &[u32], used: &[Dim]) -> Option<Split<'p>> {
        // For each dimension: for each rule keyed on it, the condition with fewest keys.
        let mut per_dim: HashMap<Dim, Vec<(u32, Vec<Key<'p>>)>> = HashMap::new();
        for &r in rules {
            let Some(rule) = self.policy.rules.get(r as usize) else {
                continue;
            };
            let mut best: HashMap<Dim, Vec<Key<'p>>> = HashMap::new();
            for cond in &rule.conditions {
                if let Some((dim, ks)) = keys(cond) {
                    if used.contains(&dim) {
                        continue;
                    }
                    let slot = best.entry(dim).or_insert_with(|| ks.clone());
                    if ks.len() < slot.len() {
                        *slot = ks;
                    }
                }
            }
            for (dim, ks) in best {
                per_dim.entry(dim).or_default().push((r, ks));
            }
        }
        let n = rules.len();
        let mut best: Option<(f64, Dim)> = None;
        for (dim, keyed) in &per_dim {
            let mut sizes: HashMap<KeyId, usize> = HashMap::new();
            for (_, ks) in keyed {
                for k in ks {
                    *sizes.entry(k.id()).or_default() += 1;
                }
            }
            let rest = n - keyed.len();
            let average = if sizes.is_empty() {
                0.0
            } else {
                sizes.values().sum::<usize>() as f64 / sizes.len() as f64
            };
            let score = rest as f64 + average;
            let better = match &best {
                None => true,
                Some((s, d)) => score < *s || (score == *s && dim_rank(dim) < dim_rank(d)),
            };
            if better {
                best = Some((score, dim.clone()));
            }
        }
        let (score, dim) = best?;
        if score >= n as f64 * 0.8 {
            return None;
        }
        let keyed = per_dim.remove(&dim)?;
        let mut rest = Vec::new();
        let mut keyed_iter = keyed.into_iter().peekable();
        let mut buckets: Vec<(Key<'p>, Vec<u32>)> = Vec::new();
        let mut positions: HashMap<KeyId, usize> = HashMap::new();
        for &r in rules {
            match keyed_iter.peek() {
                Some((kr, _)) if *kr == r => {
                    let Some((_, ks)) = keyed_iter.next() else {
                        continue;
                    };
                    for k in ks {
                        let id = k.id();
                        let at = *positions.entry(id).or_insert_with(|| {
                            buckets.push((k, Vec::new()));
                            buckets.len() - 1
                        });
                        if let Some((_, bucket)) = buckets.get_mut(at) {
                            if bucket.last() != Some(&r) {
                                bucket.push(r);
                            }
                        }
                    }
                }
                _ => rest.push(r),
            }
        }
        Some(Split { dim, buckets, rest })
    }
}

/// Tie-break between equally good dimensions: the cheaper lookup first.
fn dim_rank(dim: &Dim) -> u8 {
    match dim {
        Dim::Identity => 0,
        Dim::Host => 1,
        Dim::Path => 2,
        Dim::Method => 3,
        Dim::Port => 4,
        Dim::Source => 5,
        Dim::Header(_) => 6,
        Dim::Attr(_) => 7,
    }
}

fn make_index(dim: &Dim, children: &[(Key<'_>, NodeId)]) -> Index {
    match dim {
        Dim::Method => {
            let mut index = MethodIndex::default();
            for (k, c) in children {
                if let Key::Method(m) = k {
                    index.entries.push(((*m).into(), *c));
                }
            }
            Index::Method(index)
        }
        Dim::Identity => {
            let mut index = IdentityIndex::default();
            for (k, c) in children {
                if let Key::Identity(g) = k {
                    index.insert(g, *c);
                }
            }
            Index::Identity(index)
        }
        Dim::Path => {
            let mut trie = PathTrie::default();
            for (k, c) in children {
                if let Key::Path(p) = k {
                    trie.insert(p, *c);
                }
            }
            Index::Path(trie)
        }
        Dim::Host => {
            let mut index = HostIndex::default();
            for (k, c) in children {
                if let Key::Host(h) = k {
                    index.insert(h, *c);
                }
            }
            Index::Host(index)
        }
        Dim::Port => {
            let mut index = PortIndex::default();
            for (k, c) in children {
                if let Key::Port(r) = k {
                    index.entries.push((*r, *c));
                }
            }
            Index::Port(index)
        }
        Dim::Source => {
            let mut index = CidrIndex::default();
            for (k, c) in children {
                if let Key::Source(n) = k {
                    index.insert(n, *c);
                }
            }
            Index::Source(index)
        }
        Dim::Header(name) | Dim::Attr(name) => {
            let mut index = ValueIndex::default();
            for (k, c) in children {
                if let Key::Bytes(b) = k {
                    index.values.insert((*b).into(), *c);
                }
            }
            if matches!(dim, Dim::Header(_)) {
                Index::Header(name.clone(), index)
            } else {
                Index::Attr(name.clone(), index)
            }
        }
    }
}
