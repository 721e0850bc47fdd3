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
                CheckTest::IdentityDir((**prefix).into())
            }
            _ => CheckTest::Cond(c),
        },
        CondTest::Method(methods) => CheckTest::Method(methods.iter().cloned().collect()),
        CondTest::Path(patterns) => CheckTest::Path(patterns.iter().cloned().collect()),
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
struct Keyable {
    /// Its dimension, as a position in [`Builder::dims`].
    dim: u32,
    cond: usize,
    /// Where its keys are in [`Builder::keys`] (and their numbers in
    /// [`Builder::key_ids`]).
    keys: Range<usize>,
}

/// Per-number marks that are cleared all at once by moving to a new generation.
#[derive(Default)]
struct Marks {
    /// For each number, the generation it was last marked in, and a value.
    slots: Vec<(u32, u32)>,
    generation: u32,
}

impl Marks {
    fn with_len(len: usize) -> Marks {
        Marks {
            slots: vec![(0, 0); len],
            generation: 0,
        }
    }

    /// Forgets every mark.
    fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2³² generations, old marks could look current: reset them.
            self.slots.iter_mut().for_each(|slot| *slot = (0, 0));
            self.generation = 1;
        }
    }

    /// The value marked for `id` since the last [`clear`](Self::clear), if any.
    fn get(&self, id: u32) -> Option<u32> {
        self.slots
            .get(id as usize)
            .and_then(|&(generation, value)| (generation == self.generation).then_some(value))
    }

    fn set(&mut self, id: u32, value: u32) {
        if let Some(slot) = self.slots.get_mut(id as usize) {
            *slot = (self.generation, value);
        }
    }
}

pub(crate) struct Builder<'p> {
    policy: &'p CheckedPolicy,
    /// Every dimension some rule is keyed on, numbered in first-seen order.
    dims: Vec<Dim<'p>>,
    /// Every rule's indexable conditions, rule after rule (computed once, in flat
    /// tables rather than a list per rule and per condition: a large policy has tens
    /// of thousands of them).
    keyable: Vec<Keyable>,
    /// Per rule, where its entries are in `keyable`.
    keyable_at: Vec<Range<usize>>,
    /// The keys of the entries of `keyable`.
    keys: Vec<Key<'p>>,
    /// For each key, the number of its [`KeyId`] (keys with the same id are the same
    /// key of a split).
    key_ids: Vec<u32>,
    /// Whether each dimension is split on above the subtree being built.
    used: Vec<bool>,
    /// Scratch space for [`best_split`](Self::best_split), kept from one node to the
    /// next so that choosing a split allocates nothing.
    scratch: Scratch,
    /// Buffers for the rules of a split's children, reused once their subtrees are
    /// built.
    pool: Vec<Vec<Placed>>,
    pub(crate) nodes: Vec<Node>,
    /// The conditions each leaf entry checks, cheapest first (see [`LeafRule`]).
    pub(crate) checks: Vec<Check>,
    placements: usize,
    budget: usize,
}

/// The working memory of [`Builder::best_split`] and [`Builder::leaf`].
#[derive(Default)]
struct Scratch {
    /// The dimensions offered at this node, in first-seen order.
    dims: Vec<u32>,
    /// Per dimension number: its position in `dims` at this node.
    dim_at: Marks,
    /// Per position in `dims`: the rules keyed on it, as (position in the node's
    /// rules, entry of [`Builder::keyable`]).
    per_dim: Vec<Vec<(u32, u32)>>,
    /// For one rule: the entry with fewest keys for each dimension it offers.
    best: Vec<u32>,
    /// Per key number: seen in the dimension being scored, or the bucket of the key
    /// in the split being made.
    keys: Marks,
    /// Per bucket of the split being made: its rule count, and the last rule placed
    /// in it.
    counts: Vec<(usize, Option<u32>)>,
    /// For a leaf: (cost, condition) of the conditions a rule still checks.
    order: Vec<(u8, u32)>,
}

/// How a chosen split divides the rules: `placed[ranges[i]]` are the rules (ascending)
/// of the bucket of `keys[i]`, distinct keys in first-seen order; `rest` the others.
struct Split<'p> {
    dim: u32,
    keys: Vec<(Key<'p>, Range<usize>)>,
    placed: Vec<Placed>,
    rest: Range<usize>,
}

impl<'p> Builder<'p> {
    pub(crate) fn new(policy: &'p CheckedPolicy) -> Builder<'p> {
        let n = policy.rules.len();
        let conditions: usize = policy.rules.iter().map(|r| r.conditions.len()).sum();
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
            for (cond, c) in rule.conditions.iter().enumerate() {
                let start = all_keys.len();
                if let Some(dim) = keys(c, &mut all_keys) {
                    let next = u32::try_from(dims.len()).unwrap_or(u32::MAX);
                    let dim = *dim_ids.entry(dim).or_insert_with(|| {
                        dims.push(dim);
                        next
                    });
                    for key in all_keys.get(start..).unwrap_or_default() {
                        let next = u32::try_from(key_numbers.len()).unwrap_or(u32::MAX);
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
        let scratch = Scratch {
            dim_at: Marks::with_len(dims.len()),
            keys: Marks::with_len(key_numbers.len()),
            ..Scratch::default()
        };
        Builder {
            policy,
            used: vec![false; dims.len()],
            dims,
            keyable,
            keyable_at,
            keys: all_keys,
            key_ids,
            scratch,
            pool: Vec::new(),
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
        let order = &mut self.scratch.order;
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
            for &(_, c) in order.iter() {
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

    /// Builds the subtree for `rules` (ascending), never splitting on a dimension
    /// marked in [`used`](Self::used).
    pub(crate) fn build(&mut self, rules: &[Placed]) -> NodeId {
        if rules.len() <= LEAF_SIZE || self.placements >= self.budget {
            return self.leaf(rules);
        }
        let Some(split) = self.best_split(rules) else {
            return self.leaf(rules);
        };
        let dim = split.dim as usize;
        let Some(&dim_key) = self.dims.get(dim) else {
            return self.leaf(rules);
        };
        if let Some(used) = self.used.get_mut(dim) {
            *used = true;
        }
        let mut children = Vec::with_capacity(split.keys.len());
        for (key, range) in &split.keys {
            let bucket = split.placed.get(range.clone()).unwrap_or_default();
            children.push((*key, self.build(bucket)));
        }
        let rest = if split.rest.is_empty() {
            None
        } else {
            Some(self.build(split.placed.get(split.rest).unwrap_or_default()))
        };
        if let Some(used) = self.used.get_mut(dim) {
            *used = false;
        }
        let mut placed = split.placed;
        placed.clear();
        self.pool.push(placed);
        let index = make_index(&dim_key, &children);
        self.push(Node::Split { index, rest })
    }

    /// The split that leaves the fewest rules to check on an average path, if it beats
    /// checking them all.
    fn best_split(&mut self, rules: &[Placed]) -> Option<Split<'p>> {
        let Builder {
            keyable,
            keyable_at,
            key_ids,
            used,
            scratch,
            dims: all_dims,
            ..
        } = self;
        let Scratch {
            dims,
            dim_at,
            per_dim,
            best,
            keys: seen,
            ..
        } = scratch;
        // For each dimension: for each rule keyed on it (by position in `rules`), the
        // condition with fewest keys.
        dims.clear();
        dim_at.clear();
        for list in per_dim.iter_mut() {
            list.clear();
        }
        for (at, placed) in rules.iter().enumerate() {
            let Some(range) = keyable_at.get(placed.rule as usize) else {
                continue;
            };
            best.clear();
            for e in range.clone() {
                let Some(k) = keyable.get(e) else { continue };
                if used.get(k.dim as usize) != Some(&false) {
                    continue;
                }
                let e = u32::try_from(e).unwrap_or(u32::MAX);
                let same_dim = best
                    .iter_mut()
                    .find(|b| keyable.get(**b as usize).is_some_and(|b| b.dim == k.dim));
                match same_dim {
                    Some(slot) => {
                        if keyable
                            .get(*slot as usize)
                            .is_some_and(|b| k.keys.len() < b.keys.len())
                        {
                            *slot = e;
                        }
                    }
                    None => best.push(e),
                }
            }
            for &e in best.iter() {
                let Some(k) = keyable.get(e as usize) else {
                    continue;
                };
                let d = match dim_at.get(k.dim) {
                    Some(d) => d as usize,
                    None => {
                        let d = dims.len();
                        dims.push(k.dim);
                        dim_at.set(k.dim, u32::try_from(d).unwrap_or(u32::MAX));
                        if per_dim.len() <= d {
                            per_dim.push(Vec::new());
                        }
                        d
                    }
                };
                if let Some(list) = per_dim.get_mut(d) {
                    list.push((u32::try_from(at).unwrap_or(u32::MAX), e));
                }
            }
        }
        let n = rules.len();
        let mut chosen: Option<(f64, usize)> = None;
        for (d, (&dim, keyed)) in dims.iter().zip(per_dim.iter()).enumerate() {
            // The average bucket size: keys counted with repeats, over distinct keys.
            seen.clear();
            let mut total = 0usize;
            let mut distinct = 0usize;
            for &(_, e) in keyed {
                let Some(k) = keyable.get(e as usize) else {
                    continue;
                };
                for &id in key_ids.get(k.keys.clone()).unwrap_or_default() {
                    total += 1;
                    if seen.get(id).is_none() {
                        seen.set(id, 0);
                        distinct += 1;
                    }
                }
            }
            let rest = n - keyed.len();
            let average = if distinct == 0 {
                0.0
            } else {
                total as f64 / distinct as f64
            };
            let score = rest as f64 + average;
            let better = match chosen {
                None => true,
                Some((s, c)) => {
                    score < s
                        || (score == s
                            && dims.get(c).is_some_and(|&cd| {
                                match (all_dims.get(dim as usize), all_dims.get(cd as usize)) {
                                    (Some(a), Some(b)) => dim_rank(a) < dim_rank(b),
                                    _ => false,
                                }
                            }))
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
        Some(self.make_split(rules, dim, d))
    }

    /// Divides `rules` on dimension number `dim`, offered at position `d` of the
    /// scratch lists [`best_split`](Self::best_split) filled: each keyed rule goes
    /// under every key of its chosen condition (once per distinct key), the others to
    /// the rest.
    fn make_split(&mut self, rules: &[Placed], dim: u32, d: usize) -> Split<'p> {
        let Builder {
            keyable,
            keys,
            key_ids,
            scratch,
            pool,
            ..
        } = self;
        let Scratch {
            per_dim,
            keys: bucket_of,
            counts,
            ..
        } = scratch;
        let keyed = per_dim.get(d).map(Vec::as_slice).unwrap_or_default();
        let keys_of = |e: u32| {
            let range = keyable.get(e as usize).map_or(0..0, |k| k.keys.clone());
            let ids = key_ids.get(range.clone()).unwrap_or_default();
            keys.get(range).unwrap_or_default().iter().zip(ids)
        };
        // First pass: the distinct keys in first-seen order, and how many rules each
        // bucket gets (a rule that repeats a key is placed under it once).
        bucket_of.clear();
        counts.clear();
        let mut split_keys: Vec<(Key<'p>, Range<usize>)> = Vec::new();
        for &(at, e) in keyed {
            let Some(placed) = rules.get(at as usize) else {
                continue;
            };
            for (key, &id) in keys_of(e) {
                let b = match bucket_of.get(id) {
                    Some(b) => b as usize,
                    None => {
                        let b = split_keys.len();
                        split_keys.push((*key, 0..0));
                        counts.push((0, None));
                        bucket_of.set(id, u32::try_from(b).unwrap_or(u32::MAX));
                        b
                    }
                };
                if let Some((count, last)) = counts.get_mut(b) {
                    if *last != Some(placed.rule) {
                        *count += 1;
                        *last = Some(placed.rule);
                    }
                }
            }
        }
        // The buckets back to back in one buffer, then the rest.
        let mut offset = 0;
        for ((_, range), (count, last)) in split_keys.iter_mut().zip(counts.iter_mut()) {
            *range = offset..offset;
            offset += *count;
            *last = None;
        }
        let mut rest = offset..offset;
        let mut placed_all = pool.pop().unwrap_or_default();
        placed_all.resize(
            offset + (rules.len() - keyed.len()),
            Placed { rule: 0, proven: 0 },
        );
        // Second pass: fill them, in rule order.
        let mut keyed_iter = keyed.iter().peekable();
        for (at, placed) in rules.iter().enumerate() {
            let e = match keyed_iter.peek() {
                Some(&&(kat, e)) if kat as usize == at => {
                    keyed_iter.next();
                    e
                }
                _ => {
                    if let Some(slot) = placed_all.get_mut(rest.end) {
                        *slot = *placed;
                        rest.end += 1;
                    }
                    continue;
                }
            };
            let cond = keyable.get(e as usize).map_or(64, |k| k.cond);
            let bit = if cond < 64 { 1u64 << cond } else { 0 };
            let proven = Placed {
                rule: placed.rule,
                proven: placed.proven | bit,
            };
            for (_, &id) in keys_of(e) {
                let Some(b) = bucket_of.get(id) else { continue };
                let (Some((_, last)), Some((_, range))) =
                    (counts.get_mut(b as usize), split_keys.get_mut(b as usize))
                else {
                    continue;
                };
                if *last != Some(placed.rule) {
                    *last = Some(placed.rule);
                    if let Some(slot) = placed_all.get_mut(range.end) {
                        *slot = proven;
                        range.end += 1;
                    }
                }
            }
        }
        Split {
            dim,
            keys: split_keys,
            placed: placed_all,
            rest,
        }
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
