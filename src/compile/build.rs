//! Building the tree: split the rules on the attribute that divides them best, recurse,
//! and stop at small leaves.
//!
//! A rule is *keyed* on an attribute when it has a plain (not negated) condition on it
//! whose values an index can look up: methods, identity globs, path patterns, host
//! patterns, ports, CIDR blocks, header or attribute values. A split node puts each
//! keyed rule under every key of that condition, and the others in a `rest` subtree
//! that every request visits. An index must be complete (never miss a rule that could
//! match) and exact (reach a child only when the request matches that child's key,
//! under the same semantics as the condition): a leaf does not re-check the condition
//! a rule was placed by ([`Placed::proven`]), so an index that reached a child too
//! often would let a rule match without that condition holding.

use std::hash::Hash;
use std::ops::Range;
use std::sync::Arc;

use ipnet::IpNet;

use crate::check::host_pattern::HostPattern;
use crate::check::identity_glob::IdentityGlob;
use crate::check::path_pattern::PathPattern;
use crate::check::{CheckedPolicy, Cond, CondTest, Keyed};

use super::hash::FxHashMap;
use super::index::{
    CidrIndex, HostIndex, IdentityIndex, Index, MethodIndex, PathTrie, PortIndex, ValueIndex,
};
use super::{Check, CheckTest, LeafRule, Node, NodeId};

/// A leaf holds at most this many rules unless no attribute divides them.
const LEAF_SIZE: usize = 4;

/// Rules are placed at most this many times per rule, over the whole tree (a rule with
/// several values sits under several keys); past it, subtrees become leaves.
const PLACEMENTS_PER_RULE: usize = 16;

/// An attribute a split node can index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Dim<'p> {
    Method,
    Identity,
    Path,
    Host,
    Port,
    Source,
    Header(&'p str),
    Attr(&'p str),
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
fn keys<'p>(cond: &'p Cond, out: &mut Vec<Key<'p>>) -> Option<Dim<'p>> {
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
        CondTest::Header {
            name,
            test: Keyed::Values(vs),
        } => {
            out.extend(vs.iter().map(|v| Key::Bytes(v)));
            Dim::Header(name)
        }
        CondTest::Attr {
            name,
            test: Keyed::Values(vs),
        } => {
            out.extend(vs.iter().map(|v| Key::Bytes(v)));
            Dim::Attr(name)
        }
        _ => return None,
    })
}

/// How expensive a condition is to check in a leaf, roughly: leaves check the cheap
/// ones first, so that a rule that fails on its method never runs its regex.
fn cost(cond: &Cond) -> u8 {
    match &cond.test {
        CondTest::Present(_) => 0,
        CondTest::Method(_) | CondTest::Port(_) => 1,
        // Exact identities and `prefix/*` globs: a length compare rejects most.
        CondTest::Identity(gs) if gs.iter().all(IdentityGlob::is_simple) => 1,
        CondTest::Source(_) => 2,
        CondTest::Host(_) | CondTest::Identity(_) => 3,
        CondTest::Header {
            test: Keyed::Regex(_),
            ..
        }
        | CondTest::Attr {
            test: Keyed::Regex(_),
            ..
        } => 8,
        CondTest::Header { .. } | CondTest::Attr { .. } => 4,
        // A literal first segment fails most paths on one short compare.
        CondTest::Path(ps) if ps.iter().all(PathPattern::starts_literal) => 2,
        CondTest::Path(_) => 5,
        CondTest::IdentityRegex(_) | CondTest::PathRegex(_) | CondTest::HostRegex(_) => 8,
    }
}

/// The leaf form of condition `c`, `cond` (see [`CheckTest`]).
fn prepare(cond: &Cond, c: u32) -> Check {
    let test = match &cond.test {
        CondTest::Identity(globs) => match globs.as_slice() {
            [IdentityGlob::PrefixOneSegment(prefix)] if prefix.ends_with('/') => {
                CheckTest::IdentityDir(Arc::clone(prefix))
            }
            _ => CheckTest::Cond(c),
        },
        CondTest::Method(methods) => CheckTest::Method(Arc::clone(methods)),
        CondTest::Path(patterns) => CheckTest::Path(Arc::clone(patterns)),
        _ => CheckTest::Cond(c),
    };
    Check {
        negated: cond.negated,
        test,
    }
}

/// A rule placed in a subtree, with the conditions that every request reaching the
/// subtree satisfies: bit `c` for condition `c` (conditions past 64 are never
/// marked), set when the rule sits under a key of that (plain, not negated) condition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placed {
    pub(crate) rule: u32,
    pub(crate) proven: u64,
}

/// A condition of a rule that an index can look up.
struct Keyable<'p> {
    dim: Dim<'p>,
    cond: usize,
    /// Where its keys are in [`Builder::keys`].
    keys: Range<usize>,
}

pub(crate) struct Builder<'p> {
    policy: &'p CheckedPolicy,
    /// Every rule's indexable conditions, rule after rule (computed once, in three
    /// flat tables rather than a list per rule and per condition: a large policy has
    /// tens of thousands of them).
    keyable: Vec<Keyable<'p>>,
    /// Per rule, where its entries are in `keyable`.
    keyable_at: Vec<Range<usize>>,
    /// The keys of the entries of `keyable`.
    keys: Vec<Key<'p>>,
    pub(crate) nodes: Vec<Node>,
    /// The conditions each leaf entry checks, cheapest first (see [`LeafRule`]).
    pub(crate) checks: Vec<Check>,
    placements: usize,
    budget: usize,
}

/// How a candidate split would divide the rules.
struct Split<'p> {
    dim: Dim<'p>,
    /// Distinct keys in first-seen order, each with its rules (ascending).
    buckets: Vec<(Key<'p>, Vec<Placed>)>,
    rest: Vec<Placed>,
}

impl<'p> Builder<'p> {
    pub(crate) fn new(policy: &'p CheckedPolicy) -> Builder<'p> {
        let n = policy.rules.len();
        let mut keyable = Vec::new();
        let mut keyable_at = Vec::with_capacity(n);
        let mut all_keys = Vec::new();
        for rule in &policy.rules {
            let first = keyable.len();
            for (cond, c) in rule.conditions.iter().enumerate() {
                let start = all_keys.len();
                if let Some(dim) = keys(c, &mut all_keys) {
                    keyable.push(Keyable {
                        dim,
                        cond,
                        keys: start..all_keys.len(),
                    });
                }
            }
            keyable_at.push(first..keyable.len());
        }
        Builder {
            policy,
            keyable,
            keyable_at,
            keys: all_keys,
            nodes: Vec::new(),
            checks: Vec::new(),
            placements: 0,
            budget: n.saturating_mul(PLACEMENTS_PER_RULE).saturating_add(1024),
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(node);
        id
    }

    fn leaf(&mut self, rules: &[Placed]) -> NodeId {
        self.placements += rules.len();
        let mut entries = Vec::with_capacity(rules.len());
        let mut order: Vec<(u8, u32)> = Vec::new();
        for placed in rules {
            order.clear();
            let Some(rule) = self.policy.rules.get(placed.rule as usize) else {
                continue;
            };
            for (c, cond) in rule.conditions.iter().enumerate() {
                let proven = c < 64 && placed.proven & (1 << c) != 0;
                if !proven {
                    order.push((cost(cond), u32::try_from(c).unwrap_or(u32::MAX)));
                }
            }
            // Stable: equal costs keep source order.
            order.sort_by_key(|&(cost, _)| cost);
            let start = u32::try_from(self.checks.len()).unwrap_or(u32::MAX);
            for &(_, c) in &order {
                if let Some(cond) = rule.conditions.get(c as usize) {
                    self.checks.push(prepare(cond, c));
                }
            }
            let end = u32::try_from(self.checks.len()).unwrap_or(u32::MAX);
            entries.push(LeafRule {
                rule: placed.rule,
                kind: rule.kind,
                audit_slot: u32::try_from(rule.audit_slot).unwrap_or(u32::MAX),
                start,
                end,
            });
        }
        self.push(Node::Leaf(entries.into_boxed_slice()))
    }

    /// Builds the subtree for `rules` (ascending), never splitting again on `used`.
    pub(crate) fn build(&mut self, rules: &[Placed], used: &[Dim<'p>]) -> NodeId {
        if rules.len() <= LEAF_SIZE || self.placements >= self.budget {
            return self.leaf(rules);
        }
        let Some(split) = self.best_split(rules, used) else {
            return self.leaf(rules);
        };
        let mut used = used.to_vec();
        used.push(split.dim);
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
    fn best_split(&self, rules: &[Placed], used: &[Dim<'p>]) -> Option<Split<'p>> {
        // For each dimension: for each rule keyed on it (by position in `rules`), the
        // condition with fewest keys.
        let mut dims: Vec<Dim<'p>> = Vec::new();
        let mut dim_at: FxHashMap<Dim<'p>, usize> = FxHashMap::default();
        let mut per_dim: Vec<Vec<(usize, &Keyable<'p>)>> = Vec::new();
        let mut best: Vec<&Keyable<'p>> = Vec::new();
        for (at, placed) in rules.iter().enumerate() {
            let Some(keyable) = self
                .keyable_at
                .get(placed.rule as usize)
                .and_then(|at| self.keyable.get(at.clone()))
            else {
                continue;
            };
            best.clear();
            for k in keyable {
                if used.contains(&k.dim) {
                    continue;
                }
                match best.iter_mut().find(|b| b.dim == k.dim) {
                    Some(slot) => {
                        if k.keys.len() < slot.keys.len() {
                            *slot = k;
                        }
                    }
                    None => best.push(k),
                }
            }
            for k in &best {
                let d = *dim_at.entry(k.dim).or_insert_with(|| {
                    dims.push(k.dim);
                    per_dim.push(Vec::new());
                    dims.len() - 1
                });
                if let Some(list) = per_dim.get_mut(d) {
                    list.push((at, k));
                }
            }
        }
        let n = rules.len();
        let mut chosen: Option<(f64, usize)> = None;
        let mut sizes: FxHashMap<KeyId<'p>, usize> = FxHashMap::default();
        for (d, (dim, keyed)) in dims.iter().zip(&per_dim).enumerate() {
            sizes.clear();
            for (_, k) in keyed {
                for key in self.keys.get(k.keys.clone()).unwrap_or_default() {
                    *sizes.entry(key.id()).or_default() += 1;
                }
            }
            let rest = n - keyed.len();
            let average = if sizes.is_empty() {
                0.0
            } else {
                sizes.values().sum::<usize>() as f64 / sizes.len() as f64
            };
            let score = rest as f64 + average;
            let better = match chosen {
                None => true,
                Some((s, c)) => {
                    score < s
                        || (score == s
                            && dims.get(c).is_some_and(|cd| dim_rank(dim) < dim_rank(cd)))
                }
            };
            if better {
                chosen = Some((score, d));
            }
        }
        let (score, d) = chosen?;
        if score >= n as f64 * 0.8 {
            return None;
        }
        let dim = *dims.get(d)?;
        let keyed = per_dim.get(d)?;
        let mut rest = Vec::new();
        let mut keyed_iter = keyed.iter().peekable();
        let mut buckets: Vec<(Key<'p>, Vec<Placed>)> = Vec::new();
        let mut positions: FxHashMap<KeyId<'p>, usize> = FxHashMap::default();
        for (at, placed) in rules.iter().enumerate() {
            match keyed_iter.peek() {
                Some((kat, _)) if *kat == at => {
                    let Some((_, k)) = keyed_iter.next() else {
                        continue;
                    };
                    let bit = if k.cond < 64 { 1u64 << k.cond } else { 0 };
                    let proven = Placed {
                        rule: placed.rule,
                        proven: placed.proven | bit,
                    };
                    for key in self.keys.get(k.keys.clone()).unwrap_or_default() {
                        let at = *positions.entry(key.id()).or_insert_with(|| {
                            buckets.push((*key, Vec::new()));
                            buckets.len() - 1
                        });
                        if let Some((_, bucket)) = buckets.get_mut(at) {
                            if bucket.last().map(|p| p.rule) != Some(placed.rule) {
                                bucket.push(proven);
                            }
                        }
                    }
                }
                _ => rest.push(*placed),
            }
        }
        Some(Split { dim, buckets, rest })
    }
}

/// Tie-break between equally good dimensions: the cheaper lookup first.
fn dim_rank(dim: &Dim<'_>) -> u8 {
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

fn make_index(dim: &Dim<'_>, children: &[(Key<'_>, NodeId)]) -> Index {
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
                Index::Header((*name).into(), index)
            } else {
                Index::Attr((*name).into(), index)
            }
        }
    }
}
